"""The query spec: the one validated shape every door (ask, LLM, rules, segments, digests) fills.

A spec never holds SQL. Field names are keys of the field catalogue (store/fields.py) or of a
custom field; values are plain JSON. Relative dates stay relative (resolved against as-of when
compiled), so a rule saved today means the same thing tomorrow.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

Op = Literal[
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "between",
    "in",
    "not_in",
    "contains",
    "has_word",
    "empty",
    "not_empty",
    "in_period",
]
_BASE_PERIODS = (
    "today",
    "this_week",
    "last_week",
    "next_week",
    "this_month",
    "last_month",
    "next_month",
    "this_quarter",
    "last_quarter",
    "next_quarter",
    "this_year",
    "last_year",
    "next_year",
    # two periods back or ahead ("上上个月", "the month after next", "前年")
    *(
        f"{u}_{w}"
        for u in ("week", "month", "quarter", "year")
        for w in ("before_last", "after_next")
    ),
)
# calendar quarters and halves: of the as-of year ("Q4", "第四季度", "H1", "上半年"), of the year
# before / after it ("Q1 next year", "去年第四季度"), or the nearest such quarter after / before the
# current one ("next Q1", "last Q4")
_CAL_UNITS = ("q1", "q2", "q3", "q4", "h1", "h2", *(f"m{i}" for i in range(1, 13)))
_CAL_PERIODS = tuple(
    f"{pre}{p}"
    for pre in ("", "next_", "last_", "next_year_", "last_year_")
    for p in _CAL_UNITS
    if not (pre in ("next_", "last_") and p.startswith("h"))
)
PERIODS = _BASE_PERIODS + _CAL_PERIODS
Period = Literal[PERIODS]  # type: ignore[valid-type]
OP_TEXT_EN = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "between": "between",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "has_word": "has the word",
    "empty": "is empty",
    "not_empty": "is not empty",
    "in_period": "in",
}
OP_TEXT_ZH = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "between": "介于",
    "in": "属于",
    "not_in": "不属于",
    "contains": "包含",
    "has_word": "含有词语",
    "empty": "为空",
    "not_empty": "不为空",
    "in_period": "在",
}


class RelativeDate(BaseModel):
    """A date relative to as-of: `days` from it, or the start/end of a named period."""

    model_config = ConfigDict(extra="forbid")

    days: int = 0
    period: Period | None = None
    edge: Literal["start", "end"] = "start"
    # a day of the year without its year ("since October 1", "12月1日"): the latest one on or
    # before as-of, written "MM-DD"; `ahead`: the earliest one on or after as-of (a contract that
    # ends "before Oct 1" ends before the next Oct 1)
    month_day: str | None = Field(default=None, pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
    ahead: bool = False
    # a day of the week said alone ("since Monday", "周一以来"; 0 is Monday): the latest one on or
    # before as-of (`ahead`: the earliest on or after)
    weekday: int | None = Field(default=None, ge=0, le=6)

    def resolve(self, as_of: dt.date) -> dt.date:
        """The concrete date for this as-of."""
        if self.month_day is not None:
            month, day = (int(x) for x in self.month_day.split("-"))
            year = as_of.year
            while True:
                try:
                    d = dt.date(year, month, day)
                except ValueError:  # 02-29 in a common year
                    d = dt.date(year, month, 28)
                if (d >= as_of) if self.ahead else (d <= as_of):
                    return d + dt.timedelta(days=self.days)
                year += 1 if self.ahead else -1
        if self.weekday is not None:
            back = (as_of.weekday() - self.weekday) % 7
            ahead = (self.weekday - as_of.weekday()) % 7
            day = (
                as_of + dt.timedelta(days=ahead) if self.ahead else as_of - dt.timedelta(days=back)
            )
            return day + dt.timedelta(days=self.days)
        if self.period is None:
            return as_of + dt.timedelta(days=self.days)
        start, end = period_bounds(self.period, as_of)
        return (start if self.edge == "start" else end) + dt.timedelta(days=self.days)


def _month_start(d: dt.date, shift: int) -> dt.date:
    m = d.month - 1 + shift
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def period_bounds(period: str, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of a named period around as-of."""
    one = dt.timedelta(days=1)
    if period in _CAL_PERIODS:
        year = as_of.year + (
            1 if period.startswith("next_year_") else -1 if period.startswith("last_year_") else 0
        )
        unit = period.rsplit("_", 1)[-1]
        if unit in ("h1", "h2"):
            first = unit == "h1"
            return (
                dt.date(year, 1 if first else 7, 1),
                dt.date(year, 6 if first else 12, 30 if first else 31),
            )
        n = int(unit[1:])
        months = 3 if unit[0] == "q" else 1
        first_month = 3 * n - 2 if months == 3 else n
        current = (as_of.month - 1) // months + 1
        if period.startswith("next_") and not period.startswith("next_year_") and n <= current:
            year += 1  # "next Q1" / "next March" in September: next year's
        elif period.startswith("last_") and not period.startswith("last_year_") and n >= current:
            year -= 1  # "last Q4" / "last October" in September: last year's
        start = dt.date(year, first_month, 1)
        return start, _month_start(start, months) - one
    if period == "today":
        return as_of, as_of
    unit, shift = _period_shift(period)
    if unit == "week":
        start = as_of - dt.timedelta(days=as_of.weekday()) + dt.timedelta(weeks=shift)
        return start, start + dt.timedelta(days=6)
    if unit == "month":
        start = _month_start(as_of, shift)
        return start, _month_start(start, 1) - one
    if unit == "quarter":
        q_start = _month_start(as_of, -((as_of.month - 1) % 3))
        start = _month_start(q_start, 3 * shift)
        return start, _month_start(start, 3) - one
    return dt.date(as_of.year + shift, 1, 1), dt.date(as_of.year + shift, 12, 31)


