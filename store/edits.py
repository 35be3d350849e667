"""Hand edits: a person sets a field or a tag on one account, with who, through what and when.

Rules and imports change profiles in bulk; this is the small door for a salesperson who knows
better ("tag Acme vip", "把某某科技的行业改为物流"). Every change is audited with the old and the new
value, and the figures are marked stale so the next question sees it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store import audit, customfields, vocab
from store.fields import BUILTIN
from store.identity import normalise_domain
from store.lang.people import read_attitude, read_role
from store.models import Account, AccountTag, Contact, utcnow
from store.people import person_key
from store.refresh import mark_stale
from store.values import parse_date, parse_int, parse_number, parse_year

# account columns a person may set by hand (ids, names and rule-owned labels stay with their doors)
EDITABLE = (
    "domain",
    "industry",
    "employees",
    "annual_revenue",
    "city",
    "province",
    "country",
    "founded",
    "parent",
    "owner",
    "csm",
    "plan",
    "arr",
    "contract_start",
    "contract_end",
    "stage",
    "price_sensitivity",
    "pains",
    "decision_process",
    "budget",
    "notes",
    "tier",
    "status",
)


class EditError(ValueError):
    """An edit that cannot be made; the message says why and how to fix it."""


def field_key(session: Session, name: str) -> str | None:
    """A field key from a key or a label in either language ('行业' -> 'industry')."""
    n = name.strip().lower()
    for key, f in BUILTIN.items():
        if key in EDITABLE and n in (key, f.label_en.lower(), f.label_zh.lower()):
            return key
    custom = customfields.get_field(session, name)
    return custom.key if custom else None


def _coerce(key: str, raw: str) -> Any:
    text = raw.strip()
    f = BUILTIN[key]
    if text in ("", "-", "—", "none", "空", "无"):
        return None
    if key == "founded":
        year = parse_year(text)
        if year is None:
            raise EditError(f"{f.label_en}: '{raw}' is not a year, e.g. 2015")
        return year
    if key == "employees":
        n = parse_int(text)
        if n is None or n < 0:
            raise EditError(f"{f.label_en}: '{raw}' is not a whole number, e.g. 300")
        return n
    if f.type == "money":
        n = parse_number(text)
        if n is None or n < 0:
            raise EditError(f"{f.label_en}: '{raw}' is not an amount, e.g. 50000, ¥5万 or 40k")
        return n
    if f.type == "date":
        d = parse_date(text)
        if d is None:
            raise EditError(
                f"{f.label_en}: '{raw}' is not a date, e.g. 2026-12-31 or 2026年12月31日"
            )
        return d
    if key == "domain":
        d = normalise_domain(text)
        if not d or "." not in d:
            raise EditError(f"Domain: '{raw}' is not a domain, e.g. acme.com")
        return d
    if key == "price_sensitivity":
        v = vocab.canonical("price_sensitivity", text)  # the one table: 高 / 中等 / low / 不敏感
        if v is None:
            raise EditError("Price sensitivity: use low, medium or high (低/中/高)")
        return v
    if key in ("owner", "csm"):
        return person_key(text)
    return text


def set_field(
    session: Session,
    account: Account,
    name: str,
    raw: str,
    *,
    actor: str,
    platform: str,
    source: str = "person",
) -> tuple[str, Any, Any]:
    """Set one field (built-in or custom) by hand or from a note; returns (key, old, new)."""
    key = field_key(session, name)
    if key is None:
        raise EditError(
            f"'{name}' is not a field you can set — try industry, city, plan, arr, contract_end, "
            "owner, tier, or a custom field (`profilebot fields list`)"
        )
    if key in BUILTIN:
        new = _coerce(key, raw)
        old = getattr(account, key)
        if old == new:
            return key, old, new
        setattr(account, key, new)
    else:
        field = customfields.get_field(session, key)
        old = customfields.values_for(session, account.id).get(key)
        try:
            customfields.set_value(session, account.id, field, raw, source=source, actor=actor)
        except customfields.FieldError as exc:
            raise EditError(str(exc)) from exc
        new = customfields.values_for(session, account.id).get(key)
    audit.record(
        session,
        actor,
        "profile.edit",
        platform=platform,
        account_id=account.id,
        detail={"field": key, "old": _plain(old), "new": _plain(new), "source": source},
    )
    mark_stale(session)
    session.flush()
    return key, old, new


def set_key_person(
    session: Session,
    account: Account,
    role: str,
    person: dict[str, Any],
    *,
    actor: str,
    platform: str,
    source: str = "person",
) -> Contact:
    """Record a key person in a buying role: the same name is updated, a new one added (audited)."""
    name = str(person.get("name") or "").strip()
    if not name:
        raise EditError("say the person's name")
    role = read_role(role) or role.upper()  # "决策人", "eb", "economic buyer" -> EB
    attitude = read_attitude(person["attitude"]) if person.get("attitude") else None
    contact = next((c for c in account.contacts if (c.name or "").strip() == name), None)
    old = None
    if contact is None:
        contact = Contact(account_id=account.id, name=name)
        account.contacts.append(contact)
    else:
        old = {"role": contact.role, "title": contact.title, "attitude": contact.attitude}
    contact.role = role
    contact.title = person.get("title") or contact.title
    contact.attitude = attitude or person.get("attitude") or contact.attitude
    new = {"role": contact.role, "title": contact.title, "attitude": contact.attitude}
    audit.record(
        session,
        actor,
        "profile.edit",
        platform=platform,
        account_id=account.id,
        detail={"field": f"contact:{role}", "name": name, "old": old, "new": new, "source": source},
    )
    mark_stale(session)
    session.flush()
    return contact


def set_tag(
    session: Session,
    account: Account,
    tag: str,
    *,
    actor: str,
    platform: str,
    note: str | None = None,
) -> bool:
    """Put a tag on an account by hand; False when it was already there."""
    tag = tag.strip()
    if not tag:
        raise EditError("say which tag, e.g. 'tag Acme vip'")
    existing = session.scalars(
        select(AccountTag).where(AccountTag.account_id == account.id, AccountTag.tag == tag)
    ).first()
    if existing is not None:
        return False
    session.add(
        AccountTag(
            account_id=account.id,
            tag=tag,
            source="person",
            set_by=actor,
            set_at=utcnow(),
            reason={"note": note} if note else None,
        )
    )
    audit.record(
        session,
        actor,
        "tag.set",
        platform=platform,
        account_id=account.id,
        detail={"tag": tag, "source": "person", "note": note},
    )
    session.flush()
    return True


def clear_tag(session: Session, account: Account, tag: str, *, actor: str, platform: str) -> bool:
    """Take a tag off an account by hand; False when it was not there.

    A tag a rule set comes back at the rule's next run while the rule still matches; the reply
    says so.
    """
    gone = session.execute(
        delete(AccountTag).where(AccountTag.account_id == account.id, AccountTag.tag == tag.strip())
    ).rowcount
    if gone:
        audit.record(
            session,
            actor,
            "tag.clear",
            platform=platform,
            account_id=account.id,
            detail={"tag": tag.strip(), "source": "person"},
        )
    return bool(gone)


def _plain(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v
