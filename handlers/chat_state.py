"""What a conversation remembers between messages, kept in the database (chat_state) so any bot
instance can take the next message: per user and platform, forgotten after a while of silence.

The context is the previous answer's spec (what "of those" / "其中" refine) and, while the bot
waits for one, a numbered choice among accounts ("which Acme? 1 … 2 …").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from handlers.messages import IncomingMessage
from store.models import ChatState

KEY = "conversation"
SILENCE = dt.timedelta(minutes=30)  # a context older than this is forgotten


def _stamp(now: dt.datetime) -> str:
    return now.replace(tzinfo=None).isoformat(timespec="seconds")


def load(session: Session, msg: IncomingMessage, now: dt.datetime) -> dict[str, Any]:
    """The asker's live context on this platform ({} when none or after the silence)."""
    if not msg.user:
        return {}
    row = session.get(ChatState, msg.user)
    ctx = ((row.state or {}).get(KEY) or {}).get(msg.platform) if row else None
    if not ctx:
        return {}
    try:
        at = dt.datetime.fromisoformat(str(ctx.get("at")))
    except ValueError:
        return {}
    if now.replace(tzinfo=None) - at > SILENCE:
        return {}
    return dict(ctx)


def save(session: Session, msg: IncomingMessage, now: dt.datetime, **parts: Any) -> None:
    """Replace the asker's context on this platform with `parts` (stamped now)."""
    if not msg.user:
        return
    row = session.get(ChatState, msg.user)
    state = dict(row.state or {}) if row else {}
    by_platform = dict(state.get(KEY) or {})
    by_platform[msg.platform] = {**parts, "at": _stamp(now)}
    state[KEY] = by_platform
    if row is None:
        session.add(ChatState(user_handle=msg.user, state=state))
    else:
        row.state = state
    session.flush()


def update(session: Session, msg: IncomingMessage, now: dt.datetime, **parts: Any) -> None:
    """Keep the live context, change some parts (a None part is dropped)."""
    ctx = load(session, msg, now)
    ctx.pop("at", None)
    ctx.update(parts)
    save(session, msg, now, **{k: v for k, v in ctx.items() if v is not None})


def user_state(session: Session, handle: str) -> dict[str, Any]:
    """A user's whole small state (pending confirmations by key), {} when none."""
    row = session.get(ChatState, handle)
    return dict(row.state or {}) if row else {}


def put_user_state(session: Session, handle: str, state: dict[str, Any]) -> None:
    """Replace a user's whole small state."""
    row = session.get(ChatState, handle)
    if row is None:
        session.add(ChatState(user_handle=handle, state=state))
    else:
        row.state = state
    session.flush()
