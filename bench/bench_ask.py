"""Benchmark: one question end to end against one bare SQL inactivity scan over the events table.

    python bench/bench_ask.py                          # 20,000 accounts, 1.77M events, SQLite
    python bench/bench_ask.py --scale 0.1              # quick run (2,000 accounts, 177k events)
    python bench/bench_ask.py --db postgresql          # PROFILEBOT_TEST_POSTGRES_URL or default

Data come from bench/bench_refresh.generate (untimed); figures are made fresh first (untimed).
Timed, best of --repeat: each question through handlers.ask.try_handle (context, parse, scope,
SQL, reply with every matching account, audit) and the baseline
`SELECT account_id, max(ts) FROM events WHERE type='login' GROUP BY account_id HAVING max(ts) < :cut`.
Prints each ratio question / bare scan (target < 0.5).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench.bench_refresh import AS_OF, generate  # noqa: E402
from handlers import ask  # noqa: E402
from handlers.messages import IncomingMessage  # noqa: E402
from handlers.services import Services  # noqa: E402
from store.db import init_schema, make_engine, make_session_factory  # noqa: E402
from store.refresh import ensure_fresh  # noqa: E402
from store.settings import Settings  # noqa: E402

QUESTIONS = (
    "哪些客户超过15天没登录",
    "accounts renewing in the next 30 days",
    "top 10 accounts by ARR",
    "how many fintech accounts in Shanghai",
)


def best_of(n: int, fn) -> float:  # noqa: ANN001
    """The fastest of n runs, in seconds."""
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 20k accounts, 1.77M events")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    accounts, events = int(20_000 * args.scale), int(1_770_000 * args.scale)

    schema = admin = None
    if args.db == "postgresql":
        base = os.environ.get("PROFILEBOT_TEST_POSTGRES_URL") or (
            "postgresql://postgres@127.0.0.1:5432/test"
        )
        schema = "bench_" + uuid.uuid4().hex[:8]
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench_ask_')}/bench.db"
    engine = make_engine(url)
    try:
        init_schema(engine)
        t0 = time.perf_counter()
        generate(engine, accounts, events, 1)
        factory = make_session_factory(engine)
        with factory.begin() as s:
            ensure_fresh(s, AS_OF)
        print(
            f"{args.db}: {accounts:,} accounts, {events:,} events, figures fresh "
            f"({time.perf_counter() - t0:.1f}s, untimed)"
        )
        svc = Services(
            settings=Settings.from_env(database_url=url, openai_api_key=None),
            session_factory=factory,
            as_of=AS_OF,
        )
        cut = f"{AS_OF.isoformat()} 00:00:00"
        scan = text(
            "SELECT account_id, max(ts) FROM events WHERE type = 'login' "
            "GROUP BY account_id HAVING max(ts) < :cut"
        )

        def baseline() -> None:
            with engine.connect() as conn:
                conn.execute(scan, {"cut": cut}).fetchall()

        baseline()
        base_t = best_of(args.repeat, baseline)
        print(f"bare inactivity scan over events: {base_t:.3f}s")
        for q in QUESTIONS:
            msg = IncomingMessage(user="local", text=q, as_of=AS_OF)
            n = len(ask.try_handle(svc, msg)[0].data.get("accounts", []))
            t = best_of(args.repeat, lambda m=msg: ask.try_handle(svc, m))
            print(f"{t:7.3f}s  ratio {t / base_t:5.2f}x  ({n:,} accounts)  {q}")
    finally:
        engine.dispose()
        if schema and admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
