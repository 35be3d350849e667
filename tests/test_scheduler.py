"""Exactly once: two real `profilebot scheduler --once` processes racing on one database, then a
repeat run — every message delivered once, none missing, nothing new on the repeat."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, text

from handlers.services import Services
from scheduler import jobs
from store.db import make_engine
from store.models import OutboxMessage, User
from tests.conftest import postgres_url

AS_OF = "2026-11-01"


def _cli(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )


def _run(env: dict[str, str], *args: str) -> str:
    p = _cli(env, *args)
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err[-3000:]
    return out


def _race(url: str, tmp_path: Path) -> None:
    log = tmp_path / "delivered.jsonl"
    env = dict(os.environ, PROFILEBOT_DATABASE_URL=url, PROFILEBOT_OUTBOX_LOG=str(log))
    env.pop("OPENAI_API_KEY", None)
    _run(env, "demo", "--accounts", "60", "--seed", "3", "--as-of", AS_OF)
    _run(env, "init")  # installs the default rules

    racers = [_cli(env, "scheduler", "--once", "--as-of", AS_OF, "--json") for _ in range(2)]
    reports = []
    for p in racers:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    delivered = [json.loads(line)["key"] for line in log.read_text().splitlines()]
    dupes = [k for k, n in Counter(delivered).items() if n > 1]
    assert not dupes, f"delivered twice: {dupes[:5]}"

    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.key, OutboxMessage.status)).all()
        managers = conn.execute(select(User.handle).where(User.role == "manager")).scalars().all()
    engine.dispose()
    keys = {k for k, _s in rows}
    # no chat platform: every message went to the log and is marked so, none "sent"
    assert {s for _k, s in rows} == {"logged"}, Counter(s for _k, s in rows)
    assert set(delivered) == keys  # none missing, none extra
    kinds = Counter(k.split(":")[0] for k in keys)
    assert kinds["alert"] > 0 and kinds["renewal"] > 0
    assert {f"digest:{m}:{AS_OF}" for m in managers} <= keys
    # both processes did real work: the second found everything claimed or already queued
    assert sum(r["outbox"]["logged"] for r in reports) == len(keys)
    assert all(r["summary"]["log_only"] and r["summary"]["sent"] == {} for r in reports)

    again = json.loads(
        _run(env, "scheduler", "--once", "--as-of", AS_OF, "--json").splitlines()[-1]
    )
    assert again["outbox"]["sent"] == 0 and again["outbox"]["logged"] == 0
    assert len(log.read_text().splitlines()) == len(delivered)


def test_two_schedulers_race_on_sqlite(tmp_path: Path) -> None:
    _race(f"sqlite:///{tmp_path / 'race.db'}", tmp_path)


def test_two_schedulers_race_on_postgresql(tmp_path: Path) -> None:
    base = postgres_url()
    if not base:
        pytest.skip("PostgreSQL not configured: set PROFILEBOT_TEST_POSTGRES_URL")
    schema = "race_" + uuid.uuid4().hex[:10]
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        _race(f"{base}{sep}options=-csearch_path%3D{schema}", tmp_path)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_digest_due_at_nine_local_once_per_day(services: Services) -> None:
    from store.users import upsert_user

    services.as_of = None
    with services.session_factory.begin() as s:
        upsert_user(s, handle="mia", role="manager", timezone="Asia/Shanghai")
        upsert_user(s, handle="mark", role="manager", timezone="America/New_York")
    # 12:00 UTC = 20:00 Shanghai (due, caught up), 07:00 New York (not yet)
    now = dt.datetime(2026, 11, 2, 12, 0)
    assert jobs.digests(services, now)["messages"] == 1
    assert jobs.digests(services, now + dt.timedelta(hours=1))["messages"] == 0
    # 14:00 UTC = 09:00 New York
    assert jobs.digests(services, dt.datetime(2026, 11, 2, 14, 0))["messages"] == 1
    with services.session_factory.begin() as s:
        keys = set(s.scalars(select(OutboxMessage.key)))
    assert keys == {"digest:mia:2026-11-02", "digest:mark:2026-11-02"}


def test_run_once_reports_every_job(services: Services) -> None:
    from scheduler.runner import run_once

    report = run_once(services, dt.datetime(2026, 11, 1, 9))
    assert set(jobs.JOBS) <= set(report)
    assert not [k for k, v in report.items() if isinstance(v, dict) and "error" in v]


def test_apscheduler_wiring_binds_each_scheduler_to_its_own_services(services: Services) -> None:
    from scheduler.runner import build, run_job

    other = Services(
        settings=services.settings,
        session_factory=services.session_factory,
        as_of=dt.date(2027, 1, 1),
    )
    scheds = [build(services, background=True), build(other, background=True)]
    for sched in scheds:
        sched.start(paused=True)
    try:
        for sched, svc in zip(scheds, (services, other), strict=True):
            got = sched.get_jobs()
            assert {f"profilebot:{n}" for n in jobs.JOBS} == {j.id for j in got}
            assert all(j.coalesce for j in got)
            # each job runs with the services its scheduler was built with (no module global)
            assert all(j.func is run_job and j.args[0] is svc for j in got)
    finally:
        for sched in scheds:
            sched.shutdown(wait=False)
