"""Derived figures: computed set-wise from events, NPS and contracts, one row per account.

`refresh(session, as_of)` rewrites `account_figures` for every account as of a date. It reads the
events table once (one GROUP BY with conditional aggregation over every window), the latest NPS
answer per account (a window function), the contract columns, then scores RFM, health and
completeness per account in Python (per account, never per event) and bulk-inserts the rows.
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
import json
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
    rows = session.execute(
        select(ranked.c.account_id, ranked.c.score, ranked.c.date).where(ranked.c.rn == 1)
    )
    return {a: (s, d) for a, s, d in rows}


def compute(
    session: Session,
    as_of: dt.date,
    *,
    key_fields: Sequence[str] | None = None,
    health_weights: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Every account's figures as of a date, as rows for account_figures (nothing written)."""
    session.flush()  # Core statements below do not autoflush pending ORM objects
    with _no_jit(session):
        result = session.execute(_event_aggregates(as_of))
        names = list(result.keys())
        agg = {r[0]: dict(zip(names, r, strict=True)) for r in result.all()}
        active = {r[0]: r[1:] for r in session.execute(_active_users(as_of)).all()}
    nps = _latest_nps(session, as_of)
    accounts = session.execute(
        select(Account.id, Account.arr, Account.contract_start, Account.contract_end)
    ).all()
    comp = completeness.ratios_all(session, key_fields)

    rows: list[dict[str, Any]] = []
    purchases: dict[int, tuple[int, int, float]] = {}
    empty = dict.fromkeys(_INT_COLS, 0) | dict.fromkeys(_FLOAT_COLS, 0.0)
    for acc_id, arr, c_start, c_end in accounts:
        a = agg.get(acc_id)
        row: dict[str, Any] = {"account_id": acc_id, "as_of": as_of}
        if a is None:
            row.update(empty)
        else:
            for c in _INT_COLS:
                row[c] = int(a[c] or 0)
            for c in _FLOAT_COLS:
                row[c] = round(float(a[c] or 0.0), 2)
        users = active.get(acc_id)
        for i, c in enumerate(_ACTIVE_COLS):
            row[c] = int(users[i]) if users is not None else 0
        last_login = _as_datetime(a["last_login_at"]) if a is not None else None
        last_purchase = _as_datetime(a["last_purchase_at"]) if a is not None else None
        row["last_login_at"] = last_login
        row["last_purchase_at"] = last_purchase
        row["days_since_login"] = (as_of - last_login.date()).days if last_login else None
        row["login_trend"] = login_trend(row["logins_30d"], row["logins_prev_30d"])
        score, nps_date = nps.get(acc_id, (None, None))
        row["nps_latest"] = score
        row["nps_date"] = nps_date
        row["nps_class"] = nps_class(score)
        row["days_to_renewal"] = (c_end - as_of).days if c_end is not None else None
        row["ltv"] = ltv(
            row["purchase_amount_total"], row["purchase_count_total"], arr, c_start, c_end, as_of
        )
        h_score, h_band, h_comp = health.compute(
            days_since_login=row["days_since_login"],
            logins_30d=row["logins_30d"],
            logins_prev_30d=row["logins_prev_30d"],
            tickets_30d=row["tickets_30d"],
            nps_latest=score,
            days_to_renewal=row["days_to_renewal"],
            has_events=a is not None,
            weights=health_weights,
        )
        row["health_score"], row["health_band"], row["health_components"] = h_score, h_band, h_comp
        c = comp.get(acc_id)
        row["completeness_key"], row["completeness_all"] = c if c else (None, None)
        if row["purchase_count_total"] and last_purchase is not None:
            purchases[acc_id] = (
                (as_of - last_purchase.date()).days,
                row["purchase_count_total"],
                row["purchase_amount_total"],
            )
        rows.append(row)

    scored = rfm.score_table(purchases)
    for row in rows:
        r = scored.get(row["account_id"])
        row["rfm_recency_days"] = r.recency_days if r else None
        row["rfm_frequency"] = r.frequency if r else None
        row["rfm_monetary"] = r.monetary if r else None
        row["rfm_r"] = r.r if r else None
        row["rfm_f"] = r.f if r else None
        row["rfm_m"] = r.m if r else None
        row["rfm_score"] = r.score if r else None
        row["rfm_segment"] = r.segment if r else None
    return rows


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
    rows = compute(session, as_of, key_fields=key_fields, health_weights=health_weights)
    table = AccountFigures.__table__
    session.execute(delete(table))
    if session.get_bind().dialect.name == "postgresql":
        _copy_rows(session, rows)
    else:
        for i in range(0, len(rows), 5000):
            session.execute(insert(table), rows[i : i + 5000])
    log.info("figures: %d accounts as of %s", len(rows), as_of)
    return len(rows)


def _copy_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write the rows with PostgreSQL COPY, inside the session's transaction."""
    if not rows:
        return
    names = [c.name for c in AccountFigures.__table__.columns]
    json_cols = {"health_components"}
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY account_figures ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[n]) if n in json_cols and row[n] is not None else row[n]
                    for n in names
                ]
            )
