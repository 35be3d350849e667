"""The outbox: every outgoing message is a row with a unique key, sent exactly once.

Keys name what the message is about, e.g. `renewal:30:42:2026-11-01`, `digest:alice:2026-11-01`,
`rule:7:42:dm:bob:2026-11-01`, `alert:15:open`. Enqueueing is INSERT … ON CONFLICT DO NOTHING, so
two scheduler processes racing on one database create one row, and a repeat run adds nothing.

Sending goes through states, each committed on its own:

    pending ──claim──▶ sending ──(rendered)──▶ delivering ──▶ sent
       ▲                  │                        │
       └── retry/back-off ┘ (429/5xx, lease over)  └─ lease over: chat → failed ("unknown"),
                                                                  webhook → pending again

A claim is an UPDATE … WHERE status='pending' whose rowcount says who won; the loser skips the
row. A crash while `sending` (nothing left the building yet) is retried after the lease. A crash
while `delivering` (the platform call may or may not have happened) is where exactly-once is
impossible; we choose **at-most-once for chat** (a person getting the same reminder twice is worse
than an operator seeing one 'failed: delivery unknown' row in `profilebot alerts --outbox`), and
**at-least-once for webhooks**, whose receivers deduplicate by the `X-Profilebot-Key` header.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, insert, or_, select, update
from sqlalchemy.orm import Session

from store.models import OutboxMessage
from store.redact import redact

RETRY_STATUSES = (429, 500, 502, 503, 504)
# delivered to the log messenger only (no chat platform configured): done, but nobody was told
LOGGED = "logged"
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


def write_lock(session: Session) -> None:
    """On SQLite, take the write lock now (BEGIN IMMEDIATE), waiting for other writers.

    A deferred SQLite transaction that read first and writes later cannot wait for the lock: it
    fails at once with "database is locked" when another process wrote meanwhile. Jobs that read,
    then write, start with this so two schedulers queue up instead. PostgreSQL needs nothing.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    raw = session.connection().connection.driver_connection
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def message(
    key: str, channel: str, recipient: str | None, payload: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    """One outbox row's values."""
    return {
        "key": key[:300],
        "channel": channel,
        "recipient": recipient,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _insert(session: Session):  # noqa: ANN202
    table = OutboxMessage.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["key"])
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["key"])
    return insert(table)


def enqueue_many(session: Session, messages: list[dict[str, Any]]) -> int:
    """Add messages whose key is new; returns how many were added (others already exist)."""
    if not messages:
        return 0
    stmt = _insert(session).returning(OutboxMessage.__table__.c.key)
    added = 0
    for i in range(0, len(messages), 1000):
        added += len(session.execute(stmt, messages[i : i + 1000]).all())
    return added


COLUMNS = (
    "key",
    "channel",
    "recipient",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


def enqueue_select(session: Session, rows: Select) -> int:
    """Add one message per row of a SELECT giving COLUMNS, as one INSERT … SELECT; rows whose
    key exists are skipped (ON CONFLICT DO NOTHING). Returns how many were added."""
    res = session.execute(
        _insert(session).from_select(list(COLUMNS), rows),
        execution_options={"preserve_rowcount": True},  # INSERT rowcount is kept only when asked
    )
    return res.rowcount


def enqueue(
    session: Session,
    key: str,
    channel: str,
    recipient: str | None,
    payload: dict[str, Any],
    now: dt.datetime,
) -> bool:
    """Add one message unless its key exists; True if added."""
    return enqueue_many(session, [message(key, channel, recipient, payload, now)]) == 1


def due_ids(session: Session, now: dt.datetime, limit: int = 200) -> list[int]:
    """Ids of pending messages whose next attempt is due, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == "pending",
                or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def claim(session: Session, message_id: int, worker: str, now: dt.datetime) -> bool:
    """Take one pending message for this worker; False if another worker got it first."""
    res = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(
            status="sending",
            claimed_by=worker,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def mark_delivering(session: Session, message_id: int, worker: str) -> bool:
    """The point of no return for chat: the platform call comes next."""
    res = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.claimed_by == worker,
        )
        .values(status="delivering")
        .execution_options(synchronize_session=False)
    )
    return res.rowcount == 1


def mark_sent(
    session: Session,
    message_id: int,
    now: dt.datetime,
    result: dict[str, Any] | None = None,
    status: str = "sent",
) -> None:
    """Delivered: 'sent' to a chat platform or webhook, LOGGED when only written to the log."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=status, sent_at=now, result=result, last_error=None)
        .execution_options(synchronize_session=False)
    )


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential back-off (30 s, 60 s, 120 s … 1 h), or the server's Retry-After if longer."""
    wait = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return max(wait, retry_after or 0)


def mark_retry(
    session: Session,
    message_id: int,
    now: dt.datetime,
    error: str,
    *,
    max_attempts: int,
    retry_after: float | None = None,
) -> str:
    """After a retryable failure: pending again with a later next attempt, or failed for good."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        return "missing"
    if row.attempts >= max_attempts:
        row.status = "failed"
    else:
        row.status = "pending"
        row.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(row.attempts, retry_after))
    row.last_error = redact(error)[:2000]  # errors may quote URLs with tokens
    row.claimed_by = None
    return row.status


def mark_failed(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status="failed", last_error=redact(error)[:2000])
        .execution_options(synchronize_session=False)
    )


def reclaim_expired(session: Session, now: dt.datetime, lease_seconds: int) -> dict[str, int]:
    """Rows whose worker vanished: retry if nothing left yet; chat 'delivering' → failed."""
    cutoff = now - dt.timedelta(seconds=lease_seconds)
    stale = OutboxMessage.claimed_at <= cutoff
    retried = session.execute(
        update(OutboxMessage)
        .where(
            stale,
            or_(
                OutboxMessage.status == "sending",
                (OutboxMessage.status == "delivering") & (OutboxMessage.channel == "webhook"),
            ),
        )
        .values(status="pending", claimed_by=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    unknown = session.execute(
        update(OutboxMessage)
        .where(stale, OutboxMessage.status == "delivering", OutboxMessage.channel != "webhook")
        .values(
            status="failed",
            last_error="delivery interrupted: not retried, so the recipient never gets it twice",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"retried": retried or 0, "unknown": unknown or 0}


def counts(session: Session) -> dict[str, int]:
    """Messages by status."""
    from sqlalchemy import func

    return {
        s: n
        for s, n in session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
    }
