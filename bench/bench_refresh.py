"""Benchmark: refresh the derived figures against a bare SQL aggregate over the same events.

    python bench/bench_refresh.py                      # 20,000 accounts, 1.77M events, SQLite
    python bench/bench_refresh.py --scale 0.1          # quick run (2,000 accounts, 177k events)
    python bench/bench_refresh.py --db postgresql      # PROFILEBOT_TEST_POSTGRES_URL or default

Data are generated directly (untimed). Timed, interleaved and each the best of --repeat runs:

- bare aggregate (the issue's baseline, target refresh <= 3x):
  `SELECT account_id, type, count(*), max(ts), sum(amount) FROM events GROUP BY account_id, type`
  fetched in full;
- bare inputs: the SQL a refresh cannot do without, fetched and thrown away: the windowed
  per-account event aggregate, the distinct active users, the latest NPS answer, the contracts
  and the completeness counts (what `store.figures` reads; no scoring, nothing written);
- `store.figures.refresh(session, as_of)`: all of the above, plus RFM, health and completeness
  scored, and every account's row rewritten (committed).

Prints both ratios and the load average (the machine is shared: read ratios, not seconds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text  # noqa: E402

from store import completeness, figures  # noqa: E402
from store.db import init_schema, make_engine, make_session_factory  # noqa: E402
from store.models import Account, Contact, NpsResponse  # noqa: E402

AS_OF = dt.date(2026, 11, 1)
TYPES = ("login",) * 10 + ("feature_use",) * 7 + ("ticket", "purchase", "export")


def generate(engine, accounts: int, events: int, seed: int) -> None:  # noqa: ANN001
    """Accounts, key people, NPS and events, inserted as fast as each backend allows."""
    rnd = random.Random(seed)
    start = dt.datetime.combine(AS_OF, dt.time()) - dt.timedelta(days=400)
    with engine.begin() as conn:
        acc_rows = []
        for i in range(1, accounts + 1):
            cs = AS_OF - dt.timedelta(days=rnd.randint(30, 900))
            acc_rows.append(
                {
                    "id": i,
                    "external_id": f"A{i:06d}",
                    "name": f"Bench Co {i}",
                    "name_norm": f"bench co {i}",
                    "industry": rnd.choice(["fintech", "retail", None]),
                    "employees": rnd.choice([50, 200, 1000, None]),
                    "city": rnd.choice(["Shanghai", "Beijing", None]),
                    "plan": rnd.choice(["basic", "pro", "enterprise"]),
                    "arr": rnd.choice([12000.0, 50000.0, 200000.0, None]),
                    "contract_start": cs,
                    "contract_end": cs + dt.timedelta(days=365 * rnd.randint(1, 3)),
                    "owner": "sales1",
                }
            )
        conn.execute(insert(Account.__table__), acc_rows)
        conn.execute(
            insert(Contact.__table__),
            [
                {"account_id": i, "name": f"P{i}", "role": rnd.choice(["EB", "TB", "UB"])}
                for i in range(1, accounts + 1)
            ],
        )
        conn.execute(
            insert(NpsResponse.__table__),
            [
                {
                    "account_id": rnd.randint(1, accounts),
                    "date": AS_OF - dt.timedelta(days=rnd.randint(0, 300)),
                    "score": rnd.randint(0, 10),
                    "response_key": f"n{j}",
                }
                for j in range(accounts)
            ],
        )
    per_acc_weights = [rnd.random() ** 2 + 0.05 for _ in range(accounts)]
    acc_ids = rnd.choices(range(1, accounts + 1), weights=per_acc_weights, k=events)
    span = 400 * 86400

    def rows():
        for j, a in enumerate(acc_ids):
            ts = start + dt.timedelta(seconds=rnd.randrange(span))
            t = rnd.choice(TYPES)
            amount = float(rnd.randint(100, 20000)) if t == "purchase" else None
            yield (a, ts, t, f"u{a}_{rnd.randint(1, 8)}", None, amount, f"e{j}")

    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cols = "account_id, ts, type, actor, feature, amount, event_key"
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY events ({cols}) FROM STDIN") as copy:
                for r in rows():
                    copy.write_row(r)
        else:
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            cur.executemany(
                f"INSERT INTO events ({cols}) VALUES (?,?,?,?,?,?,?)",
                ((a, ts.strftime(fmt), t, u, f, am, k) for a, ts, t, u, f, am, k in rows()),
            )
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def best_of_interleaved(n: int, *fns):  # noqa: ANN001, ANN201
    """Best time of each function over n rounds, run in turn so they share the same load."""
    best = [float("inf")] * len(fns)
    for _ in range(n):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--events", type=int, default=1_770_000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply --accounts and --events")
    args = ap.parse_args()
    args.accounts = max(int(args.accounts * args.scale), 10)
    args.events = max(int(args.events * args.scale), 100)

    schema = tmp = None
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
        tmp = tempfile.mkdtemp(prefix="bench_refresh_")
        url = f"sqlite:///{tmp}/bench.db"
    engine = make_engine(url)
    try:
        init_schema(engine)
        t0 = time.perf_counter()
        generate(engine, args.accounts, args.events, args.seed)
        print(
            f"{args.db}: generated {args.accounts:,} accounts, {args.events:,} events "
            f"in {time.perf_counter() - t0:.1f}s (untimed)"
        )
        factory = make_session_factory(engine)
        baseline_sql = text(
            "SELECT account_id, type, count(*), max(ts), sum(amount) FROM events "
            "GROUP BY account_id, type"
        )

        def baseline() -> None:
            with engine.connect() as conn:
                conn.execute(baseline_sql).fetchall()

        def bare_inputs() -> None:
            with factory() as s:
                conn = s.connection()
                with figures._no_jit(s):
                    conn.execute(figures._event_aggregates(AS_OF)).fetchall()
                    conn.execute(figures._active_users(AS_OF)).fetchall()
                figures._latest_nps(s, AS_OF)
                a = Account.__table__.c
                conn.execute(select(a.id, a.arr, a.contract_start, a.contract_end)).fetchall()
                completeness.ratios_all(s)

        def refresh() -> None:
            with factory.begin() as s:
                figures.refresh(s, AS_OF)

        print(load())
        baseline()  # warm the cache for all
        base_t, inputs_t, ref_t = best_of_interleaved(args.repeat, baseline, bare_inputs, refresh)
        print(f"bare aggregate  : {base_t:8.3f}s  1.00x")
        print(f"bare inputs     : {inputs_t:8.3f}s  {inputs_t / base_t:5.2f}x")
        print(f"figures.refresh : {ref_t:8.3f}s  {ref_t / base_t:5.2f}x")
        print(
            f"ratio refresh / bare aggregate = {ref_t / base_t:.2f}x (target <= 3x); "
            f"refresh / bare inputs = {ref_t / inputs_t:.2f}x"
        )
        print(load())
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)  # a full-scale SQLite file is ~300 MB


if __name__ == "__main__":
    main()
