"""Derived figures: computed set-wise from events, NPS and contracts, one row per account.

`refresh(session, as_of)` rewrites `account_figures` for every account as of a date. It reads the
events table once (one GROUP BY with conditional aggregation over every window), the latest NPS
answer per account (a window function), the contract columns, then scores RFM, health and
completeness column-wise (numpy over all accounts at once, with exactly the numbers the
per-account functions give) and writes the rows (COPY on PostgreSQL, executemany on SQLite).
Questions and rules read only this table; they never scan the events.

Windows: "N days" is (as-of − N days, as-of] — events with ts ≥ day(as-of + 1) − N days and
ts < day(as-of + 1), the same bounds as `store.query._window_bounds`. Events after as-of are
ignored, so as-of may lie in the past and the figures are what they were on that day.

Every figure (what, unit, window):

- last_login_at (datetime): latest `login` event up to as-of.
- days_since_login (days): as-of − date(last_login_at); NULL when never logged in (queries treat
  NULL as more than any N days: no login ever counts as inactive).
- logins_{7,30,90}d, feature_uses_…, tickets_… (count): `login` / `feature_use` / `ticket` events
  in the window. logins_prev_30d: logins in (as-of − 60 days, as-of − 30 days].
- active_users_{7,30,90}d (users): distinct non-empty `user` (actor) of any event in the window.
- purchase_amount_{7,30,90}d (money, sum of `amount`; a purchase without amount adds 0),
  purchase_count_{7,30,90}d (count); purchase_amount_total, purchase_count_total, last_purchase_at:
  all purchases up to as-of.
- login_trend (ratio): (logins_30d − logins_prev_30d) / logins_prev_30d, so −0.5 = fell by half;
  NULL when logins_prev_30d is 0 (a ratio to nothing is undefined — the health score's
  engagement-trend component reads a rise from zero as healthy).
- nps_latest (0-10), nps_date: the latest NPS answer dated up to as-of (ties: the last stored);
  nps_class: promoter 9-10, passive 7-8, detractor 0-6.
- days_to_renewal (days): contract_end − as-of; negative once expired; NULL without contract_end.
- ltv (money): purchase_amount_total + ARR × years from contract_start to the earlier of as-of and
  contract_end (0 without ARR or contract_start); NULL when the account has neither purchases nor
  ARR with a contract start.
- rfm_* : see store/rfm.py — R's `rfm` package over purchase events up to as-of, ranked among the
  accounts that have purchases; accounts without a purchase have NULL RFM. Recency is whole days
  from the date of the latest purchase to as-of.
- health_score / health_band / health_components: see store/health.py.
- completeness_key / completeness_all (0-1): see store/completeness.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, select, text
from sqlalchemy.orm import Session

from store import completeness, health, rfm
from store.models import Account, AccountFigures, Event, NpsResponse

log = logging.getLogger(__name__)

WINDOWS = (7, 30, 90)
_COUNTED = {"logins": "login", "feature_uses": "feature_use", "tickets": "ticket"}


def window_bounds(as_of: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) datetimes of the window (as-of − N days, as-of]."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    return end - dt.timedelta(days=days), end


def nps_class(score: int | None) -> str | None:
    """promoter 9-10, passive 7-8, detractor 0-6."""
    if score is None:
        return None
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def login_trend(logins_30d: int, logins_prev_30d: int) -> float | None:
    """Change of the last 30 days' logins against the 30 before; None when the base is 0."""
    if not logins_prev_30d:
        return None
    return round((logins_30d - logins_prev_30d) / logins_prev_30d, 4)


def ltv(
    purchase_total: float,
    purchase_count: int,
    arr: float | None,
    contract_start: dt.date | None,
    contract_end: dt.date | None,
    as_of: dt.date,
) -> float | None:
    """All purchases plus ARR earned from contract start to the earlier of as-of and its end."""
    subscription = None
    if arr is not None and contract_start is not None:
        stop = min(as_of, contract_end) if contract_end is not None else as_of
        subscription = arr * max(0, (stop - contract_start).days) / 365.0
    if subscription is None and not purchase_count:
        return None
    return round(purchase_total + (subscription or 0.0), 2)


def _event_aggregates(as_of: dt.date) -> Select:
    """One GROUP BY over the events up to as-of: every windowed count and sum per account.

    Conditional aggregation with FILTER (PostgreSQL, SQLite ≥ 3.30) rather than CASE: the
    planner keeps a hash aggregate and skips the expression work for rows a filter rejects.
    """
    e = Event.__table__.c
    _, end = window_bounds(as_of, 0)
    start = {w: window_bounds(as_of, w)[0] for w in (*WINDOWS, 60)}
    is_login = e.type == "login"
    is_purchase = e.type == "purchase"
    cols: list[Any] = [e.account_id, func.max(e.ts).filter(is_login).label("last_login_at")]
    for name, etype in _COUNTED.items():
        for w in WINDOWS:
            cols.append(
                func.count().filter(and_(e.type == etype, e.ts >= start[w])).label(f"{name}_{w}d")
            )
    cols.append(
        func.count()
        .filter(and_(is_login, e.ts >= start[60], e.ts < start[30]))
        .label("logins_prev_30d")
    )
    for w in WINDOWS:
        in_window = and_(is_purchase, e.ts >= start[w])
        cols.append(func.sum(e.amount).filter(in_window).label(f"purchase_amount_{w}d"))
        cols.append(func.count().filter(in_window).label(f"purchase_count_{w}d"))
    cols.append(func.sum(e.amount).filter(is_purchase).label("purchase_amount_total"))
    cols.append(func.count().filter(is_purchase).label("purchase_count_total"))
    cols.append(func.max(e.ts).filter(is_purchase).label("last_purchase_at"))
    return select(*cols).where(e.ts < end).group_by(e.account_id)


