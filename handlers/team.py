"""A manager's team at a glance: each person's book (accounts, at risk, ARR), asked through the
spine — breakdowns by owner compiled by the store with the asker's scope — so one person is one
line however the book spells them (`Bob Li`, `bob@acme.com`), exactly as `ask` would group them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from store.query import Scope, run
from store.spec import Aggregate, Condition, Filter, Spec

RISK_TAG = "churn_risk"

BOOKS = Spec(group_by="owner", aggregate=Aggregate(func="sum", field="arr"))
AT_RISK = Spec(
    where=Condition(all=[Filter(field="tag", op="eq", value=RISK_TAG)]),
    group_by="owner",
)


@dataclass
class PersonBook:
    """One owner's accounts in the asker's scope."""

    owner: str  # display name (or the cell as written when it names nobody); "—" for none
    handle: str | None
    accounts: int
    at_risk: int
    arr: float


def team_books(session: Session, scope: Scope, as_of: dt.date) -> list[PersonBook]:
    """Each owner's book inside the scope, largest first."""

    def key(group: dict) -> object:
        return ("user", group["handle"]) if group.get("handle") else ("cell", group["key"])

    risky = {key(g): g["count"] for g in run(session, AT_RISK, scope, as_of).groups}
    books = [
        PersonBook(
            owner=str(g["key"]) if g["key"] not in (None, "") else "—",
            handle=g.get("handle"),
            accounts=int(g["count"]),
            at_risk=int(risky.get(key(g), 0)),
            arr=float(g["value"] or 0),
        )
        for g in run(session, BOOKS, scope, as_of).groups
    ]
    return sorted(books, key=lambda b: (-b.accounts, -b.arr, b.owner))
