"""Clauses: a question cut at its conjunctions, so a negation or a window binds inside its own.

"accounts with an EB who is a blocker and no TB" is two clauses; "no" reaches the TB only. Two
bounds of one comparison joined by a conjunction ("over 50k and under 100k") stay one clause. A
conjunction between two values of one field joins them ("healthcare or retail accounts", "not in
Boston or Chicago"): one condition with two values, the conjunction kept in the clause.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.understand.tags import Tag


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    tags: tuple[Tag, ...]  # the clause's tags, conjunctions left out


_NUM = ("NUMBER", "MONEY")


def _bounds(tags: list[Tag], i: int) -> bool:
    """A conjunction between two bounds of one comparison ("ARR over 50k and under 100k",
    "大于5万且小于10万"): the second has no field of its own after it, so it is no new clause."""
    before = tags[i - 1] if i else None
    after = tags[i + 1 : i + 4]
    kinds = [t.kind for t in after]
    return (
        before is not None
        and before.kind in _NUM
        and kinds[:1] == ["CMP"]
        and len(kinds) > 1
        and kinds[1] in _NUM
        and kinds[2:3] != ["FIELD"]
    )


def value_field(t: Tag) -> str | None:
    """The field a value tag names (a city group is cities), None for other tags."""
    if t.kind in ("VALUE", "PRICE", "PRICELEVEL", "PLANWEAK"):
        return t.value[0]
    return {"CITYGROUP": "city", "CODE": "country", "GRADE": "tier", "USER": "owner"}.get(t.kind)


def joins(tags: list[Tag], i: int) -> bool:
    """Whether the conjunction tags[i] stands between two values of one field."""
    if not 0 < i < len(tags) - 1:
        return False
    left, right = value_field(tags[i - 1]), value_field(tags[i + 1])
    return left is not None and left == right


def split(text: str, tags: list[Tag]) -> list[Clause]:
    """The clauses of text, each with its tags, in order."""
    out: list[Clause] = []
    start = 0
    current: list[Tag] = []
    for i, t in enumerate(tags):
        if t.kind == "CONJ" and _bounds(tags, i):
            continue
        if t.kind == "CONJ" and not joins(tags, i):
            out.append(Clause(start, t.start, tuple(current)))
            start, current = t.end, []
        else:
            current.append(t)
    out.append(Clause(start, len(text), tuple(current)))
    return [c for c in out if c.tags]
