"""Profile completeness (信息完成度): the share of key fields filled, and of all fields.

Key fields are `store.fields.DEFAULT_KEY_FIELDS` (industry, size, region, plan, ARR, contract end,
an EB, a TB, a UB, pains, decision process, budget) unless a list is given, plus every custom field
marked key. `contact:EB` means "a key person with buying role EB" (the same for TB, UB).

All fields are every profile field a person fills — the account columns except the identifier
and the rule-owned labels (tier, status) — plus a key person of each buying role and every custom
field. A text field counts as filled when it is not blank.

`missing_fields` lists what an account lacks, most valuable first: key fields in VALUE_ORDER, then
key custom fields, then the other fields; the profile card turns the first few into questions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Text, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from store.fields import ACCOUNT_FIELDS, BUILTIN, DEFAULT_KEY_FIELDS
from store.lang import people as lang_people
from store.models import Account, Contact, CustomField, CustomValue

ROLE_FIELDS = ("contact:EB", "contact:TB", "contact:UB")
_NOT_PROFILE = ("account_id", "name", "tier", "status")
ACCOUNT_PROFILE_FIELDS: tuple[str, ...] = tuple(
    f.key for f in ACCOUNT_FIELDS if f.key not in _NOT_PROFILE
)
ALL_BUILTIN_FIELDS: tuple[str, ...] = (*ACCOUNT_PROFILE_FIELDS, *ROLE_FIELDS)

# Most valuable first: who decides and when the money is at stake, then why they buy, then shape.
VALUE_ORDER: tuple[str, ...] = (
    "contact:EB",
    "contract_end",
    "arr",
    "budget",
    "decision_process",
    "pains",
    "contact:TB",
    "plan",
    "industry",
    "employees",
    "city",
    "contact:UB",
    "contract_start",
    "annual_revenue",
    "price_sensitivity",
    "owner",
    "csm",
    "domain",
    "province",
    "country",
    "stage",
    "founded",
    "parent",
    "notes",
)

# a key person's field as a reply names it ("Economic buyer (EB)" / "决策人"), from the one role table
ROLE_LABELS = {
    f"contact:{role}": (f"{en.capitalize()} ({role})", zh)
    for role, (en, zh) in lang_people.ROLE_LABELS.items()
}

QUESTIONS: dict[str, tuple[str, str]] = {
    "contact:EB": (
        "Who signs off on the budget (the economic buyer)?",
        "谁最终拍板、批预算（决策人）？",
    ),
    "contact:TB": ("Who evaluates the product technically?", "谁负责技术评估？"),
    "contact:UB": ("Who uses the product day to day?", "日常使用产品的是谁？"),
    "contract_end": ("When does their contract end?", "合同什么时候到期？"),
    "arr": ("What is their annual contract value (ARR)?", "年合同额是多少？"),
    "budget": (
        "What budget do they have for this, and who holds it?",
        "这方面的预算有多少，谁掌握？",
    ),
    "decision_process": (
        "How do they decide on a purchase — steps, people, timing?",
        "他们的采购决策流程是怎样的？",
    ),
    "pains": ("What problems are they trying to solve?", "他们最想解决的痛点是什么？"),
    "plan": ("Which plan are they on?", "他们用的是哪个版本？"),
    "industry": ("Which industry are they in?", "他们属于哪个行业？"),
    "employees": ("How many employees do they have?", "公司有多少员工？"),
    "city": ("Where are they based?", "公司在哪个城市？"),
}


def label(key: str, lang: str = "en", custom: dict[str, CustomField] | None = None) -> str:
    """A completeness field's label in the asker's language."""
    if key in ROLE_LABELS:
        en, zh = ROLE_LABELS[key]
        return zh if lang == "zh" else en
    if custom and key in custom:
        c = custom[key]
        return (c.label_zh or c.label_en) if lang == "zh" else c.label_en
    f = BUILTIN.get(key)
    return f.label(lang) if f else key


def question(key: str, lang: str = "en", custom: dict[str, CustomField] | None = None) -> str:
    """What to ask to fill a field."""
    if key in QUESTIONS:
        en, zh = QUESTIONS[key]
        return zh if lang == "zh" else en
    name = label(key, lang, custom)
    return f"他们的{name}是什么？" if lang == "zh" else f"What is their {name.lower()}?"


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


@dataclass(frozen=True)
class Completeness:
    """One account's completeness: ratios 0-1 and the missing fields, most valuable first."""

    key: float
    all: float
    missing: tuple[str, ...]
    missing_key: tuple[str, ...]