def _active_users(as_of: dt.date) -> Select:
    """Distinct users per window: each user's latest event in the 90 days, counted per window.

    The windows share their end, so a user was active in the last N days exactly when their
    latest event of the last 90 days falls in it; a hash GROUP BY (account, user) avoids
    COUNT(DISTINCT), which forces a sort.
    """
    e = Event.__table__.c
    s90, end = window_bounds(as_of, 90)
    latest = (
        select(e.account_id, e.actor, func.max(e.ts).label("last_ts"))
        .where(e.ts >= s90, e.ts < end, e.actor.is_not(None), e.actor != "")
        .group_by(e.account_id, e.actor)
        .subquery()
    )
    cols = [latest.c.account_id]
    for w in WINDOWS:
        cols.append(
            func.count()
            .filter(latest.c.last_ts >= window_bounds(as_of, w)[0])
            .label(f"active_users_{w}d")
        )
    return select(*cols).group_by(latest.c.account_id)


_ACTIVE_COLS = tuple(f"active_users_{w}d" for w in WINDOWS)
_INT_COLS = (
    *(f"{n}_{w}d" for n in (*_COUNTED, "purchase_count") for w in WINDOWS),
    "logins_prev_30d",
    "purchase_count_total",
)
_FLOAT_COLS = (*(f"purchase_amount_{w}d" for w in WINDOWS), "purchase_amount_total")


def _as_datetime(v: Any) -> dt.datetime | None:
    if v is None or isinstance(v, dt.datetime):
        return v
    return dt.datetime.fromisoformat(str(v))


def _latest_nps(session: Session, as_of: dt.date) -> dict[int, tuple[int, dt.date]]:
    n = NpsResponse.__table__.c
    ranked = (
        select(
            n.account_id,
            n.score,
            n.date,
            func.row_number()
            .over(partition_by=n.account_id, order_by=(n.date.desc(), n.id.desc()))
            .label("rn"),
        )
        .where(n.date <= as_of)
        .subquery()
    )
    rows = session.connection().execute(
        select(ranked.c.account_id, ranked.c.score, ranked.c.date).where(ranked.c.rn == 1)
    )
    return {a: (s, d) for a, s, d in rows.all()}


