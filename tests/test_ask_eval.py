"""The bilingual question set (tests/fixtures/questions.tsv) against an independent pandas oracle.

The oracle reads raw tables (accounts, events, NPS answers, tags) and computes each expected answer
itself; the answer under test goes the whole way: parser -> spec -> compiler -> SQL -> reply JSON.
Run `pytest tests/test_ask_eval.py -q -s` to see the exact-match rate and the misses.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from sqlalchemy import select

from handlers import ask
from handlers.messages import IncomingMessage
from handlers.services import Services
from store import vocab
from store.db import init_schema, make_engine, make_session_factory
from store.models import Account, AccountFigures, AccountTag, Event, NpsResponse
from store.settings import Settings
from tests.conftest import FIXTURES

AS_OF = dt.date(2026, 11, 1)
TARGET = 0.9


def load_questions() -> list[tuple[str, str, str]]:
    rows = []
    for line in (FIXTURES / "questions.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("kind\t"):
            continue
        kind, oracle, question = line.split("\t")
        rows.append((kind, oracle, question))
    return rows


class Oracle:
    """Expected answers computed with pandas from the stored facts."""

    def __init__(self, session) -> None:  # noqa: ANN001
        conn = session.connection()
        self.a = pd.read_sql(select(Account.__table__), conn).set_index("id")
        self.ev = pd.read_sql(select(Event.__table__), conn)
        self.ev["ts"] = pd.to_datetime(self.ev["ts"])
        self.nps_rows = pd.read_sql(select(NpsResponse.__table__), conn)
        self.tags = pd.read_sql(select(AccountTag.__table__), conn)
        figs = pd.read_sql(select(AccountFigures.__table__), conn).set_index("account_id")
        self.T = pd.Timestamp(AS_OF)
        self.end = self.T + pd.Timedelta(days=1)
        self.a["contract_end"] = pd.to_datetime(self.a["contract_end"])
        self.a["contract_start"] = pd.to_datetime(self.a["contract_start"])
        logins = self.ev[(self.ev.type == "login") & (self.ev.ts < self.end)]
        last = logins.groupby("account_id")["ts"].max().dt.normalize()
        self.dsl = ((self.T - last).dt.days).reindex(self.a.index)
        n = self.nps_rows.copy()
        n["date"] = pd.to_datetime(n["date"])
        n = n[n.date <= self.T].sort_values(["account_id", "date", "id"])
        self.nps = n.groupby("account_id")["score"].last().reindex(self.a.index)
        self.health = figs["health_score"].reindex(self.a.index)
        buys = self.ev[(self.ev.type == "purchase") & (self.ev.ts < self.end)]
        self.pamt_total = buys.groupby("account_id")["amount"].sum().reindex(self.a.index).fillna(0)

    def _window(self, etype: str, n: int, how: str = "count") -> pd.Series:
        start = self.end - pd.Timedelta(days=n)
        e = self.ev[(self.ev.type == etype) & (self.ev.ts >= start) & (self.ev.ts < self.end)]
        g = e.groupby("account_id")
        s = g.size() if how == "count" else g["amount"].sum()
        return s.reindex(self.a.index).fillna(0)

    def namespace(self) -> dict:
        a = self.a

        def canon(field: str, v: object) -> object:
            if not isinstance(v, str):
                return v
            return vocab.canonical(field, v) or v.strip().lower()

        def has_tag(t: str) -> pd.Series:
            ids = set(self.tags[self.tags.tag.str.lower() == t]["account_id"])
            return pd.Series(a.index.isin(ids), index=a.index)

        def renew_mask(n: int) -> pd.Series:
            return (a.contract_end >= self.T) & (a.contract_end <= self.T + pd.Timedelta(days=n))

        def top(series: pd.Series, n: int, desc: bool = True, mask: pd.Series | None = None):
            df = pd.DataFrame({"v": series, "name": a["name"], "aid": a.index}, index=list(a.index))
            if mask is not None:
                df = df[mask]
            df["null"] = df.v.isna()
            df = df.sort_values(
                ["null", "v", "name", "aid"], ascending=[True, not desc, True, True]
            )
            return list(df.aid[:n])

        def groups(field, mask=None, value=None, func="count"):  # noqa: ANN001, ANN202
            df = pd.DataFrame({"k": a[field].map(lambda v: canon(field, v))}, index=a.index)
            if mask is not None:
                df = df[mask]
            if func == "count":
                return df.groupby("k", dropna=False).size().to_dict()
            df["v"] = value
            return getattr(
                df.groupby("k", dropna=False)["v"], "mean" if func == "avg" else func
            )().to_dict()

        return {
            "a": a,
            "T": self.T,
            "nps": self.nps,
            "health": self.health,
            "pamt_total": self.pamt_total,
            "inactive": lambda n, strict=False: (
                (self.dsl > n if strict else self.dsl >= n) | self.dsl.isna()
            ),
            "active": lambda n: self.dsl < n,
            "renew": renew_mask,
            "renew_mask": renew_mask,
            "period": lambda f, lo, hi: (a[f] >= pd.Timestamp(lo)) & (a[f] <= pd.Timestamp(hi)),
            "ind": lambda c: a.industry.map(lambda v: canon("industry", v)) == c,
            "city": lambda c: a.city.map(lambda v: canon("city", v)) == c,
            "tag": has_tag,
            "hv": lambda: has_tag("high_value") | (a.tier == "high_value"),
            "cw": lambda: has_tag("churn_warning") | (a.status == "churn_warning"),
            "nps_class": lambda c: {
                "detractor": self.nps <= 6,
                "passive": self.nps.between(7, 8),
                "promoter": self.nps >= 9,
            }[c],
            "tickets": lambda n: self._window("ticket", n),
            "logins": lambda n: self._window("login", n),
            "pcnt": lambda n: self._window("purchase", n),
            "pamt": lambda n: self._window("purchase", n, "sum"),
            "top": top,
            "groups": groups,
            "canon": canon,
        }


def check(kind: str, expected, data: dict, group_field: str | None) -> bool:  # noqa: ANN001
    accounts = data.get("accounts") or []
    ids = [x["id"] for x in accounts]
    if kind == "list":
        return set(ids) == set(expected[expected.fillna(False).astype(bool)].index)
    if kind == "top":
        return ids == list(expected)
    if kind == "count":
        return data.get("value") == int(expected)
    if kind == "agg":
        v = data.get("value")
        return v is not None and math.isclose(float(v), float(expected), rel_tol=1e-3)
    if kind == "breakdown":
        got = {}
        for r in data.get("rows") or []:
            k = r.get("handle") or r["key"]  # a person's row is labelled with their name
            k = (vocab.canonical(group_field, k) or k.strip().lower()) if isinstance(k, str) else k
            got[k] = r["value"] if r.get("value") is not None else r["count"]
        exp = {k: v for k, v in expected.items()}
        if set(got) != set(exp):
            return False
        return all(math.isclose(float(got[k]), float(exp[k]), rel_tol=1e-3) for k in exp)
    if kind == "profile":
        return bool(accounts) and accounts[0]["name"] == expected
    if kind == "none":
        return not accounts and not data.get("understood")
    raise AssertionError(kind)


@pytest.fixture(scope="module")
def book(tmp_path_factory):  # noqa: ANN201
    """The 300-account demo book as of AS_OF, figures and rule tags fresh (SQLite)."""
    from store.defaults import install_defaults
    from store.demo import generate
    from store.refresh import ensure_fresh

    path = tmp_path_factory.mktemp("eval") / "eval.db"
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    init_schema(eng)
    sf = make_session_factory(eng)
    with sf.begin() as s:
        install_defaults(s)
        generate(s, accounts=300, seed=7, today=AS_OF)
    with sf.begin() as s:
        ensure_fresh(s, AS_OF)
    settings = Settings.from_env(database_url=url, openai_api_key=None)
    svc = Services(settings=settings, session_factory=sf, as_of=AS_OF)
    with sf.begin() as s:
        ns = Oracle(s).namespace()
    yield svc, ns
    eng.dispose()


def test_question_set_exact_match_rate(book) -> None:  # noqa: ANN001
    svc, ns = book
    rows = load_questions()
    assert len(rows) >= 150
    misses = []
    for kind, oracle, question in rows:
        expected = eval(oracle, {}, ns)  # noqa: S307 (our own fixture)
        replies = ask.try_handle(svc, IncomingMessage(user="local", text=question, as_of=AS_OF))
        data = replies[0].data if replies else {}
        group_field = None
        if kind == "breakdown":
            group_field = oracle.split("'")[1]
        if not check(kind, expected, data, group_field):
            misses.append((question, (data.get("understood") or {}), data.get("text", "")[:160]))
    rate = 1 - len(misses) / len(rows)
    print(f"\nexact match: {len(rows) - len(misses)}/{len(rows)} = {rate:.1%}")
    for q, _spec, text in misses:
        print(f"MISS {q!r}\n   {text!r}")
    assert rate >= TARGET, f"{len(misses)} misses"