def _order(keys: Iterable[str], key_set: set[str]) -> list[str]:
    pos = {k: i for i, k in enumerate(VALUE_ORDER)}
    return sorted(keys, key=lambda k: (k not in key_set, pos.get(k, len(pos)), k))


def evaluate(
    filled: set[str], key_fields: Sequence[str], all_fields: Sequence[str]
) -> Completeness:
    """Ratios and ordered missing list from the set of filled field keys."""
    key_set = set(key_fields)
    kf = [k for k in key_fields]
    key_ratio = sum(k in filled for k in kf) / len(kf) if kf else 1.0
    al = list(dict.fromkeys([*all_fields, *kf]))
    all_ratio = sum(k in filled for k in al) / len(al) if al else 1.0
    missing = _order([k for k in al if k not in filled], key_set)
    return Completeness(
        round(key_ratio, 4),
        round(all_ratio, 4),
        tuple(missing),
        tuple(k for k in missing if k in key_set),
    )


def field_sets(
    session: Session, key_fields: Sequence[str] | None = None
) -> tuple[list[str], list[str], dict[str, CustomField]]:
    """(key fields, all fields, custom fields by key) for this database."""
    custom = {c.key: c for c in session.scalars(select(CustomField).order_by(CustomField.id))}
    base_key = list(key_fields if key_fields is not None else DEFAULT_KEY_FIELDS)
    keys = list(dict.fromkeys([*base_key, *(k for k, c in custom.items() if c.is_key)]))
    all_fields = list(dict.fromkeys([*ALL_BUILTIN_FIELDS, *custom]))
    return keys, all_fields, custom


def _account_cols(fields: Iterable[str]) -> dict[str, Any]:
    out = {}
    for k in fields:
        f = BUILTIN.get(k)
        if f is not None and f.source == "account":
            out[k] = getattr(Account, f.column or f.key)
    return out


def filled_by_account(
    session: Session, fields: Sequence[str], account_ids: Sequence[int] | None = None
) -> dict[int, set[str]]:
    """Which of the given fields each account has filled (a few set-wise queries)."""
    cols = _account_cols(fields)
    stmt = select(Account.id, *cols.values())
    if account_ids is not None:
        stmt = stmt.where(Account.id.in_(list(account_ids)))
    out: dict[int, set[str]] = {}
    names = list(cols)
    for row in session.execute(stmt):
        out[row[0]] = {n for n, v in zip(names, row[1:], strict=True) if _filled(v)}
    roles = [k.split(":", 1)[1] for k in fields if k.startswith("contact:")]
    if roles:
        cstmt = select(Contact.account_id, Contact.role).where(Contact.role.in_(roles)).distinct()
        if account_ids is not None:
            cstmt = cstmt.where(Contact.account_id.in_(list(account_ids)))
        for acc, role in session.execute(cstmt):
            if acc in out:
                out[acc].add(f"contact:{role}")
    customs = [k for k in fields if k not in BUILTIN and not k.startswith("contact:")]
    if customs:
        vstmt = (
            select(CustomValue.account_id, CustomField.key)
            .join(CustomField, CustomField.id == CustomValue.field_id)
            .where(
                CustomField.key.in_(customs),
                (CustomValue.value_num.is_not(None))
                | (CustomValue.value_date.is_not(None))
                | ((CustomValue.value_text.is_not(None)) & (CustomValue.value_text != "")),
            )
        )
        if account_ids is not None:
            vstmt = vstmt.where(CustomValue.account_id.in_(list(account_ids)))
        for acc, key in session.execute(vstmt):
            if acc in out:
                out[acc].add(key)
    return out


