"""Derived figures agree with a straightforward pandas computation, account by account.

Two books: the demo book (demo_services) and the RavenStack SaaS data in tests/fixtures/ravenstack
(copied from shared/realdata, feature usage thinned to a fifth; see its SOURCE.txt): accounts,
feature usage as feature_use events, support tickets as ticket events, subscriptions as purchases
and contracts, loaded with direct Core inserts.
"""

from __future__ import annotations

import csv
import datetime as dt
import math

import pandas as pd
import pytest
from sqlalchemy import insert, select

from store import figures
from store.models import Account, AccountFigures, Event, NpsResponse
from tests.conftest import AS_OF, FIXTURES

RAVEN = FIXTURES / "ravenstack"
WINDOWS = (7, 30, 90)


# --------------------------------------------------------------------------- the pandas reference


def pandas_figures(session, as_of: dt.date) -> pd.DataFrame:
    """Every figure computed the obvious way with pandas from the raw tables."""
    ev = pd.DataFrame(
        session.execute(
            select(Event.account_id, Event.ts, Event.type, Event.actor, Event.amount)
        ).all(),
        columns=["account_id", "ts", "type", "actor", "amount"],
    )
    acc = pd.DataFrame(
        session.execute(
            select(Account.id, Account.arr, Account.contract_start, Account.contract_end)
        ).all(),
        columns=["account_id", "arr", "contract_start", "contract_end"],
    ).set_index("account_id")
    nps = pd.DataFrame(
        session.execute(
            select(NpsResponse.account_id, NpsResponse.date, NpsResponse.score, NpsResponse.id)
        ).all(),
        columns=["account_id", "date", "score", "id"],
    )
    end = pd.Timestamp(as_of + dt.timedelta(days=1))
    ev["ts"] = pd.to_datetime(ev["ts"])
    ev = ev[ev["ts"] < end]
    out = pd.DataFrame(index=acc.index)

    def count(mask) -> pd.Series:
        return ev[mask].groupby("account_id").size().reindex(out.index, fill_value=0)

    def since(days: int):
        return ev["ts"] >= end - pd.Timedelta(days=days)

    login = ev["type"] == "login"
    purchase = ev["type"] == "purchase"
    for name, etype in (
        ("logins", "login"),
        ("feature_uses", "feature_use"),
        ("tickets", "ticket"),
    ):
        for w in WINDOWS:
            out[f"{name}_{w}d"] = count((ev["type"] == etype) & since(w))
    out["logins_prev_30d"] = count(login & since(60) & ~since(30))
    for w in WINDOWS:
        has_actor = ev["actor"].notna() & (ev["actor"] != "")
        out[f"active_users_{w}d"] = (
            ev[since(w) & has_actor]
            .groupby("account_id")["actor"]
            .nunique()
            .reindex(out.index, fill_value=0)
        )
        out[f"purchase_count_{w}d"] = count(purchase & since(w))
        out[f"purchase_amount_{w}d"] = (
            ev[purchase & since(w)]
            .groupby("account_id")["amount"]
            .sum()
            .reindex(out.index, fill_value=0.0)
        )
    out["purchase_count_total"] = count(purchase)
    out["purchase_amount_total"] = (
        ev[purchase].groupby("account_id")["amount"].sum().reindex(out.index, fill_value=0.0)
    )
    last_login = ev[login].groupby("account_id")["ts"].max().reindex(out.index)
    out["last_login_at"] = last_login
    out["days_since_login"] = [None if pd.isna(t) else (as_of - t.date()).days for t in last_login]
    out["last_purchase_at"] = ev[purchase].groupby("account_id")["ts"].max().reindex(out.index)
    out["login_trend"] = [
        None if p == 0 else (c - p) / p
        for c, p in zip(out["logins_30d"], out["logins_prev_30d"], strict=True)
    ]
    nps = nps[nps["date"] <= as_of].sort_values(["account_id", "date", "id"])
    latest = nps.groupby("account_id").tail(1).set_index("account_id")
    out["nps_latest"] = latest["score"].reindex(out.index)
    out["nps_class"] = [
        None if pd.isna(s) else "promoter" if s >= 9 else "passive" if s >= 7 else "detractor"
        for s in out["nps_latest"]
    ]
    out["days_to_renewal"] = [
        None if d is None or pd.isna(d) else (d - as_of).days for d in acc["contract_end"]
    ]
    ltv = []
    for a in out.index:
        arr, start, stop = acc.at[a, "arr"], acc.at[a, "contract_start"], acc.at[a, "contract_end"]
        sub = None
        if not _missing(arr) and not _missing(start):
            until = as_of if _missing(stop) else min(as_of, stop)
            sub = arr * max(0, (until - start).days) / 365.0
        n = out.at[a, "purchase_count_total"]
        ltv.append(
            None if sub is None and n == 0 else out.at[a, "purchase_amount_total"] + (sub or 0)
        )
    out["ltv"] = ltv
    return out


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


