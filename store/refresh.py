"""Keep the derived-figures table fresh: refreshed on the write side, only read by questions.

Who refreshes: every transaction that changes stored facts calls `mark_stale`, and its commit
recomputes the figures (`before_commit` below) as of the date the writer pinned (`pin_as_of`: an
import's or the demo's `--as-of`, a chat edit's as-of), else the date they are held for, else
today. The scheduler's jobs and `profilebot refresh` move them to a new day. A question never
takes the `figures_state` lock: it reads `held()` and says so when the figures are stale or held
for another date than its as-of.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from store import figures
from store.models import (
    Account,
    AccountAlias,
    AccountTag,
    Contact,
    CustomField,
    CustomValue,
    Event,
    FiguresState,
    NpsResponse,
    Rule,
    SavedSegment,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

AfterRefresh = Callable[[Session, dt.date], object]
_after_refresh: list[AfterRefresh] = []


def after_refresh(hook: AfterRefresh) -> AfterRefresh:
    """Register what must follow every figures refresh, in the same transaction (the rules
    re-apply their tags and fields: `store.rules` registers that when imported, which the
    `store` package does first). Used as a decorator; registering twice is harmless."""
    if hook not in _after_refresh:
        _after_refresh.append(hook)
    return hook


def _state(session: Session, lock: bool = False) -> FiguresState:
    stmt = select(FiguresState).where(FiguresState.id == 1)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    state = session.scalars(stmt).first()
    if state is None:
        state = FiguresState(id=1, stale=True, data_version=0)
        session.add(state)
        session.flush()
    return state


@dataclass(frozen=True)
class Held:
    """Which day the figures table holds, and whether a write made it stale since."""

    as_of: dt.date | None
    stale: bool
    refreshed_at: dt.datetime | None

    def behind(self, as_of: dt.date) -> bool:
        """True when an answer as of `as_of` is computed on other (or stale) figures."""
        return self.stale or self.as_of != as_of


def held(session: Session) -> Held:
    """What the figures table holds, read without a lock and without writing."""
    row = session.execute(
        select(FiguresState.as_of, FiguresState.stale, FiguresState.refreshed_at).where(
            FiguresState.id == 1
        )
    ).first()
    if row is None:
        return Held(None, True, None)
    return Held(row.as_of, bool(row.stale), row.refreshed_at)


def pin_as_of(session: Session, as_of: dt.date | None) -> None:
    """Say which day this session's writes should refresh the figures as of."""
    if as_of is not None:
        session.info["figures_as_of"] = as_of


def pin_sessions(session_factory: sessionmaker[Session], as_of: dt.date | None) -> None:
    """Every session from this factory refreshes the figures it stales as of `as_of` (a command
    run with --as-of: its writes keep the book's day)."""
    if as_of is not None:
        session_factory.configure(info={"figures_as_of": as_of})


def mark_stale(session: Session) -> None:
    """Say that stored facts changed: this transaction's commit recomputes the figures."""
    session.info["figures_stale"] = True
    _state(session)
    session.execute(
        update(FiguresState)
        .where(FiguresState.id == 1)
        .values(stale=True, data_version=FiguresState.data_version + 1)
    )


def ensure_fresh(session: Session, as_of: dt.date) -> bool:
    """Recompute figures (and rule-set tags) when stale or held for another date; True if it did."""
    state = _state(session, lock=True)
    if not state.stale and state.as_of == as_of:
        return False
    refresh(session, as_of)
    return True


def refresh(session: Session, as_of: dt.date) -> None:
    """Recompute every account's figures as of a date, then run the after-refresh hooks (the rules'
    tags and fields)."""
    session.flush()  # what this transaction wrote so far is in the figures below
    session.info["figures_refreshing"] = True
    try:
        figures.refresh(session, as_of)
        for hook in _after_refresh:
            hook(session, as_of)
        state = _state(session)
        state.as_of = as_of
        state.stale = False
        state.refreshed_at = utcnow()
        session.flush()
    finally:
        session.info.pop("figures_refreshing", None)
    session.info.pop("figures_stale", None)  # fresh: nothing left for the commit to do
    log.info("figures refreshed as of %s", as_of)


# what the figures and the rule-set tags are computed from: writing one of these stales them
FACTS = (Account, Contact, Event, NpsResponse, AccountTag, CustomField, CustomValue, Rule)


# what else a process may cache (the parser's context of names, people, segments): writing one
# bumps figures_state.data_version, the key every such cache is checked against
CONTENT = (*FACTS, User, AccountAlias, SavedSegment)


@event.listens_for(Session, "before_flush")
def _notice_facts(session: Session, _context: object, _instances: object) -> None:
    """A flush that writes a fact marks the figures stale, whoever wrote it (the rows a refresh
    writes itself do not); one that writes other cached content bumps the data version."""
    if session.info.get("figures_refreshing"):
        return
    changed = [*session.new, *session.deleted]
    changed += [o for o in session.dirty if isinstance(o, CONTENT) and session.is_modified(o)]
    for obj in changed:
        if isinstance(obj, FACTS):
            session.info["figures_stale"] = True
            return
        if isinstance(obj, CONTENT):
            session.info["content_changed"] = True


@event.listens_for(Session, "before_commit")
def _refresh_on_commit(session: Session) -> None:
    """A transaction that marked the figures stale refreshes them before it commits (the write
    side pays, never a question). A failing refresh leaves them stale and the write stands."""
    if session.in_nested_transaction() or session.info.get("figures_refreshing"):
        return  # a savepoint's commit (also fires this event): the outer commit decides
    session.flush()  # a fact still pending marks them stale now
    if session.info.pop("content_changed", False) and not session.info.get("figures_stale"):
        _state(session)
        session.execute(
            update(FiguresState)
            .where(FiguresState.id == 1)
            .values(data_version=FiguresState.data_version + 1)
        )
    if not session.info.pop("figures_stale", False):
        return
    day = session.info.get("figures_as_of") or held(session).as_of or utcnow().date()
    # a session of its own on this transaction's connection: the rules' set-wise writes expire
    # its objects, not the ones the writer still holds after the commit
    conn = session.connection()
    savepoint = conn.begin_nested()
    try:
        with Session(bind=conn, join_transaction_mode="rollback_only") as inner:
            mark_stale(inner)  # bumps data_version for the caches keyed on it
            refresh(inner, day)
            inner.flush()
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        log.exception("figures not refreshed after a write; they stay stale until the next run")


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    """A rolled-back write has nothing to refresh (a savepoint's rollback keeps the outer one's)."""
    if session.in_transaction():
        return
    session.info.pop("figures_stale", None)
    session.info.pop("content_changed", None)
