"""What a rule's matches look like from outside the rule engine: the values that explain a match
(as SQL JSON), the matching rows, and who an action addressed to owner/csm/manager means.

Shared by `store.rules` (which evaluates rules) and `store.alerts` (which opens alerts for them), so
neither imports the other's internals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session

from store.dialect import json_object
from store.fields import BUILTIN
from store.models import Account, AccountFigures, Rule, RuleMatch
from store.people import People
from store.query import Compiler, SpecError, load_catalogue
from store.spec import Condition, Filter


def reason_fields(cond: Condition) -> list[Filter]:
    """The filters whose values explain a match (profile fields and figures, not tags/people)."""
    seen: set[str] = set()
    out: list[Filter] = []
    for f in cond.filters():
        if f.field == "tag" or f.field.startswith("contact_") or f.field in ("owner", "csm"):
            continue
        key = f.field if f.window_days is None else f"{f.field}_{f.window_days}d"
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def values_expr(session: Session, rule: Rule, as_of: dt.date, account_id_col):  # noqa: ANN001, ANN201
    """A correlated scalar subquery: the JSON object of the rule's field values for one account."""
    return (
        select(reason_json(session, rule, as_of))
        .select_from(Account)
        .outerjoin(AccountFigures, AccountFigures.account_id == Account.id)
        .where(Account.id == account_id_col)
        .scalar_subquery()
    )


def reason_json(session: Session, rule: Rule, as_of: dt.date):  # noqa: ANN201
    """The JSON object of the rule's field values, over `accounts` LEFT JOIN `account_figures`.

    For statements that already join those two tables (one pass instead of `values_expr`'s
    lookup per row).
    """
    comp = Compiler(as_of, load_catalogue(session), session)
    pairs = []
    for f in reason_fields(Condition.model_validate(rule.condition)):
        try:
            col = comp.expr(f.field, f.window_days)
        except SpecError:
            continue
        fd = BUILTIN.get(f.field)
        if fd is not None and fd.temporal:
            col = cast(col, String)
        key = f.field if f.window_days is None else f"{f.field}_{f.window_days}d"
        pairs.append((key, col))
    inner = json_object(session, pairs) if pairs else json_object(session, [])
    return json_object(
        session,
        [
            ("rule", cast(literal(rule.name), String)),
            ("rule_id", literal(rule.id)),
            ("values", inner),
            ("as_of", cast(literal(as_of.isoformat()), String)),
        ],
    )


def recipient(people: People, who: str, owner: str | None, csm: str | None) -> str | None:
    """The user handle an action addressed to owner/csm/manager/a handle means for one account."""
    if who == "owner":
        return people.handle(owner)
    if who == "csm":
        return people.handle(csm)
    if who == "manager":
        boss = people.manager_of(people.resolve(owner) or people.resolve(csm))
        return boss.handle if boss else None
    return people.handle(who) or who


def recipient_or_fallback(
    people: People, who: str, owner: str | None, csm: str | None
) -> tuple[str | None, str | None]:
    """(handle, fallback reason): the addressee, else the manager of whoever the account names,
    else an admin — a message whose recipient is missing is redirected, never dropped."""
    to = recipient(people, who, owner, csm)
    if to is not None and people.resolve(to) is not None:
        return to, None
    boss, why = people.fallback_for(people.resolve(owner), people.resolve(csm))
    if boss is None:
        return None, "nobody"
    return boss.handle, f"no {who}: {why}"


def match_rows(session: Session, rule: Rule) -> list[Any]:
    """The rule's matches as (account id, name, external id, owner, csm, since), by account."""
    return list(
        session.execute(
            select(
                Account.id,
                Account.name,
                Account.external_id,
                Account.owner,
                Account.csm,
                RuleMatch.since,
            )
            .join(RuleMatch, RuleMatch.account_id == Account.id)
            .where(RuleMatch.rule_id == rule.id)
            .order_by(Account.id)
        ).all()
    )