def assert_figures_match(session, as_of: dt.date) -> int:
    """Compare every figure of every account; returns how many accounts were checked."""
    want = pandas_figures(session, as_of)
    got = {f.account_id: f for f in session.scalars(select(AccountFigures))}
    assert set(got) == set(want.index)
    checked = 0
    for acc_id, row in want.iterrows():
        f = got[acc_id]
        assert f.as_of == as_of
        for col, expected in row.items():
            actual = getattr(f, col)
            if _missing(expected) or (isinstance(expected, float) and pd.isna(expected)):
                assert actual is None, (acc_id, col, actual)
            elif isinstance(expected, pd.Timestamp):
                assert actual == expected.to_pydatetime(), (acc_id, col)
            elif isinstance(expected, float):
                assert actual == pytest.approx(expected, abs=0.01), (acc_id, col)
            else:
                assert actual == expected, (acc_id, col, actual, expected)
        checked += 1
    return checked


# --------------------------------------------------------------------------- demo book


def test_demo_book_matches_pandas(demo_services):
    with demo_services.session_factory.begin() as s:
        figures.refresh(s, AS_OF)
    with demo_services.session_factory() as s:
        n = assert_figures_match(s, AS_OF)
        assert n == 60
        some = s.scalars(select(AccountFigures)).all()
        # the book exercises the figures: logins, purchases, NPS and RFM all present somewhere
        assert any(f.logins_30d for f in some)
        assert any(f.purchase_count_30d for f in some)
        assert any(f.nps_latest is not None for f in some)
        assert any(f.rfm_segment for f in some)
        assert all(f.health_band in ("green", "yellow", "red") for f in some)


def test_demo_book_in_the_past(demo_services):
    """As-of in the past: later events are ignored, figures are what they were then."""
    past = AS_OF - dt.timedelta(days=45)
    with demo_services.session_factory.begin() as s:
        figures.refresh(s, past)
    with demo_services.session_factory() as s:
        assert assert_figures_match(s, past) == 60


# --------------------------------------------------------------------------- RavenStack


