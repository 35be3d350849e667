"""Persona over a 20,000-account book against the bare SQL scans it needs (a ratio, same run).

The book is written straight into SQLite (accounts, figures, tags, key people, 90 days of
feature use, NPS comments in both languages), so the benchmark measures the comparison, not the
demo generator. The persona is store.persona.compare for the churn-risk tag against every other
account; the baseline runs the same five scans with the bare sqlite3 driver and only fetches the
rows: accounts ⟕ figures, tags, contacts, feature use grouped per account, NPS comments.

    python bench/bench_persona.py [--accounts 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from store.db import init_schema, make_engine, make_session_factory
from store.models import (
    Account,
    AccountFigures,
    AccountTag,
    Contact,
    Event,
    FiguresState,
    NpsResponse,
)
from store.persona import compare, words_of
from store.query import Compiler, Scope, base_select, load_catalogue
from store.spec import Condition, Filter, Spec

AS_OF = dt.date(2026, 11, 1)
INDUSTRIES = ["金融科技", "Retail", "零售", "SaaS", "制造业", "Logistics", "教育", "Healthcare"]
FEATURES = ["dashboard", "reports", "api", "export", "workflow", "alerts", "sso", "ai_assistant"]
COMMENTS = [
    "价格太贵，预算不够。",
    "报表功能很好用，节省大量时间。",
    "Price is too high for our budget.",
    "Support is quick and helpful.",
    "还可以，就是上手慢。",
    "Slow dashboards, team stopped using it.",
]


def build(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{path}")
    init_schema(engine)
    sf = make_session_factory(engine)
    with sf.begin() as s:
        accounts = []
        for i in range(n):
            accounts.append(
                {
                    "id": i + 1,
                    "external_id": f"A{i}",
                    "name": f"Account {i}",
                    "name_norm": f"account {i}",
                    "industry": rng.choice(INDUSTRIES),
                    "city": rng.choice(["上海", "北京", "深圳", "London", "Singapore"]),
                    "plan": rng.choice(["basic", "pro", "enterprise"]),
                    "arr": float(rng.randint(10, 900) * 1000),
                    "employees": rng.randint(10, 3000),
                    "price_sensitivity": rng.choice(["low", "medium", "high", None]),
                    "owner": rng.choice(["wang", "li", "bob", "alice"]),
                    "stage": "customer",
                }
            )
        s.execute(insert(Account), accounts)
        risky = {a["id"] for a in accounts if rng.random() < 0.25}
        s.execute(
            insert(AccountFigures),
            [
                {
                    "account_id": a["id"],
                    "as_of": AS_OF,
                    "days_since_login": rng.randint(20, 80)
                    if a["id"] in risky
                    else rng.randint(0, 9),
                    "login_trend": rng.uniform(-0.9, 0.2),
                    "health_band": "red" if a["id"] in risky else rng.choice(["green", "yellow"]),
                    "nps_class": rng.choice(["promoter", "passive", "detractor", None]),
                    "rfm_segment": rng.choice(["champions", "lost", "at risk", None]),
                    "days_to_renewal": rng.randint(-10, 400),
                    "tickets_90d": rng.randint(0, 4),
                }
                for a in accounts
            ],
        )
        s.execute(
            insert(AccountTag),
            [{"account_id": i, "tag": "churn_risk", "source": "rule"} for i in sorted(risky)],
        )
        contacts, events, nps = [], [], []
        start = dt.datetime.combine(AS_OF, dt.time()) - dt.timedelta(days=89)
        k = 0
        for a in accounts:
            for role in ("EB", "TB", "UB"):
                contacts.append(
                    {
                        "account_id": a["id"],
                        "name": f"p{a['id']}{role}",
                        "title": rng.choice(["CEO", "CFO", "CTO", "经理"]),
                        "role": role,
                        "attitude": rng.choice(["supporter", "neutral", "blocker"]),
                    }
                )
            for _ in range(8):
                k += 1
                events.append(
                    {
                        "account_id": a["id"],
                        "ts": start + dt.timedelta(minutes=rng.randint(0, 89 * 1440)),
                        "type": "feature_use",
                        "feature": rng.choice(FEATURES),
                        "event_key": f"e{k}",
                    }
                )
            for j in range(rng.randint(0, 2)):
                nps.append(
                    {
                        "account_id": a["id"],
                        "date": AS_OF - dt.timedelta(days=rng.randint(1, 200)),
                        "score": rng.randint(0, 10),
                        "comment": rng.choice(COMMENTS),
                        "response_key": f"n{a['id']}-{j}",
                    }
                )
        s.execute(insert(Contact), contacts)
        for i in range(0, len(events), 50_000):
            s.execute(insert(Event), events[i : i + 50_000])
        s.execute(insert(NpsResponse), nps)
        s.add(FiguresState(id=1, as_of=AS_OF, stale=False, data_version=1))
    engine.dispose()


BARE = [
    "SELECT a.id, a.industry, a.city, a.province, a.country, a.plan, a.stage, a.price_sensitivity,"
    " a.tier, a.status, a.owner, f.health_band, f.rfm_segment, f.nps_class, a.employees, a.arr,"
    " a.annual_revenue, f.login_trend, f.days_since_login, f.days_to_renewal, f.tickets_90d,"
    " a.pains, a.notes, a.decision_process, a.budget"
    " FROM accounts a LEFT JOIN account_figures f ON f.account_id = a.id",
    "SELECT account_id, tag FROM account_tags",
    "SELECT account_id, role, title, attitude FROM contacts",
    "SELECT account_id, feature FROM events WHERE type = 'feature_use' AND ts >= ? AND ts < ?"
    " AND feature IS NOT NULL GROUP BY account_id, feature",
    "SELECT account_id, comment FROM nps_responses WHERE comment IS NOT NULL AND date > ?"
    " AND date <= ?",
]


def bare_scans(path: Path) -> float:
    con = sqlite3.connect(path)
    start = dt.datetime.combine(AS_OF, dt.time()) - dt.timedelta(days=89)
    end = dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time())
    t = time.perf_counter()
    for sql in BARE:
        if "events" in sql:
            con.execute(sql, (start.isoformat(sep=" "), end.isoformat(sep=" "))).fetchall()
        elif "nps_responses" in sql:
            since = AS_OF - dt.timedelta(days=365)
            con.execute(sql, (since.isoformat(), AS_OF.isoformat())).fetchall()
        else:
            con.execute(sql).fetchall()
    took = time.perf_counter() - t
    con.close()
    return took


def persona_once(path: Path) -> tuple[float, int, int]:
    engine = make_engine(f"sqlite:///{path}")
    sf = make_session_factory(engine)
    with sf() as s:
        comp = Compiler(AS_OF, load_catalogue(s), s)
        scope = Scope.everything()
        seg = Spec(where=Condition(all=[Filter(field="tag", value="churn_risk")]))
        t = time.perf_counter()
        result = compare(
            s,
            base_select(comp, seg, scope),
            base_select(comp, Spec(), scope),
            AS_OF,
            exclude={"tag"},
        )
        took = time.perf_counter() - t
    engine.dispose()
    return took, result.segment_size, len(result.traits)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    words_of("价格太贵")  # load jieba's dictionary once, outside the timing (a server has it)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t = time.perf_counter()
        build(path, args.accounts)
        print(f"book: {args.accounts} accounts built in {time.perf_counter() - t:.1f}s")
        bare = min(bare_scans(path) for _ in range(args.repeat))
        runs = [persona_once(path) for _ in range(args.repeat)]
        best = min(r[0] for r in runs)
        print(f"bare SQL scans (sqlite3, fetch only): {bare * 1000:.0f} ms")
        print(
            f"persona (churn-risk, {runs[0][1]} accounts vs the rest, {runs[0][2]} traits): "
            f"{best * 1000:.0f} ms"
        )
        print(f"ratio persona / bare scans: {best / bare:.1f}x")


if __name__ == "__main__":
    main()
