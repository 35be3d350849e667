"""Interview state in the database: one row per (user, account) interview, versioned.

Every step of an interview is saved in the request's transaction, so a killed process loses
nothing: the next message finds the same row, the same current question and every answer. The
row's `version` column is SQLAlchemy's optimistic-concurrency counter: two bot instances editing
the same interview at once make the second commit fail (StaleDataError) instead of losing an answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import InterviewSession, InterviewTemplate, utcnow

OPEN = ("active", "paused")


def active_for(session: Session, user: str) -> InterviewSession | None:
    """The user's active interview (at most one)."""
    return session.scalars(
        select(InterviewSession)
        .where(InterviewSession.user_handle == user, InterviewSession.status == "active")
        .order_by(InterviewSession.updated_at.desc(), InterviewSession.id.desc())
    ).first()


def latest_paused(session: Session, user: str) -> InterviewSession | None:
    """The user's most recently paused interview."""
    return session.scalars(
        select(InterviewSession)
        .where(InterviewSession.user_handle == user, InterviewSession.status == "paused")
        .order_by(InterviewSession.updated_at.desc(), InterviewSession.id.desc())
    ).first()


def open_for(session: Session, user: str, account_id: int) -> InterviewSession | None:
    """The user's unfinished (active or paused) interview of one account."""
    return session.scalars(
        select(InterviewSession)
        .where(
            InterviewSession.user_handle == user,
            InterviewSession.account_id == account_id,
            InterviewSession.status.in_(OPEN),
        )
        .order_by(InterviewSession.id.desc())
    ).first()


def pause_others(session: Session, user: str, keep_id: int | None = None) -> list[int]:
    """Pause every active interview of the user except one; returns the paused ids."""
    paused = []
    for row in session.scalars(
        select(InterviewSession).where(
            InterviewSession.user_handle == user, InterviewSession.status == "active"
        )
    ):
        if row.id != keep_id:
            row.status = "paused"
            paused.append(row.id)
    session.flush()
    return paused


def start(
    session: Session,
    *,
    user: str,
    account_id: int,
    template: str,
    language: str,
    platform: str | None = None,
    channel: str | None = None,
    completeness_before: float | None = None,
) -> InterviewSession:
    """A new active interview; the user's other active interview is paused first."""
    pause_others(session, user)
    row = InterviewSession(
        user_handle=user,
        account_id=account_id,
        template=template,
        status="active",
        language=language,
        answers={},
        skipped=[],
        trail=[],
        retries=0,
        completeness_before=completeness_before,
        platform=platform,
        channel=channel,
    )
    session.add(row)
    session.flush()
    return row


def activate(session: Session, row: InterviewSession) -> None:
    """Make a paused interview the user's active one."""
    pause_others(session, row.user_handle, keep_id=row.id)
    row.status = "active"
    session.flush()


def save(
    session: Session,
    row: InterviewSession,
    *,
    answers: dict[str, Any] | None = None,
    skipped: list[str] | None = None,
    trail: list[str] | None = None,
    **changes: Any,
) -> None:
    """Write the new state (JSON columns are replaced, never mutated, so the change is seen)."""
    if answers is not None:
        row.answers = dict(answers)
    if skipped is not None:
        row.skipped = list(skipped)
    if trail is not None:
        row.trail = list(trail)
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()


def finish(session: Session, row: InterviewSession, status: str, at: dt.datetime) -> None:
    """Close an interview as done or cancelled."""
    save(session, row, status=status, finished_at=at, current=None)


def history(
    session: Session,
    *,
    user: str | None = None,
    account_id: int | None = None,
    since: dt.datetime | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[InterviewSession]:
    """Interviews newest first (digests: who did which interviews)."""
    stmt = select(InterviewSession).order_by(
        InterviewSession.updated_at.desc(), InterviewSession.id.desc()
    )
    if user:
        stmt = stmt.where(InterviewSession.user_handle == user)
    if account_id is not None:
        stmt = stmt.where(InterviewSession.account_id == account_id)
    if since is not None:
        stmt = stmt.where(InterviewSession.updated_at >= since)
    if status:
        stmt = stmt.where(InterviewSession.status == status)
    return list(session.scalars(stmt.limit(limit)))


# --------------------------------------------------------------------------- templates


def template_text(session: Session, name: str) -> str | None:
    """An admin-stored template's YAML, or None."""
    return session.scalar(select(InterviewTemplate.body).where(InterviewTemplate.name == name))


def stored_templates(session: Session) -> list[InterviewTemplate]:
    return list(session.scalars(select(InterviewTemplate).order_by(InterviewTemplate.name)))


def put_template(session: Session, name: str, body: str, actor: str | None = None) -> bool:
    """Store (or replace) a template's YAML; True when it is new."""
    row = session.scalars(select(InterviewTemplate).where(InterviewTemplate.name == name)).first()
    if row is None:
        session.add(InterviewTemplate(name=name, body=body, updated_by=actor))
        session.flush()
        return True
    row.body, row.updated_by = body, actor
    session.flush()
    return False
