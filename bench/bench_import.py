"""Import speed: 20,000 accounts and 1.77 million events, against a bare sqlite3 executemany.

    python bench/bench_import.py                  # full size (20k accounts, 1.77M events)
    python bench/bench_import.py --scale 0.05     # a quick small run
    python bench/bench_import.py --postgres postgresql://postgres@127.0.0.1:5432/test

The import (CSV files -> cleaned, deduplicated rows in the profilebot schema) runs in a child
process so its peak memory is its own. The baseline, measured in the same run, inserts exactly the
rows the import produced (read back from its database beforehand) into a fresh database with the
same schema using sqlite3's executemany, with no parsing at all. Prints both times and the ratio.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNTS, EVENTS = 20_000, 1_770_000
TYPES = ("login", "login", "login", "feature_use", "feature_use", "ticket", "purchase")
FEATURES = ("reports", "dashboards", "export", "api", "alerts", "sso")
CITIES = ("上海", "北京", "深圳", "杭州", "Shanghai", "Beijing", "成都")


def generate(folder: Path, accounts: int, events: int, seed: int = 7) -> tuple[Path, Path]:
    """Write accounts.csv and events.csv with realistic, mixed-format values."""
    rnd = random.Random(seed)
    acc_path, ev_path = folder / "accounts.csv", folder / "events.csv"
    with acc_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "account_id",
                "客户名称",
                "官网",
                "行业",
                "员工数",
                "城市",
                "负责人",
                "年合同额",
                "合同到期日",
            ]
        )
        for i in range(accounts):
            w.writerow(
                [
                    f"A{i:06d}",
                    f"客户{i}科技有限公司",
                    f"https://www.c{i}.cn/",
                    rnd.choice(("金融科技", "零售", "SaaS", "制造")),
                    f"{rnd.randint(5, 20000):,}",
                    rnd.choice(CITIES),
                    f"rep{i % 40}@example.com",
                    rnd.choice(
                        (f"￥{rnd.randint(1, 900) * 1000:,}", f"{rnd.randint(1, 90)}万", "")
                    ),
                    f"2027/{rnd.randint(1, 12)}/{rnd.randint(1, 28)}",
                ]
            )
    start = dt.datetime(2025, 11, 1)
    with ev_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account", "timestamp", "type", "user", "feature", "amount"])
        for _ in range(events):
            t = rnd.choice(TYPES)
            ts = start + dt.timedelta(seconds=rnd.randint(0, 365 * 86400))
            w.writerow(
                [
                    f"A{rnd.randrange(accounts):06d}",
                    ts.strftime("%Y-%m-%d %H:%M:%S"),
                    t,
                    f"u{rnd.randrange(50)}",
                    rnd.choice(FEATURES) if t == "feature_use" else "",
                    rnd.randint(100, 20000) if t == "purchase" else "",
                ]
            )
    return acc_path, ev_path


def child(url: str, acc: Path, ev: Path) -> None:
    """Run the real import (CLI path without the terminal UI) and print timings as JSON."""
    from store.db import init_schema, make_engine, make_session_factory
    from store.importer import run_import

    engine = make_engine(url)
    init_schema(engine)
    sf = make_session_factory(engine)
    t0 = time.perf_counter()
    r1 = run_import(sf, acc)
    t1 = time.perf_counter()
    r2 = run_import(sf, ev)
    t2 = time.perf_counter()
    assert r1.committed and r2.committed, (r1.summary(), r2.summary())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "accounts_s": t1 - t0,
                "events_s": t2 - t1,
                "accounts": r1.inserted,
                "events": r2.inserted,
                "peak_mb": peak_kb / 1024,
            }
        )
    )


def baseline(src_db: Path, schema_url_db: Path) -> float:
    """A bare sqlite3 executemany of the rows the import produced, into the same schema."""
    from store.db import init_schema, make_engine

    init_schema(make_engine(f"sqlite:///{schema_url_db}"))
    src = sqlite3.connect(src_db)
    acc_cols = [r[1] for r in src.execute("PRAGMA table_info(accounts)")]
    ev_cols = ["account_id", "ts", "type", "actor", "feature", "amount", "event_key", "batch_id"]
    accounts = src.execute(f"SELECT {', '.join(acc_cols)} FROM accounts").fetchall()
    events = src.execute(f"SELECT {', '.join(ev_cols)} FROM events").fetchall()
    src.close()
    dst = sqlite3.connect(schema_url_db)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    dst.executemany(
        f"INSERT INTO accounts ({', '.join(acc_cols)}) VALUES ({', '.join('?' * len(acc_cols))})",
        accounts,
    )
    dst.executemany(
        f"INSERT INTO events ({', '.join(ev_cols)}) VALUES ({', '.join('?' * len(ev_cols))})",
        events,
    )
    dst.commit()
    elapsed = time.perf_counter() - t0
    dst.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    ap.add_argument("--postgres", help="also import into this PostgreSQL database (own schema)")
    ap.add_argument(
        "--child", nargs=3, metavar=("URL", "ACCOUNTS", "EVENTS"), help=argparse.SUPPRESS
    )
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    n_acc = max(50, int(ACCOUNTS * args.scale))
    n_ev = max(500, int(EVENTS * args.scale))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        acc, ev = generate(folder, n_acc, n_ev)
        print(
            f"generated {n_acc:,} accounts, {n_ev:,} events in {time.perf_counter() - t:.1f}s "
            f"({ev.stat().st_size / 1e6:.0f} MB of events)"
        )
        db = folder / "import.db"
        out = subprocess.run(
            [sys.executable, __file__, "--child", f"sqlite:///{db}", str(acc), str(ev)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        ours = json.loads(out.stdout.strip().splitlines()[-1])
        base = baseline(db, folder / "baseline.db")
        total = ours["accounts_s"] + ours["events_s"]
        print(
            f"sqlite   import: accounts {ours['accounts_s']:.2f}s + events {ours['events_s']:.2f}s"
            f" = {total:.2f}s; peak memory {ours['peak_mb']:.0f} MB"
        )
        print(f"sqlite   bare executemany of the same rows: {base:.2f}s")
        print(f"sqlite   ratio import / baseline: {total / base:.2f}x  (target <= 2x, < 1024 MB)")
        if args.postgres:
            from sqlalchemy import text

            from store.db import make_engine

            schema = "bench_" + uuid.uuid4().hex[:8]
            admin = make_engine(args.postgres)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.postgres else "?"
            url = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
            try:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", url, str(acc), str(ev)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                    env={**os.environ},
                )
                pg = json.loads(out.stdout.strip().splitlines()[-1])
                pg_total = pg["accounts_s"] + pg["events_s"]
                print(
                    f"postgres import: accounts {pg['accounts_s']:.2f}s + events "
                    f"{pg['events_s']:.2f}s = {pg_total:.2f}s; peak memory {pg['peak_mb']:.0f} MB;"
                    f" ratio to the sqlite baseline {pg_total / base:.2f}x"
                )
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