def compute(
    session: Session,
    as_of: dt.date,
    *,
    key_fields: Sequence[str] | None = None,
    health_weights: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Every account's figures as of a date, as rows for account_figures (nothing written)."""
    cols, h = _columns(session, as_of, key_fields, health_weights)
    cols["health_components"] = [h.components(i) for i in range(len(cols["account_id"]))]
    names = list(cols)
    return [dict(zip(names, values, strict=True)) for values in zip(*cols.values(), strict=True)]


def _columns(
    session: Session,
    as_of: dt.date,
    key_fields: Sequence[str] | None,
    health_weights: Mapping[str, float] | None,
) -> tuple[dict[str, list[Any]], health.HealthColumns]:
    """Every account's figures as of a date, column by column: one list per account_figures
    column but health_components (given as HealthColumns), one position per account.

    Column-wise so that a 20,000-account refresh spends its time in SQL, not in building
    per-account dicts: health and RFM are scored vectorised (store/health.compute_many,
    store/rfm.score_columns), with exactly the numbers the per-account functions give.
    """
    session.flush()  # the reads below go through the Connection, which does not autoflush
    conn = session.connection()
    with _no_jit(session):
        result = conn.execute(_event_aggregates(as_of))
        pos = {name: i for i, name in enumerate(result.keys())}
        agg = {r[0]: r for r in result.all()}
        active = {r[0]: r for r in conn.execute(_active_users(as_of)).all()}
    nps = _latest_nps(session, as_of)
    a = Account.__table__.c
    accounts = conn.execute(select(a.id, a.arr, a.contract_start, a.contract_end)).all()
    comp = completeness.ratios_all(session, key_fields)

    ids = [a[0] for a in accounts]
    n = len(ids)
    ev = [agg.get(i) for i in ids]
    cols: dict[str, list[Any]] = {"account_id": ids, "as_of": [as_of] * n}
    for c in _INT_COLS:
        j = pos[c]
        cols[c] = [int(r[j] or 0) if r is not None else 0 for r in ev]
    for c in _FLOAT_COLS:
        j = pos[c]
        cols[c] = [round(float(r[j] or 0.0), 2) if r is not None else 0.0 for r in ev]
    users = [active.get(i) for i in ids]
    for j, c in enumerate(_ACTIVE_COLS, 1):
        cols[c] = [int(u[j]) if u is not None else 0 for u in users]
    j = pos["last_login_at"]
    last_login = [_as_datetime(r[j]) if r is not None else None for r in ev]
    j = pos["last_purchase_at"]
    last_purchase = [_as_datetime(r[j]) if r is not None else None for r in ev]
    cols["last_login_at"] = last_login
    cols["last_purchase_at"] = last_purchase
    cols["days_since_login"] = [(as_of - d.date()).days if d else None for d in last_login]
    cols["login_trend"] = [
        login_trend(a, b) for a, b in zip(cols["logins_30d"], cols["logins_prev_30d"], strict=True)
    ]
    latest = [nps.get(i, (None, None)) for i in ids]
    cols["nps_latest"] = [s for s, _d in latest]
    cols["nps_date"] = [d for _s, d in latest]
    cols["nps_class"] = [nps_class(s) for s, _d in latest]
    cols["days_to_renewal"] = [(a[3] - as_of).days if a[3] is not None else None for a in accounts]
    cols["ltv"] = [
        ltv(total, count, a[1], a[2], a[3], as_of)
        for total, count, a in zip(
            cols["purchase_amount_total"], cols["purchase_count_total"], accounts, strict=True
        )
    ]
    h = health.compute_many(
        days_since_login=cols["days_since_login"],
        logins_30d=cols["logins_30d"],
        logins_prev_30d=cols["logins_prev_30d"],
        tickets_30d=cols["tickets_30d"],
        nps_latest=cols["nps_latest"],
        days_to_renewal=cols["days_to_renewal"],
        has_events=[r is not None for r in ev],
        weights=health_weights,
    )
    cols["health_score"], cols["health_band"] = h.score, h.band
    ratios = [comp.get(i) or (None, None) for i in ids]
    cols["completeness_key"] = [r[0] for r in ratios]
    cols["completeness_all"] = [r[1] for r in ratios]

    # RFM over the accounts with a purchase, ranked among them
    buyers = [
        k
        for k, (count, last) in enumerate(
            zip(cols["purchase_count_total"], last_purchase, strict=True)
        )
        if count and last is not None
    ]
    recency = [(as_of - last_purchase[k].date()).days for k in buyers]
    frequency = [cols["purchase_count_total"][k] for k in buyers]
    monetary = [cols["purchase_amount_total"][k] for k in buyers]
    scored = rfm.score_columns(recency, frequency, monetary)
    measures = {
        "rfm_recency_days": recency,
        "rfm_frequency": frequency,
        "rfm_monetary": monetary,
        "rfm_r": scored.r,
        "rfm_f": scored.f,
        "rfm_m": scored.m,
        "rfm_score": scored.score,
        "rfm_segment": scored.segment,
    }
    for name, values in measures.items():
        col: list[Any] = [None] * n
        for k, v in zip(buyers, values, strict=True):
            col[k] = v
        cols[name] = col
    return cols, h


@contextmanager
def _no_jit(session: Session) -> Iterator[None]:
    """On PostgreSQL, skip JIT for the aggregates: compiling costs more than it saves here."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    old = session.execute(text("SELECT current_setting('jit', true)")).scalar()
    if old is None:
        yield
        return
    session.execute(text("SELECT set_config('jit', 'off', true)"))
    try:
        yield
    finally:
        session.execute(text("SELECT set_config('jit', :v, true)"), {"v": old})


def refresh(
    session: Session,
    as_of: dt.date,
    *,
    key_fields: Sequence[str] | None = None,
    health_weights: Mapping[str, float] | None = None,
) -> int:
    """Rewrite every account's figures as of a date; returns how many rows were written."""
    session.flush()
    cols, h = _columns(session, as_of, key_fields, health_weights)
    n = len(cols["account_id"])
    table = AccountFigures.__table__
    session.execute(delete(table))
    if session.get_bind().dialect.name == "postgresql":
        cols["health_components"] = h.components_json()
        _copy_columns(session, cols)
    else:
        cols["health_components"] = [h.components(i) for i in range(n)]
        names = list(cols)
        for i in range(0, n, 5000):
            chunk = zip(*(cols[c][i : i + 5000] for c in names), strict=True)
            session.execute(insert(table), [dict(zip(names, v, strict=True)) for v in chunk])
    log.info("figures: %d accounts as of %s", n, as_of)
    # the facts this transaction wrote are in these figures: its commit need not refresh again
    # (store.refresh's before_commit hook reads this flag)
    session.info.pop("figures_stale", None)
    return n


def _copy_columns(session: Session, cols: dict[str, list[Any]]) -> None:
    """Write the columns with PostgreSQL COPY, inside the session's transaction (JSON as text)."""
    if not cols["account_id"]:
        return
    names = [c.name for c in AccountFigures.__table__.columns]
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY account_figures ({', '.join(names)}) FROM STDIN") as copy:
        for row in zip(*(cols[c] for c in names), strict=True):
            copy.write_row(row)
