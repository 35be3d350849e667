"""Benchmark: the dashboard's data endpoint vs the bare SQL the same figures need.

    python bench/bench_dashboard.py                 # 20,000 accounts, ~1.77 million events (SQLite)
    python bench/bench_dashboard.py --scale 0.05    # a quick small run
    python bench/bench_dashboard.py --url postgresql://postgres@127.0.0.1:5432/test

The book is bench_rules' (accounts, a 120-day event mix, NPS), spread over a manager's team of
eight reps with provinces, industries and plans; figures are refreshed, rule tags set and rules run
(open alerts) before anything is timed.

Measured (best of --repeat, interleaved, the machine is shared so compare ratios):
  baseline             hand-written SQL giving the admin's figures: ARR bands, churn-risk ARR per
                       renewal month, health / RFM / province breakdowns, logins per week per
                       health band, 30-day logins, open alerts, renewals in 90 days (list, count,
                       sum), completeness (average, bands, lowest), and the persona's per-field
                       churn-risk vs rest breakdowns — one statement per figure group, no scope
  data, admin          GET /dashboard/data?token=… through the WSGI app (token check, scope,
                       every spec compiled and run, JSON), for the admin (all accounts)
  data, manager        the same for the team's manager (a scope of owner identifiers)
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rules import AS_OF, populate  # noqa: E402
from sqlalchemy import text  # noqa: E402

from store.db import init_schema, make_engine, make_session_factory  # noqa: E402

REPS = ("rep", "amy", "ben", "cat", "dan", "eve", "fay", "gus")
PROVINCES = ("广东", "上海", "北京", "江苏", "浙江", "四川", "湖北", "陕西", "CA", "NY", None)
INDUSTRIES = ("SaaS", "Retail", "Fintech", "Energy", "Logistics", "Education", "Healthcare")
PLANS = ("Starter", "Growth", "Enterprise")
PERSONA_FIELDS = ("industry", "plan", "health_band", "nps_class", "price_sensitivity")


def spread(engine, accounts: int, seed: int = 2) -> None:  # noqa: ANN001
    """A team of reps under one manager; owners, provinces, industries and plans on accounts."""
    rng = random.Random(seed)
    now = dt.datetime.combine(AS_OF, dt.time())
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (handle, name, role, active, created_at) "
                "VALUES ('boss', 'Boss', 'manager', :t, :n), ('root', 'Root', 'admin', :t, :n)"
            ),
            {"t": True, "n": now},
        )
        boss = conn.execute(text("SELECT id FROM users WHERE handle = 'boss'")).scalar()
        conn.execute(text("UPDATE users SET manager_id = :b WHERE handle = 'rep'"), {"b": boss})
        conn.execute(
            text(
                "INSERT INTO users (handle, role, manager_id, active, created_at) "
                "VALUES (:h, 'sales', :b, :t, :n)"
            ),
            [{"h": h, "b": boss, "t": True, "n": now} for h in REPS[1:]],
        )
        conn.execute(
            text(
                "UPDATE accounts SET owner = :o, province = :p, industry = :i, plan = :pl "
                "WHERE id = :id"
            ),
            [
                {
                    "id": i,
                    # two thirds of the book in the manager's team, the rest another team's
                    "o": rng.choice(REPS) if rng.random() < 0.67 else "other",
                    "p": rng.choice(PROVINCES),
                    "i": rng.choice(INDUSTRIES),
                    "pl": rng.choice(PLANS),
                }
                for i in range(1, accounts + 1)
            ],
        )


def baseline(sf) -> float:  # noqa: ANN001
    """The admin's figures in bare SQL."""
    from handlers.dashboard import _month_period
    from store.alerts import OPEN_STATUSES

    end = dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time())
    weeks = [end - dt.timedelta(weeks=12 - i) for i in range(13)]
    months = [_month_period(AS_OF, k)[0] for k in range(7)]
    p = {f"w{i}": w for i, w in enumerate(weeks)} | {f"m{i}": m for i, m in enumerate(months)}
    p |= {"today": AS_OF, "in90": AS_OF + dt.timedelta(days=90)}
    bucket = (
        "CASE " + " ".join(f"WHEN e.ts < :w{i + 1} THEN {i}" for i in range(11)) + " ELSE 11 END"
    )
    risk = ", ".join(
        f"SUM(CASE WHEN a.contract_end >= :m{k} AND a.contract_end < :m{k + 1} THEN a.arr END)"
        for k in range(6)
    )
    statuses = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    churn = (
        "EXISTS (SELECT 1 FROM account_tags t WHERE t.account_id = a.id AND t.tag = 'churn_risk')"
    )
    acc = "accounts a LEFT JOIN account_figures f ON f.account_id = a.id"
    sqls = [
        "SELECT SUM(CASE WHEN arr > 300000 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN arr BETWEEN 100000 AND 300000 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN arr < 100000 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN arr IS NULL THEN 1 ELSE 0 END), COUNT(*) FROM accounts",
        f"SELECT {risk} FROM accounts a JOIN account_tags t ON t.account_id = a.id "
        "AND t.tag = 'churn_risk'",
        f"SELECT f.health_band, COUNT(*) FROM {acc} GROUP BY f.health_band",
        f"SELECT f.rfm_segment, COUNT(*) FROM {acc} GROUP BY f.rfm_segment",
        "SELECT province, COUNT(*) FROM accounts GROUP BY province",
        *(
            f"SELECT {bucket} AS b, COUNT(*) FROM events e WHERE e.type = 'login' "
            "AND e.ts >= :w0 AND e.ts < :w12 AND e.account_id IN "
            f"(SELECT account_id FROM account_figures WHERE health_band = '{band}') GROUP BY b"
            for band in ("green", "yellow", "red")
        ),
        "SELECT SUM(logins_30d) FROM account_figures",
        "SELECT al.id, al.title, a.name, al.assignee, al.status FROM alerts al LEFT JOIN accounts a "
        f"ON a.id = al.account_id WHERE al.status IN ({statuses}) ORDER BY al.created_at DESC",
        f"SELECT a.id, a.name, a.owner, a.contract_end, a.arr, f.health_band FROM {acc} "
        "WHERE a.contract_end BETWEEN :today AND :in90 ORDER BY a.contract_end LIMIT 12",
        "SELECT COUNT(*), SUM(arr) FROM accounts WHERE contract_end BETWEEN :today AND :in90",
        "SELECT AVG(completeness_key), SUM(CASE WHEN completeness_key < 0.5 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN completeness_key >= 0.5 AND completeness_key < 0.8 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN completeness_key >= 0.8 THEN 1 ELSE 0 END) FROM account_figures",
        f"SELECT a.id, a.name, f.completeness_key FROM {acc} ORDER BY f.completeness_key LIMIT 5",
        f"SELECT {churn} AS c, COUNT(*) FROM accounts a GROUP BY c",
    ]
    for field in PERSONA_FIELDS:
        col = f"f.{field}" if field in ("health_band", "nps_class") else f"a.{field}"
        sqls.append(f"SELECT {churn} AS c, {col}, COUNT(*) FROM {acc} GROUP BY c, {col}")
    t = time.perf_counter()
    with sf() as s:
        for sql in sqls:
            s.execute(text(sql), p).all()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 20,000 accounts, ~1.77M events")
    ap.add_argument("--url", default=None, help="database URL (default: a temp SQLite file)")
    ap.add_argument("--repeat", type=int, default=3, help="take the best of N timings")
    ap.add_argument(
        "--keep",
        default=None,
        help="a SQLite file for the book: built there when missing, reused (untouched) when present",
    )
    args = ap.parse_args()

    from pydantic import SecretStr

    from bot.web import make_wsgi_app
    from handlers.dashboard import make_token
    from handlers.services import Services
    from store import rules
    from store.refresh import ensure_fresh
    from store.settings import Settings

    reuse = bool(args.keep) and Path(args.keep).exists()
    tmp = None if args.url or args.keep else tempfile.mkdtemp(prefix="bench_dashboard_")
    url = args.url or f"sqlite:///{Path(args.keep) if args.keep else Path(tmp) / 'bench.db'}"
    if url.startswith("postgres"):
        schema = "bench_" + uuid.uuid4().hex[:8]
        with make_engine(url).begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    sf = make_session_factory(engine)
    t = time.perf_counter()
    if not reuse:
        init_schema(engine)
        accounts = max(int(20_000 * args.scale), 50)
        populate(engine, accounts, 88.5)
        spread(engine, accounts)
        with sf.begin() as s:
            rules.install_default_rules(s)
            ensure_fresh(s, AS_OF)
            rules.run_rules(s, AS_OF, dt.datetime.combine(AS_OF, dt.time(9)))
        if engine.dialect.name == "postgresql":
            with engine.begin() as c:
                c.execute(text("ANALYZE"))
    with engine.connect() as c:
        accounts = c.execute(text("SELECT COUNT(*) FROM accounts")).scalar()
        n_events = c.execute(text("SELECT COUNT(*) FROM events")).scalar()
    print(
        f"book: {accounts:,} accounts, {n_events:,} events, ready in {time.perf_counter() - t:.0f}s"
    )

    settings = Settings.from_env(
        database_url=url, dashboard_secret=SecretStr("bench-secret"), openai_api_key=None
    )
    clock = dt.datetime(2026, 11, 1, 8, 0)
    svc = Services(settings=settings, session_factory=sf, as_of=AS_OF, clock=lambda: clock)
    app = make_wsgi_app(svc)

    def endpoint(handle: str) -> float:
        token = make_token(settings, handle, clock + dt.timedelta(hours=1))
        status: list[str] = []
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/dashboard/data",
            "QUERY_STRING": f"token={token}",
            "wsgi.input": io.BytesIO(),
        }
        t = time.perf_counter()
        body = b"".join(app(environ, lambda s, h: status.append(s)))
        took = time.perf_counter() - t
        assert status == ["200 OK"], (status, body[:200])
        return took

    bases, admins, managers = [], [], []
    for _ in range(args.repeat):
        bases.append(baseline(sf))
        admins.append(endpoint("root"))
        managers.append(endpoint("boss"))
    base, admin, manager = min(bases), min(admins), min(managers)
    one, five, _fifteen = os.getloadavg()
    print(f"{engine.dialect.name}, load average {one:.2f} {five:.2f} ({os.cpu_count()} CPUs)")
    print(f"baseline bare SQL     : {base:8.3f}s  1.00×")
    print(f"/dashboard/data admin : {admin:8.3f}s  {admin / base:5.2f}×")
    print(f"/dashboard/data boss  : {manager:8.3f}s  {manager / base:5.2f}×  (team scope)")


if __name__ == "__main__":
    main()
