"""The issue's "done when": a scripted terminal interview with skips, a back, an edit, a multi-fact
answer, a validation error and a digression, killed in the middle and finished by a new process;
the profile then shows every value."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from store.identity import normalise_name
from store.models import Account, AuditEntry, Contact, InterviewSession

BIN = str(Path(sys.executable).parent / "profilebot")

FIRST_HALF = [
    "interview Acme Logistics",
    "about 300 people in Hangzhou, logistics; the CFO Li Na signs off",  # several facts
    "which accounts renew in the next 30 days?",  # a digression
    "Dispatch runs on spreadsheets and phone calls",
    "skip",
    "back",
    "enterprise",
    "lots",  # a validation error on the ARR question
]
SECOND_HALF = [
    "status",
    "about 120k a year",
    "March 2027",
    "CEO approves after a two-month pilot",
    "500k, approved for next year",
    "supporter",
    "Wang Bo, CTO, a bit skeptical",
    "edit employees",
    "350",
    "Zhang Wei, ops manager",
    "skip",
    "finish",
]


def _run(cmd: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    out = subprocess.run(
        cmd, env=env, input=stdin, capture_output=True, text=True, timeout=180, check=False
    )
    assert out.returncode == 0, out.stderr + out.stdout
    return out.stdout


def _read_until(proc: subprocess.Popen, marker: str, timeout: float = 120) -> str:
    """Read the chat's stdout until a marker shows up (the process stays alive)."""
    buf = ""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while marker not in buf:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in output:\n{buf}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536).decode("utf-8", "replace")
            assert chunk, f"chat ended early:\n{buf}\n{proc.stderr.read().decode()}"
            buf += chunk
    return buf


@pytest.fixture
def book(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    _run([BIN, "demo", "--accounts", "40", "--seed", "1", "--as-of", "2026-11-01"], cli_env)
    engine = create_engine(cli_env["PROFILEBOT_DATABASE_URL"])
    with Session(engine) as s, s.begin():  # a thin new account: only a name and an owner
        s.add(
            Account(
                external_id="A900",
                name="Acme Logistics",
                name_norm=normalise_name("Acme Logistics"),
                owner="alice",
            )
        )
    engine.dispose()
    return cli_env


def _profile(env: dict[str, str]) -> dict:
    """The profile as `profilebot profile --json` shows it, else straight from the database."""
    out = subprocess.run(
        [BIN, "profile", "A900", "--json", "--as-of", "2026-11-01"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if out.returncode == 0 and out.stdout.strip().startswith("{"):
        card = json.loads(out.stdout.strip().splitlines()[-1])
        return {**card["fields"], "key_people": card["key_people"]}
    engine = create_engine(env["PROFILEBOT_DATABASE_URL"])
    with Session(engine) as s:
        acc = s.scalars(sql_select(Account).where(Account.external_id == "A900")).one()
        data = {c.name: getattr(acc, c.name) for c in Account.__table__.columns}
        data["contacts"] = [
            {"name": c.name, "title": c.title, "role": c.role, "attitude": c.attitude}
            for c in s.scalars(sql_select(Contact).where(Contact.account_id == acc.id))
        ]
    engine.dispose()
    return data


def test_scripted_interview_survives_a_kill(book: dict[str, str]) -> None:
    env = book
    chat = [BIN, "chat", "--as", "alice", "--as-of", "2026-11-01"]
    proc = subprocess.Popen(
        chat, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        proc.stdin.write(("\n".join(FIRST_HALF) + "\n").encode())
        proc.stdin.flush()
        first = _read_until(proc, "I couldn't use that")
    finally:
        proc.send_signal(signal.SIGKILL)  # no goodbye, no EOF: a crash mid-interview
        proc.wait(timeout=30)
    assert "Also noted" in first and "Hangzhou" in first and "Li Na" in first
    assert "Back to the interview" in first  # the digression came back to the same question
    assert "Skipped." in first and "Back one question" in first

    second = _run(chat, env, "\n".join(SECOND_HALF) + "\n")
    # the new process continues at the same question (ARR) with every answer kept
    assert "Current question: What is the annual contract value (ARR)?" in second
    assert "Industry: Logistics" in second and "Plan: enterprise" in second
    assert "Key completeness" in second and "Interview summary" not in second.split("status")[0]
    assert "Key findings" in second and "Next steps" in second

    p = _profile(env)
    assert str(p["industry"]).lower() == "logistics"
    assert int(p["employees"]) == 350  # edited after the multi-fact answer said 300
    assert str(p["city"]).lower() == "hangzhou"
    assert "spreadsheets" in p["pains"]
    assert p["plan"] == "enterprise"
    assert float(p["arr"]) == 120000
    assert str(p["contract_end"])[:10] == "2027-03-31"
    assert "pilot" in p["decision_process"]
    assert "500k" in p["budget"]
    people = {c["role"]: c for c in p.get("contacts") or p.get("key_people") or []}
    assert people["EB"]["name"] == "Li Na" and people["EB"]["attitude"] == "supporter"
    assert people["TB"]["name"] == "Wang Bo" and people["TB"]["attitude"] == "blocker"
    assert people["UB"]["name"] == "Zhang Wei"

    engine = create_engine(env["PROFILEBOT_DATABASE_URL"])
    with Session(engine) as s:
        row = s.scalars(sql_select(InterviewSession)).one()
        assert row.status == "done" and row.user_handle == "alice"
        audits = s.scalars(
            sql_select(AuditEntry).where(AuditEntry.action == "interview.write")
        ).all()
        assert {a.detail["field"] for a in audits} >= {"industry", "employees", "contact:EB"}
        assert all(a.actor == "alice" and a.detail["source"] == "interview" for a in audits)
    engine.dispose()


def test_template_validate_command(cli_env: dict[str, str], tmp_path: Path) -> None:
    default = Path(__file__).resolve().parent.parent / "handlers" / "templates" / "default.yaml"
    ok = subprocess.run(
        [BIN, "interview", "templates", "validate", str(default)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0 and "20 questions" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(default.read_text(encoding="utf-8").replace("field: city", "field: shoe"))
    out = subprocess.run(
        [BIN, "interview", "templates", "validate", str(bad)],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode != 0 and "shoe" in out.stderr
