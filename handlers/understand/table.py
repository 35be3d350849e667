"""What a row of the pattern table is, and what it may add to a question's spec.

A row (patterns.py explains the matching) is a pattern over tag kinds, a builder and its examples.
A builder turns the matched tags into items: conditions (Filter, Condition) and the other parts of
a spec a question can ask for (a Sort, an Aggregate, a limit, a breakdown, a count, a column).
The parser applies every item of every hit; a topic never touches the parser's state itself.

Topic modules (handlers/understand/topics/) each hold their ROWS, their MACROS and their builders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.understand.tags import Tag
from store.spec import Aggregate, Condition, Filter, Sort


@dataclass(frozen=True)
class Limit:
    """Show only the first n ("top 5", "前十"); None: the number the question says near the
    row's words ("which 5 accounts renew soonest"), else 1 for a singular question, 10 else."""

    n: int | None


@dataclass(frozen=True)
class GroupBy:
    """A breakdown by a field ("by city", "按行业")."""

    field: str


@dataclass(frozen=True)
class Count:
    """The question asks how many ("how many", "几家")."""


@dataclass(frozen=True)
class Show:
    """A column the answer should show."""

    field: str


@dataclass(frozen=True)
class DefaultSort:
    """The order used when the question asks for none."""

    sort: Sort


@dataclass(frozen=True)
class Owner:
    """The accounts of one user ("alice's accounts", "张伟负责的"): owned by them, or with
    `team`, their team's (a manager's)."""

    handle: str
    team: bool = False


@dataclass(frozen=True)
class DefaultFilter:
    """A condition a word implies when the question sets no other on that field ("inactive": 30
    days without a login, unless "no login for 90+ days" is said too)."""

    filter: Filter


Item = (
    Filter
    | Condition
    | Sort
    | Aggregate
    | Limit
    | GroupBy
    | Count
    | Show
    | DefaultSort
    | Owner
    | DefaultFilter
)


@dataclass(frozen=True)
class Env:
    """What a builder may know beyond its tags: the parser's context (the book's values, custom
    fields, users; a handlers.parser.ParseContext), the asker's language, the whole question."""

    ctx: Any = None
    lang: str = "en"
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# a builder returns None to decline a match it cannot read (its tags stay for another row)
Builder = Callable[[Sequence[Tag], Env], list[Item] | None]


@dataclass(frozen=True)
class Row:
    name: str
    topic: str
    pattern: str  # over tag kinds and the macros; ? * + | ( ) as in a regex
    build: Builder
    examples: tuple[
        tuple[str, str], ...
    ]  # (question, the spec items it yields, notation of the topic)
    unless: tuple[str, ...] = ()  # kinds that, anywhere in the clause, stop this row
    not_examples: tuple[str, ...] = ()  # questions this row must not read (its counter-tests)
    # an account noun between two tags joins them ("第四季度有多少客户到期": the period is the
    # renewal's); by default it ends a phrase ("决策人是支持者的客户有多少")
    across_nouns: bool = False


@dataclass(frozen=True)
class Hit:
    row: Row
    tags: tuple[Tag, ...]
    items: tuple[Item, ...]

    @property
    def start(self) -> int:
        return self.tags[0].start

    @property
    def end(self) -> int:
        return self.tags[-1].end


def nothing(tags: Sequence[Tag], env: Env) -> list[Item]:
    """Words that only shape the question ("有没有"): taken, adding no condition."""
    return []
