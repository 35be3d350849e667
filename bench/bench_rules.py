"""Benchmark: evaluating the default rules vs the bare SQL aggregates they depend on.

    python bench/bench_rules.py                 # 20,000 accounts, ~1.77 million events (SQLite)
    python bench/bench_rules.py --scale 0.05    # a quick small run
    python bench/bench_rules.py --url postgresql://postgres@127.0.0.1:5432/test

Baseline (measured in the same run, same database, interleaved with the runs below and the best
kept): one GROUP BY over the events table giving per account the last login, logins in the last
30 days and the 30 before, 30-day purchase amount and count, and the latest NPS — the inputs of
the three default rules (days since login, login trend, NPS, 30-day purchases; the contract end
is a column).

Measured, each in its own committed transaction:
  rules, first run   apply_state_actions + the messaging pass of run_rules on a book with no
                     tags, to-dos or outbox rows yet (every tag, field, to-do, message is new)
  rules, repeat run  the same again, same as-of: nothing new, reasons and open to-dos refreshed
  rules, next day    the same with as-of one day later (figures refreshed first, untimed): every
                     reason changes, a few accounts start or stop matching
  figures refresh    store.figures.refresh (all figures, not only the rules' inputs)
Prints each time and its ratio to the baseline (the target is rules <= 3x baseline), and the
load average: the machine is shared, so compare ratios, not seconds.
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

from sqlalchemy import text  # noqa: E402

from store.db import init_schema, make_engine, make_session_factory  # noqa: E402

AS_OF = dt.date(2026, 11, 1)


def populate(engine, accounts: int, events_per_account: float, seed: int = 1) -> int:  # noqa: ANN001
    """Accounts with owners, a realistic event mix over 120 days, some NPS answers."""
    rng = random.Random(seed)
    end = dt.datetime.combine(AS_OF, dt.time()) + dt.timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (handle, role, active, created_at) VALUES ('rep', 'sales', :t, :n)"
            ),
            {"t": True, "n": end},
        )
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, name_norm, owner, arr, contract_end, created_at, "
                "updated_at) VALUES (:id, :name, :name, 'rep', :arr, :ce, :n, :n)"
            ),
            [
                {
                    "id": i,
                    "name": f"acct{i}",
                    "arr": rng.randint(10, 900) * 1000,
                    "ce": AS_OF + dt.timedelta(days=rng.randint(-30, 400)),
                    "n": end,
                }
                for i in range(1, accounts + 1)
            ],
        )
        n = 0
        batch = []
        for i in range(1, accounts + 1):
            kind = rng.random()
            quiet_days = 0 if kind < 0.6 else rng.randint(10, 90)  # fading and dormant accounts
            for _ in range(int(rng.expovariate(1 / events_per_account))):
                ts = end - dt.timedelta(days=quiet_days + rng.random() * 120)
                r = rng.random()
                etype = (
                    "login"
                    if r < 0.6
                    else "feature_use"
                    if r < 0.9
                    else "purchase"
                    if r < 0.97
                    else "ticket"
                )
                batch.append(
                    {
                        "a": i,
                        "ts": ts,
                        "t": etype,
                        "u": f"u{rng.randint(1, 8)}",
                        "amt": rng.randint(100, 3000) if etype == "purchase" else None,
                        "k": uuid.uuid4().hex,
                    }
                )
                if len(batch) >= 50_000:
                    conn.execute(
                        text(
                            "INSERT INTO events (account_id, ts, type, actor, amount, event_key) "
                            "VALUES (:a, :ts, :t, :u, :amt, :k)"
                        ),
                        batch,
                    )
                    n += len(batch)
                    batch = []
            if rng.random() < 0.3:
                conn.execute(
                    text(
                        "INSERT INTO nps_responses (account_id, date, score, response_key) "
                        "VALUES (:a, :d, :s, :k)"
                    ),
                    {
                        "a": i,
                        "d": AS_OF - dt.timedelta(days=rng.randint(1, 200)),
                        "s": rng.randint(0, 10),
                        "k": uuid.uuid4().hex,
                    },
                )
        if batch:
            conn.execute(
                text(
                    "INSERT INTO events (account_id, ts, type, actor, amount, event_key) "
                    "VALUES (:a, :ts, :t, :u, :amt, :k)"
                ),
                batch,
            )
            n += len(batch)
    return n


BASELINE = """
SELECT e.account_id,
       MAX(CASE WHEN e.type = 'login' THEN e.ts END),
       SUM(CASE WHEN e.type = 'login' AND e.ts >= :d30 THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.type = 'login' AND e.ts >= :d60 AND e.ts < :d30 THEN 1 ELSE 0 END),
       SUM(CASE WHEN e.type = 'purchase' AND e.ts >= :d30 THEN e.amount ELSE 0 END),
       SUM(CASE WHEN e.type = 'purchase' AND e.ts >= :d30 THEN 1 ELSE 0 END),
       (SELECT n.score FROM nps_responses n WHERE n.account_id = e.account_id
         ORDER BY n.date DESC, n.id DESC LIMIT 1)
