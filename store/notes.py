"""Quick notes: a line a salesperson writes between interviews, on the account's timeline.

A note is kept as written, with its author, platform and time; the facts it carries (found by the
same readers interviews use) are shown to the author first and filed to the profile only when they
say yes, through the same audited edit path as hand edits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import audit
from store.edits import set_field, set_key_person
from store.models import Account, AccountNote


def add_note(
    session: Session,
    account: Account,
    text: str,
    *,
    author: str,
    platform: str,
    language: str,
    facts: dict[str, Any] | None = None,
    when: dt.datetime | None = None,
) -> AccountNote:
    """Put a note on the account's timeline (audited); its facts are kept, not yet filed."""
    note = AccountNote(
        account_id=account.id,
        author=author,
        platform=platform,
        language=language,
        text=text.strip(),
        facts=facts or {},
        filed=False,
    )
    if when is not None:
        note.created_at = when
    session.add(note)
    session.flush()
    audit.record(
        session,
        author,
        "note.add",
        platform=platform,
        account_id=account.id,
        detail={"note_id": note.id, "facts": sorted(note.facts)},
    )
    return note


def file_facts(session: Session, note: AccountNote, *, actor: str, platform: str) -> list[str]:
    """Write the note's facts to the profile (each change audited); returns the fields changed."""
    account = session.get(Account, note.account_id)
    if account is None or note.filed:
        return []
    changed: list[str] = []
    for key, value in (note.facts or {}).items():
        if key.startswith("contact:"):
            if isinstance(value, dict) and value.get("name"):
                set_key_person(
                    session,
                    account,
                    key.split(":", 1)[1],
                    value,
                    actor=actor,
                    platform=platform,
                    source="note",
                )
                changed.append(key)
            continue
        _key, old, new = set_field(
            session, account, key, str(value), actor=actor, platform=platform, source="note"
        )
        if old != new:
            changed.append(key)
    note.filed = True
    session.flush()
    return changed


def recent_notes(session: Session, account_id: int, limit: int = 5) -> list[AccountNote]:
    """The account's latest notes, newest first."""
    return list(
        session.scalars(
            select(AccountNote)
            .where(AccountNote.account_id == account_id)
            .order_by(AccountNote.created_at.desc(), AccountNote.id.desc())
            .limit(limit)
        )
    )
