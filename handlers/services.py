"""What a handler or job needs from the outside world, bundled and passed down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from handlers.messages import Reply
from store.refresh import pin_sessions
from store.settings import Settings
from store.spec import Spec


class Messenger(Protocol):
    """A platform's way to send: each returns a reference ({"channel", "ts"} or similar)."""

    platform: str

    def dm(self, user_handle: str, reply: Reply) -> dict[str, Any]: ...

    def post(self, channel: str, reply: Reply) -> dict[str, Any]: ...

    def update(self, ref: dict[str, Any], reply: Reply) -> None: ...


class Understander(Protocol):
    """Turns a question into a Spec (the LLM door); None when it cannot."""

    def understand(self, text: str, language: str, context: dict[str, Any]) -> Spec | None: ...

    def extract(
        self, text: str, fields: dict[str, Any], language: str
    ) -> dict[str, Any] | None: ...


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Services:
    """Settings, the session factory, the optional LLM, messengers by platform and the clock."""

    settings: Settings
    session_factory: sessionmaker[Session]
    understander: Understander | None = None
    messengers: dict[str, Messenger] = field(default_factory=dict)
    clock: Callable[[], dt.datetime] = _utcnow
    as_of: dt.date | None = None  # a fixed "today" (--as-of); None means the clock's date

    def __post_init__(self) -> None:
        pin_sessions(self.session_factory, self.as_of)

    def today(self, override: dt.date | None = None) -> dt.date:
        """As-of for a request: the message's, the fixed one, or the clock's date."""
        return override or self.as_of or self.clock().date()

    def now(self) -> dt.datetime:
        if self.as_of is not None:
            return dt.datetime.combine(self.as_of, dt.time(9, 0))
        return self.clock()