FROM events e
WHERE e.ts < :end
GROUP BY e.account_id
"""


def baseline(sf) -> float:  # noqa: ANN001
    end = dt.datetime.combine(AS_OF, dt.time()) + dt.timedelta(days=1)
    params = {"end": end, "d30": end - dt.timedelta(days=30), "d60": end - dt.timedelta(days=60)}
    t = time.perf_counter()
    with sf() as s:
        rows = s.execute(text(BASELINE), params).all()
    assert rows
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 20,000 accounts, ~1.77M events")
    ap.add_argument("--url", default=None, help="database URL (default: a temp SQLite file)")
    ap.add_argument("--repeat", type=int, default=3, help="take the best of N timings")
    args = ap.parse_args()

    from store import figures, rules
    from store.refresh import _state

    tmp = None if args.url else tempfile.mkdtemp(prefix="bench_rules_")
    url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    schema = None
    if url.startswith("postgres"):
        schema = "bench_" + uuid.uuid4().hex[:8]
        admin = make_engine(url)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    init_schema(engine)
    sf = make_session_factory(engine)
    accounts = max(int(20_000 * args.scale), 50)
    t = time.perf_counter()
    n_events = populate(engine, accounts, 88.5)
    print(f"populated {accounts:,} accounts, {n_events:,} events in {time.perf_counter() - t:.1f}s")
    with sf.begin() as s:
        rules.install_default_rules(s)
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(text("ANALYZE"))

    def load() -> str:
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"

    def rules_run(as_of: dt.date) -> tuple[float, float, dict, dict]:
        """Refresh figures (timed apart), then evaluate the rules as the issue measures them."""
        now = dt.datetime.combine(as_of, dt.time(9))
        with sf.begin() as s:
            t = time.perf_counter()
            figures.refresh(s, as_of)
            fig_t = time.perf_counter() - t
            st = _state(s)
            st.as_of, st.stale = as_of, False
            s.flush()
            t = time.perf_counter()
            state = rules.apply_state_actions(s, as_of)
            msgs = rules.run_rules(s, as_of, now)
            return fig_t, time.perf_counter() - t, state, msgs

    print(load())
    bases, fig_times, repeat_times = [baseline(sf)], [], []
    fig_t, first, state, msgs = rules_run(AS_OF)
    fig_times.append(fig_t)
    print(f"first run: {state} {msgs}")
    for _ in range(max(args.repeat - 1, 1)):
        bases.append(baseline(sf))
        fig_t, rule_t, state, msgs = rules_run(AS_OF)
        fig_times.append(fig_t)
        repeat_times.append(rule_t)
    print(f"repeat run: {state} {msgs}")
    bases.append(baseline(sf))
    _, next_day, state, msgs = rules_run(AS_OF + dt.timedelta(days=1))
    print(f"next day: {state} {msgs}")
    base, fig, rule = min(bases), min(fig_times), min(repeat_times)
    print(f"baseline aggregates  : {base:8.3f}s  1.00×")
    print(f"rules, first run     : {first:8.3f}s  {first / base:5.2f}×  (all tags/to-dos new)")
    print(f"rules, repeat run    : {rule:8.3f}s  {rule / base:5.2f}×  (same as-of again)")
    print(f"rules, next day      : {next_day:8.3f}s  {next_day / base:5.2f}×  (as-of + 1 day)")
    print(f"figures refresh      : {fig:8.3f}s  {fig / base:5.2f}×")
    print(f"figures + first run  : {fig + first:8.3f}s  {(fig + first) / base:5.2f}×")
    print(f"figures + repeat run : {fig + rule:8.3f}s  {(fig + rule) / base:5.2f}×")
    print("target: every rules run <= 3× baseline")
    print(load())
    engine.dispose()
    if schema:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)  # a full-scale SQLite file is ~400 MB


if __name__ == "__main__":
    main()
