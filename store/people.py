"""Who a person string means: the one resolver from an owner/CSM cell, a `--as`, a Slack id or a
WeCom id to a user.

Spreadsheets name the same salesperson by handle (`bob`), by email (`Bob@Acme.com `), by display
name (`Bob Li`, `张三`, `张 三`) — often in different rows of one book — and platforms name them by
Slack or WeCom id. Every door (imports, scope, reminders, rules, alerts, delivery) asks here, so
one spelling never reaches a person where another does not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import User

_SPACES = re.compile(r"\s+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")

# Which spellings of a user are precise (an id, a handle, an email) and which a display name,
# which two people may share; precise ones win.
PRECISE = ("handle", "email", "slack_id", "wecom_id")


def person_key(text: str | None) -> str:
    """The comparable form of a person string: width folded, trimmed, lower-case, one space
    between words and none between Chinese characters ('  Bob  LI ' -> 'bob li', '张 三' -> '张三')."""
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    s = _SPACES.sub(" ", s)
    return _CJK_GAP.sub("", s)


def identifiers(user: User) -> set[str]:
    """Every spelling an owner/CSM cell or a platform may use for this user."""
    return {
        k
        for k in (person_key(getattr(user, a, None)) for a in (*PRECISE, "name"))
        if k  # noqa: SIM118
    }


class People:
    """The users of one database, indexed by every spelling that names them."""

    def __init__(self, users: Iterable[User]) -> None:
        self.users = [u for u in users]
        self.by_id = {u.id: u for u in self.users}
        self._precise: dict[str, User] = {}
        self._named: dict[str, list[User]] = {}
        for u in sorted(self.users, key=lambda u: (not u.active, u.id)):
            for attr in PRECISE:
                k = person_key(getattr(u, attr, None))
                if k:
                    self._precise.setdefault(k, u)
            k = person_key(u.name)
            if k:
                self._named.setdefault(k, []).append(u)

    @classmethod
    def load(cls, session: Session) -> People:
        """Every user (active ones win a shared spelling)."""
        return cls(session.scalars(select(User).order_by(User.id)))

    def resolve(self, text: str | None, *, active_only: bool = True) -> User | None:
        """The user a string means: by handle, email, Slack or WeCom id, else by display name
        when exactly one user has it; None for nobody (or a name two people share)."""
        k = person_key(text)
        if not k:
            return None
        user = self._precise.get(k)
        if user is None:
            named = [u for u in self._named.get(k, []) if u.active or not active_only]
            user = named[0] if len(named) == 1 else None
        if user is not None and active_only and not user.active:
            return None
        return user

    def handle(self, text: str | None) -> str | None:
        """The handle of the user a string means, or None."""
        user = self.resolve(text)
        return user.handle if user else None

    def manager_of(self, user: User | None) -> User | None:
        """The user's active manager, if any."""
        if user is None or user.manager_id is None:
            return None
        boss = self.by_id.get(user.manager_id)
        return boss if boss is not None and boss.active else None

    def admin(self) -> User | None:
        """The first active admin (the last resort for a message nobody else can take)."""
        return next((u for u in self.users if u.role == "admin" and u.active), None)

    def fallback_for(self, *people: User | None) -> tuple[User | None, str]:
        """Who takes a message whose recipient is missing: the first of these people's
        manager, else an admin. Returns (user, why) with why 'manager' or 'admin' or 'nobody'."""
        for p in people:
            boss = self.manager_of(p)
            if boss is not None:
                return boss, "manager"
        admin = self.admin()
        return (admin, "admin") if admin is not None else (None, "nobody")


def resolve(session: Session, text: str | None) -> User | None:
    """One lookup through the resolver (loads the users; use People for many)."""
    return People.load(session).resolve(text)
