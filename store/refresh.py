"""Keep the derived-figures table fresh for the as-of a question or rule run asks about."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store import figures
from store.models import FiguresState, utcnow

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


def mark_stale(session: Session) -> None:
    """Say that stored facts changed, so the next question recomputes the figures."""
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
    figures.refresh(session, as_of)
    for hook in _after_refresh:
        hook(session, as_of)
    state = _state(session)
    state.as_of = as_of
    state.stale = False
    state.refreshed_at = utcnow()
    session.flush()
    log.info("figures refreshed as of %s", as_of)