_SHIFTS = {"this": 0, "last": -1, "next": 1, "before_last": -2, "after_next": 2}


def _period_shift(period: str) -> tuple[str, int]:
    """("month", -2) for "month_before_last", ("week", 1) for "next_week"."""
    head, _, tail = period.partition("_")
    if head in _SHIFTS:
        return tail, _SHIFTS[head]
    return head, _SHIFTS[tail]


Scalar = str | int | float | bool | dt.date | RelativeDate | None


class Filter(BaseModel):
    """One comparison: field op value.

    An event measure (logins, purchases, feature uses, …) is counted over a window: the last
    `window_days` days, a calendar `period` ("last_month", "this_quarter"), or the days from
    `since` to `until` (inclusive; either may be open) — never past as-of. `feature` keeps only
    the events about one feature ("used the API", "tickets about SSO").

    `events` counts the events of one `event_type` — any type word the book stores ("meeting",
    "email", "call", …); with no window said it counts every such event up to as-of ("no
    meetings" = none ever).

    `contains` matches a substring; `has_word` a whole word or phrase ("cto" in "CTO, Asia" but
    not in "Director"), any case; a Chinese phrase anywhere (Chinese has no spaces between words).
    """

    model_config = ConfigDict(extra="forbid")

    field: str
    op: Op = "eq"
    value: Scalar | list[Scalar] = None
    window_days: int | None = Field(default=None, ge=1, le=3650)
    period: Period | None = None
    since: dt.date | RelativeDate | None = None
    until: dt.date | RelativeDate | None = None
    feature: str | None = None
    event_type: str | None = Field(default=None, min_length=1, max_length=40)

    @model_validator(mode="after")
    def _check_value(self) -> Filter:
        if self.event_type is not None:
            self.event_type = self.event_type.strip().lower()
        if self.op == "between" and not (isinstance(self.value, list) and len(self.value) == 2):
            raise ValueError(f"'between' on {self.field} needs a list of two values")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            self.value = [self.value]
        if self.op in ("empty", "not_empty"):
            self.value = None
        elif self.op == "in_period" and not isinstance(self.value, str):
            raise ValueError(f"'in_period' on {self.field} needs a period name")
        elif self.value is None and self.op not in ("eq", "ne"):
            raise ValueError(f"'{self.op}' on {self.field} needs a value")
        return self


RELATED = ("contact",)