def _filled_expr(col: Any) -> Any:
    """1 when an account column is filled (text: not blank), else 0 — in SQL."""
    if isinstance(col.type, String | Text):
        cond = and_(col.is_not(None), func.trim(col) != "")
    else:
        cond = col.is_not(None)
    return case((cond, 1), else_=0)


def ratios_all(
    session: Session, key_fields: Sequence[str] | None = None
) -> dict[int, tuple[float, float]]:
    """(key, all) completeness of every account, counted set-wise in SQL."""
    keys, all_fields, custom = field_sets(session, key_fields)
    # flushed, then read through the Connection: plain rows, no ORM loading per row
    session.flush()
    conn = session.connection()
    key_set = set(keys)
    every = list(dict.fromkeys([*all_fields, *keys]))
    cols = _account_cols(every)
    key_cols = [_filled_expr(c) for k, c in cols.items() if k in key_set]
    all_cols = [_filled_expr(c) for c in cols.values()]
    zero = literal(0)
    stmt = select(
        Account.id,
        sum(key_cols, zero) if key_cols else zero,
        sum(all_cols, zero) if all_cols else zero,
    )
    counts = {a: [int(k), int(n)] for a, k, n in conn.execute(stmt).all()}
    roles = {k.split(":", 1)[1]: k for k in every if k.startswith("contact:")}
    if roles:
        for acc, role in conn.execute(
            select(Contact.account_id, Contact.role).where(Contact.role.in_(roles)).distinct()
        ).all():
            c = counts.get(acc)
            if c is not None:
                c[0] += roles[role] in key_set
                c[1] += 1
    customs = [k for k in every if k in custom]
    if customs:
        filled_value = or_(
            CustomValue.value_num.is_not(None),
            CustomValue.value_date.is_not(None),
            and_(CustomValue.value_text.is_not(None), CustomValue.value_text != ""),
        )
        stmt = (
            select(CustomValue.account_id, CustomField.key)
            .join(CustomField, CustomField.id == CustomValue.field_id)
            .where(CustomField.key.in_(customs), filled_value)
        )
        for acc, key in conn.execute(stmt).all():
            c = counts.get(acc)
            if c is not None:
                c[0] += key in key_set
                c[1] += 1
    n_key, n_all = len(keys), len(every)
    ratios: dict[tuple[int, int], tuple[float, float]] = {}  # few distinct counts: round once

    def ratio(k: int, n: int) -> tuple[float, float]:
        r = ratios.get((k, n))
        if r is None:
            r = ratios[(k, n)] = (
                round(k / n_key, 4) if n_key else 1.0,
                round(n / n_all, 4) if n_all else 1.0,
            )
        return r

    return {a: ratio(k, n) for a, (k, n) in counts.items()}


def compute_all(
    session: Session, key_fields: Sequence[str] | None = None
) -> dict[int, Completeness]:
    """Completeness of every account, with the missing fields (slower than ratios_all)."""
    keys, all_fields, _ = field_sets(session, key_fields)
    filled = filled_by_account(session, list(dict.fromkeys([*keys, *all_fields])))
    return {acc: evaluate(f, keys, all_fields) for acc, f in filled.items()}


def for_account(
    session: Session, account_id: int, key_fields: Sequence[str] | None = None
) -> Completeness:
    """Completeness of one account, with its missing fields most valuable first."""
    keys, all_fields, _ = field_sets(session, key_fields)
    filled = filled_by_account(session, list(dict.fromkeys([*keys, *all_fields])), [account_id])
    return evaluate(filled.get(account_id, set()), keys, all_fields)
