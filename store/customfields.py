"""Custom fields: admins add them at run time; no migration, at once importable and askable."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store import audit
from store.fields import BUILTIN
from store.models import CustomField, CustomValue
from store.values import parse_date, parse_number

FIELD_TYPES = ("text", "number", "date", "choice", "region")
TYPE_ALIASES = {
    "文本": "text",
    "string": "text",
    "str": "text",
    "数字": "number",
    "数值": "number",
    "int": "number",
    "float": "number",
    "money": "number",
    "日期": "date",
    "选项": "choice",
    "单选": "choice",
    "enum": "choice",
    "地区": "region",
    "区域": "region",
}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class FieldError(ValueError):
    """A custom field definition or value that cannot be accepted; the message says why."""


def slug(label: str) -> str:
    """A field key from an English label: 'Budget Owner' -> 'budget_owner'."""
    s = re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")
    return s[:63] if s and s[0].isalpha() else ("f_" + s)[:63] if s else ""


def builtin_with_label(label: str | None):  # noqa: ANN201
    """The built-in field a label already names (a header or a question could mean either)."""
    n = (label or "").strip().lower()
    if not n:
        return None
    return next(
        (f for f in BUILTIN.values() if n in (f.label_en.lower(), f.label_zh.lower())), None
    )


def list_fields(session: Session) -> list[CustomField]:
    return list(session.scalars(select(CustomField).order_by(CustomField.id)))


def get_field(session: Session, name: str) -> CustomField | None:
    """A custom field by key, English or Chinese label, or alias (case-insensitive)."""
    n = name.strip().lower()
    for f in list_fields(session):
        names = {f.key.lower(), f.label_en.lower(), (f.label_zh or "").lower()}
        names |= {str(a).lower() for a in f.aliases or ()}
        if n in names:
            return f
    return None


def add_field(
    session: Session,
    *,
    key: str | None = None,
    label_en: str,
    label_zh: str | None = None,
    type: str = "text",  # noqa: A002
    choices: list[str] | None = None,
    is_key: bool = False,
    aliases: list[str] | None = None,
    actor: str | None = None,
    platform: str = "cli",
) -> CustomField:
    """Define a new custom field; errors say what is wrong and how to fix it."""
    t = TYPE_ALIASES.get(type.strip().lower(), type.strip().lower())
    if t not in FIELD_TYPES:
        raise FieldError(f"unknown field type '{type}': use one of {', '.join(FIELD_TYPES)}")
    key = (key or slug(label_en)).strip().lower()
    if not _KEY.match(key):
        raise FieldError(
            f"'{key}' is not a valid field key: use lower-case letters, digits and _ "
            "(e.g. budget_owner)"
        )
    if key in BUILTIN:
        raise FieldError(f"'{key}' is already a built-in field")
    if session.scalar(select(func.count()).where(CustomField.key == key)):
        raise FieldError(f"a custom field '{key}' exists already")
    if t == "choice" and not choices:
        raise FieldError("a choice field needs its choices, e.g. --choices low,medium,high")
    field = CustomField(
        key=key,
        label_en=label_en.strip(),
        label_zh=(label_zh or "").strip() or None,
        type=t,
        choices=[c.strip() for c in choices or [] if c.strip()] or None,
        is_key=is_key,
        aliases=aliases or None,
        created_by=actor,
    )
    session.add(field)
    session.flush()
    audit.record(
        session,
        actor,
        "field.add",
        platform=platform,
        detail={"key": key, "type": t, "label_en": field.label_en, "label_zh": field.label_zh},
    )
    return field


def coerce(field: CustomField, raw: Any) -> tuple[str | None, float | None, dt.date | None]:
    """(text, number, date) storage of a value for this field; FieldError when it does not fit."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None, None
    if field.type == "number":
        if isinstance(raw, int | float):
            return None, float(raw), None
        num = parse_number(str(raw))
        if num is None:
            raise FieldError(f"{field.label_en}: '{raw}' is not a number")
        return None, num, None
    if field.type == "date":
        if isinstance(raw, dt.date):
            return None, None, raw
        d = parse_date(str(raw))
        if d is None:
            raise FieldError(f"{field.label_en}: '{raw}' is not a date")
        return None, None, d
    text = str(raw).strip()
    if field.type == "choice" and field.choices:
        match = next((c for c in field.choices if c.lower() == text.lower()), None)
        if match is None:
            raise FieldError(
                f"{field.label_en}: '{text}' is not one of {', '.join(map(str, field.choices))}"
            )
        text = match
    return text, None, None


def set_value(
    session: Session,
    account_id: int,
    field: CustomField,
    raw: Any,
    *,
    source: str = "person",
    actor: str | None = None,
) -> bool:
    """Store one account's value; returns whether it changed."""
    text, num, date = coerce(field, raw)
    row = session.get(CustomValue, (account_id, field.id))
    if row is None:
        if text is None and num is None and date is None:
            return False
        session.add(
            CustomValue(
                account_id=account_id,
                field_id=field.id,
                value_text=text,
                value_num=num,
                value_date=date,
                source=source,
                updated_by=actor,
            )
        )
        return True
    if (row.value_text, row.value_num, row.value_date) == (text, num, date):
        return False
    row.value_text, row.value_num, row.value_date = text, num, date
    row.source, row.updated_by = source, actor
    return True


def values_for(session: Session, account_id: int) -> dict[str, Any]:
    """Every custom field's value for one account (None when unset), by key."""
    out: dict[str, Any] = {f.key: None for f in list_fields(session)}
    rows = session.execute(
        select(
            CustomField.key, CustomValue.value_text, CustomValue.value_num, CustomValue.value_date
        )
        .join(CustomValue, CustomValue.field_id == CustomField.id)
        .where(CustomValue.account_id == account_id)
    )
    for key, text, num, date in rows:
        out[key] = date if date is not None else num if num is not None else text
    return out