def _read(name: str) -> list[dict[str, str]]:
    with (RAVEN / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_ravenstack(session) -> dict[str, int]:
    """Accounts, contracts, feature usage, tickets and subscription purchases as our tables."""
    accounts = _read("ravenstack_accounts.csv")
    subs = _read("ravenstack_subscriptions.csv")
    latest: dict[str, dict[str, str]] = {}
    for sub in subs:
        cur = latest.get(sub["account_id"])
        if cur is None or sub["start_date"] > cur["start_date"]:
            latest[sub["account_id"]] = sub
    rows = []
    for a in accounts:
        sub = latest.get(a["account_id"])
        rows.append(
            {
                "external_id": a["account_id"],
                "name": a["account_name"],
                "name_norm": a["account_name"].lower(),
                "industry": a["industry"],
                "country": a["country"],
                "plan": a["plan_tier"],
                "arr": float(sub["arr_amount"]) if sub else None,
                "contract_start": dt.date.fromisoformat(sub["start_date"]) if sub else None,
                "contract_end": (
                    dt.date.fromisoformat(sub["end_date"]) if sub and sub["end_date"] else None
                ),
            }
        )
    session.execute(insert(Account), rows)
    ids = dict(session.execute(select(Account.external_id, Account.id)).all())
    sub_account = {s["subscription_id"]: s["account_id"] for s in subs}
    events = []
    for i, u in enumerate(_read("ravenstack_feature_usage.csv")):  # usage_id repeats: add i
        events.append(
            {
                "account_id": ids[sub_account[u["subscription_id"]]],
                "ts": dt.datetime.fromisoformat(u["usage_date"]),
                "type": "feature_use",
                "feature": u["feature_name"],
                "event_key": f"{u['usage_id']}-{i}",
            }
        )
    for t in _read("ravenstack_support_tickets.csv"):
        events.append(
            {
                "account_id": ids[t["account_id"]],
                "ts": dt.datetime.fromisoformat(t["submitted_at"]),
                "type": "ticket",
                "event_key": t["ticket_id"],
            }
        )
    for sub in subs:
        events.append(
            {
                "account_id": ids[sub["account_id"]],
                "ts": dt.datetime.fromisoformat(sub["start_date"]),
                "type": "purchase",
                "amount": float(sub["mrr_amount"]),
                "event_key": sub["subscription_id"],
            }
        )
    for c in _read("ravenstack_churn_events.csv"):
        events.append(
            {
                "account_id": ids[c["account_id"]],
                "ts": dt.datetime.fromisoformat(c["churn_date"]),
                "type": "churn",
                "event_key": c["churn_event_id"],
            }
        )
    for i in range(0, len(events), 5000):
        session.execute(insert(Event), events[i : i + 5000])
    return ids


@pytest.mark.parametrize("as_of", [dt.date(2024, 12, 31), dt.date(2024, 6, 30)])
def test_ravenstack_matches_pandas(session_factory, as_of):
    with session_factory.begin() as s:
        load_ravenstack(s)
        figures.refresh(s, as_of)
    with session_factory() as s:
        assert assert_figures_match(s, as_of) == 500
        rows = s.scalars(select(AccountFigures)).all()
        assert sum(f.feature_uses_90d for f in rows) > 0
        assert sum(f.tickets_30d for f in rows) > 0
        assert any(f.rfm_segment for f in rows)


# --------------------------------------------------------------------------- small, exact cases


def _account(session, name: str, **kw) -> int:
    acc = Account(name=name, name_norm=name.lower(), **kw)
    session.add(acc)
    session.flush()
    return acc.id


def _event(session, acc: int, ts: dt.datetime, type_: str, key: str, **kw) -> None:
    session.add(Event(account_id=acc, ts=ts, type=type_, event_key=key, **kw))


def test_window_edges(session_factory):
    """(as-of − N days, as-of]: the 7 days ending on as-of, from 00:00 six days before it."""
    as_of = dt.date(2026, 11, 1)
    with session_factory.begin() as s:
        a = _account(s, "Edge")
        _event(s, a, dt.datetime(2026, 10, 26, 0, 0), "login", "in7")  # first instant in
        _event(s, a, dt.datetime(2026, 10, 26, 23, 59), "login", "in7b")
        _event(s, a, dt.datetime(2026, 10, 25, 23, 59), "login", "out7")  # as-of − 7 days
        _event(s, a, dt.datetime(2026, 11, 1, 23, 59), "login", "today")
        _event(s, a, dt.datetime(2026, 11, 2, 0, 0), "login", "tomorrow")  # after as-of
        figures.refresh(s, as_of)
    with session_factory() as s:
        f = s.get(AccountFigures, a)
        assert f.logins_7d == 3
        assert f.logins_30d == 4
        assert f.days_since_login == 0
        assert f.last_login_at == dt.datetime(2026, 11, 1, 23, 59)


def test_no_events_no_login(session_factory):
    as_of = dt.date(2026, 11, 1)
    with session_factory.begin() as s:
        a = _account(s, "Quiet", contract_end=dt.date(2026, 12, 1), arr=1000.0)
        figures.refresh(s, as_of)
    with session_factory() as s:
        f = s.get(AccountFigures, a)
        assert f.days_since_login is None and f.last_login_at is None
        assert f.logins_30d == 0 and f.login_trend is None
        assert f.days_to_renewal == 30
        assert f.rfm_score is None
        assert f.ltv is None  # ARR without a contract start, no purchases: unknown
        # only the renewal input exists: it carries the whole weight
        assert f.health_components["renewal"]["weight"] == 1.0
        assert f.health_components["usage"]["score"] is None


def test_login_trend_and_nps_class(session_factory):
    as_of = dt.date(2026, 11, 1)
    base = dt.datetime(2026, 11, 1, 12)
    with session_factory.begin() as s:
        a = _account(s, "Falling")
        for i in range(10):  # 10 logins 31-40 days ago, 4 in the last 30
            _event(s, a, base - dt.timedelta(days=31 + i), "login", f"p{i}")
        for i in range(4):
            _event(s, a, base - dt.timedelta(days=i), "login", f"c{i}")
        s.add(NpsResponse(account_id=a, date=dt.date(2026, 9, 1), score=9, response_key="n1"))
        s.add(NpsResponse(account_id=a, date=dt.date(2026, 10, 1), score=4, response_key="n2"))
        s.add(NpsResponse(account_id=a, date=dt.date(2026, 12, 1), score=10, response_key="n3"))
        figures.refresh(s, as_of)
    with session_factory() as s:
        f = s.get(AccountFigures, a)
        assert (f.logins_30d, f.logins_prev_30d) == (4, 10)
        assert f.login_trend == pytest.approx(-0.6)
        assert (f.nps_latest, f.nps_class, f.nps_date) == (4, "detractor", dt.date(2026, 10, 1))


def test_refresh_replaces_rows(session_factory):
    with session_factory.begin() as s:
        a = _account(s, "Once")
        figures.refresh(s, dt.date(2026, 1, 1))
        figures.refresh(s, dt.date(2026, 2, 1))
    with session_factory() as s:
        rows = s.scalars(select(AccountFigures)).all()
        assert [(r.account_id, r.as_of) for r in rows] == [(a, dt.date(2026, 2, 1))]
