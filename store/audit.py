"""The audit log: who changed or saw what, through which platform, when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from store.models import AuditEntry, utcnow


def record(
    session: Session,
    actor: str | None,
    action: str,
    *,
    platform: str | None = None,
    account_id: int | None = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Write one audit entry (the caller's transaction commits it)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        platform=platform,
        account_id=account_id,
        detail=detail,
        at=at or utcnow(),
    )
    session.add(entry)
    return entry


def record_many(
    session: Session,
    actor: str | None,
    action: str,
    account_ids: list[int],
    *,
    platform: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One entry per account, as bulk INSERTs (answers that show accounts, rule runs)."""
    if not account_ids:
        return
    now = utcnow()
    rows = [
        {
            "at": now,
            "actor": actor,
            "action": action,
            "platform": platform,
            "account_id": a,
            "detail": detail,
        }
        for a in account_ids
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(AuditEntry), rows[start : start + 5000])


def entries(
    session: Session,
    user: str | None = None,
    account_id: int | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """Newest first, optionally for one actor and/or one account."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if user:
        stmt = stmt.where(AuditEntry.actor == user)
    if account_id is not None:
        stmt = stmt.where(AuditEntry.account_id == account_id)
    return list(session.scalars(stmt))
