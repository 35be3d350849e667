"""Users: the people who talk to the bot, their roles, managers and platform ids."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store import audit
from store.models import USER_ROLES, User

ROLE_ALIASES = {
    "sales": "sales",
    "销售": "sales",
    "客户经理": "sales",
    "am": "sales",
    "ae": "sales",
    "csm": "csm",
    "客户成功": "csm",
    "客户成功经理": "csm",
    "cs": "csm",
    "manager": "manager",
    "经理": "manager",
    "主管": "manager",
    "销售经理": "manager",
    "admin": "admin",
    "管理员": "admin",
    "ops": "admin",
}


def normalise_role(role: str | None) -> str:
    """'销售' -> 'sales'; a clear error for an unknown role."""
    r = (role or "sales").strip().lower()
    if r in ROLE_ALIASES:
        return ROLE_ALIASES[r]
    raise ValueError(f"unknown role '{role}': use one of {', '.join(USER_ROLES)}")


def get_user(session: Session, handle: str) -> User | None:
    return session.scalars(
        select(User).where(func.lower(User.handle) == handle.strip().lower())
    ).first()


def upsert_user(
    session: Session,
    *,
    handle: str,
    role: str | None = None,
    name: str | None = None,
    email: str | None = None,
    manager: str | None = None,
    timezone: str | None = None,
    slack_id: str | None = None,
    wecom_id: str | None = None,
    language: str | None = None,
    actor: str | None = None,
    platform: str = "cli",
) -> tuple[User, bool]:
    """Create or update a user by handle; returns (user, created)."""
    handle = handle.strip()
    if not handle:
        raise ValueError("a user needs a handle")
    user = get_user(session, handle)
    created = user is None
    if user is None:
        user = User(handle=handle, role=normalise_role(role))
        session.add(user)
    elif role:
        user.role = normalise_role(role)
    for attr, value in (
        ("name", name),
        ("email", email),
        ("timezone", timezone),
        ("slack_id", slack_id),
        ("wecom_id", wecom_id),
    ):
        if value:
            setattr(user, attr, value.strip().lower() if attr == "email" else value.strip())
    if language:
        lang = language.strip().lower()
        lang = {"中文": "zh", "chinese": "zh", "english": "en", "英文": "en"}.get(lang, lang[:2])
        if lang not in ("zh", "en"):
            raise ValueError(f"unknown language '{language}': use zh or en")
        user.language = lang
    if manager:
        boss = get_user(session, manager)
        if boss is None:
            raise ValueError(f"manager '{manager}' is not a user yet: add them first")
        user.manager_id = boss.id
    session.flush()
    audit.record(
        session,
        actor,
        "user.add" if created else "user.update",
        platform=platform,
        detail={"handle": user.handle, "role": user.role},
    )
    return user, created