class Condition(BaseModel):
    """A boolean tree: all of / any of filters and nested conditions, optionally negated.

    `on="contact"`: the filters inside (all `contact_*`) hold together for ONE key person of the
    account ("an EB who is a blocker"); negated, no key person matches ("no TB"). With no filters
    it asks for any key person at all ("accounts with no key people on file": negated, empty).
    """

    model_config = ConfigDict(extra="forbid")

    all: list[Filter | Condition] = Field(default_factory=list)
    any: list[Filter | Condition] = Field(default_factory=list)
    negate: bool = False
    on: Literal["contact"] | None = None

    @model_validator(mode="after")
    def _check_related(self) -> Condition:
        if self.on is not None:
            for f in self.filters():
                if not f.field.startswith(f"{self.on}_"):
                    raise ValueError(f"a condition on one {self.on} holds only {self.on}_* fields")
        return self

    def is_empty(self) -> bool:
        return not self.all and not self.any

    def filters(self) -> list[Filter]:
        """Every filter in the tree, depth first."""
        out: list[Filter] = []
        for item in (*self.all, *self.any):
            out.extend([item] if isinstance(item, Filter) else item.filters())
        return out


class Sort(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str
    desc: bool = True
    # an event measure is ranked over the same windows a filter counts it over (see Filter)
    window_days: int | None = Field(default=None, ge=1, le=3650)
    period: Period | None = None
    since: dt.date | RelativeDate | None = None
    until: dt.date | RelativeDate | None = None
    feature: str | None = None
    event_type: str | None = Field(default=None, min_length=1, max_length=40)  # for `events`


class Aggregate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    func: Literal["count", "sum", "avg", "min", "max"] = "count"
    field: str | None = None
    # an event measure is totalled over the same windows a filter counts it over (see Filter):
    # "total purchase amount between Dec 1 and Jan 31", "10月1日以来的采购总额"
    window_days: int | None = Field(default=None, ge=1, le=3650)
    period: Period | None = None
    since: dt.date | RelativeDate | None = None
    until: dt.date | RelativeDate | None = None
    feature: str | None = None
    event_type: str | None = Field(default=None, min_length=1, max_length=40)  # for `events`

    def windowed(self) -> bool:
        """Whether a window, feature or event type was said for the measure."""
        return any(
            v is not None
            for v in (
                self.window_days, self.period, self.since, self.until, self.feature,
                self.event_type,
            )
        )  # fmt: skip


class Spec(BaseModel):
    """A question over accounts: filters, perspective, sort, paging, grouping, aggregate."""

    model_config = ConfigDict(extra="forbid")

    where: Condition = Field(default_factory=Condition)
    mine: bool = False  # the asker's own accounts ("my accounts", "我的客户")
    owner: str | None = None  # accounts of this user (handle, name or email)
    # accounts of this manager's team: owned or served by the manager or anyone reporting to them,
    # directly or not (a person with no reports: the team they belong to)
    team: str | None = None
    account: str | None = None  # one named account (id, domain or name): a profile card
    sort: list[Sort] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=1, le=10000)
    offset: int = Field(default=0, ge=0)
    group_by: str | None = None
    aggregate: Aggregate | None = None
    show: list[str] = Field(default_factory=list)  # figures the answer should display
    # the accounts another spec answered (its filters, sort and limit): a follow-up on a top-N
    # ("top 10 by ARR" -> "which of those have no TB") narrows the N shown, not the whole book.
    # Set by the conversation, not by a model (kept out of the JSON schema the LLM fills).
    within: SkipJsonSchema[Spec | None] = None

    @property
    def intent(self) -> str:
        """profile | breakdown | count | aggregate | list."""
        if self.account:
            return "profile"
        if self.group_by:
            return "breakdown"
        if self.aggregate is not None:
            return "count" if self.aggregate.func == "count" else "aggregate"
        return "list"

    def fields_used(self) -> set[str]:
        """Every field the spec touches (for validation and display)."""
        out = {f.field for f in self.where.filters()}
        out |= {s.field for s in self.sort}
        if self.group_by:
            out.add(self.group_by)
        if self.aggregate and self.aggregate.field:
            out.add(self.aggregate.field)
        if self.within is not None:
            out |= self.within.fields_used()
        return out | set(self.show)


Condition.model_rebuild()
Filter.model_rebuild()
Spec.model_rebuild()
