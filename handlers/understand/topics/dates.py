"""Date fields and periods: renewals, new accounts and any date field said with when.

"renewals this month", "本季度到期的客户", "contracts ending before Oct 1", "accounts added last
quarter", "2024年3月5日以后签约的", "renewing between Dec 1 and Jan 31", "年底前到期",
"customers created since March", "last login before 2026-10-01". The words are the language
layer's (store/lang/dates.py): the kinds DATE, CAL, DAYS, RANGE, DEADLINE, WINDOW (the
bound: before, since, 之前, 起), RENEW, NEW, SIGNED, SOONEST, AHEAD (tags.py).

A day said without its year is the latest such day on or before as-of, except of a contract's end
(a date to come): "contracts ending before Oct 1" end before the next Oct 1.

Example notation: the date filters a row adds, "; " between two, each "field op value":
a value is an ISO day, "today", "+30" / "-29" (days from as-of), a period's name ("this_quarter",
"m10", "month_before_last"), "start:<period>" / "end:<period>" (its first / last day), "10-01"
(a day without its year, the latest one), "10-01>" (the next one), "wd0" / "wd0>" (a weekday,
0 is Monday; the latest / next one), "start:last_week+2" (a day of a week); "a..b" a between's
two ends.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from handlers.understand.table import DefaultSort, Env, Item, Limit, Row
from handlers.understand.tags import Tag, tag
from store.fields import BUILTIN
from store.lang import compare, dates
from store.spec import Filter, RelativeDate, Sort

TOPIC = "dates"

# dates that are in the past by nature: a duration said with no direction runs back from as-of
_PAST_FIELDS = frozenset({"contract_start", "last_login_at", "last_purchase_at"})
_UPCOMING_DAYS = 90  # "upcoming renewals" with no window: the next 90 days
_NEW_DAYS = 30  # "new accounts" with no window: the last 30 days
_BOUNDS = ("lt", "le", "gt", "ge")
_RENEW_RX = dates.RENEW_WORDS["end"]


def _day(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _rel(days: int) -> RelativeDate:
    return RelativeDate(days=days)


_OURS = ("WINDOW", "DATE", "CAL", "DAYS", "RANGE", "DEADLINE")


def _ours(tags: Sequence[Tag], env: Env) -> list[Tag]:
    """The tags with a window the events topic reads (its PERIOD, its DURATION: windows of the
    past, up to as-of) read again with this topic's kinds over the same words, so a date field
    gets its own reading ("before Oct 1" of a contract's end is before the next Oct 1)."""
    out: list[Tag] = []
    for t in tags:
        if t.kind not in ("PERIOD", "DURATION"):
            out.append(t)
            continue
        out.extend(x for x in tag(env.text, _OURS) if t.start <= x.start and x.end <= t.end)
    return out


def when(field: str, tags: Sequence[Tag]) -> list[Filter] | None:
    """The filter on a date field that the window tags say, or None when they say none."""
    op = next((t.value for t in tags if t.kind == "WINDOW"), None)
    if op is None:  # a comparator before a year ("in 2025 Q1": in is eq; "> 2026-03" is after)
        op = next((t.value for t in tags if t.kind == "CMP" and t.value in _BOUNDS), None)
    to_come = field not in _PAST_FIELDS
    since = op in ("ge", "gt")
    for t in tags:
        v = t.value
        if t.kind == "DATE":
            if to_come and not (since and op == "ge"):
                v = dates.ahead(v)
            return [Filter(field=field, op=op or "eq", value=_day(v))]
        if t.kind == "CAL":
            if isinstance(v, tuple):
                first, last = (d.isoformat() for d in v)
                if op is None:
                    return [Filter(field=field, op="between", value=[first, last])]
                return [Filter(field=field, op=op, value=last if op in ("gt", "le") else first)]
            if op is None:
                return [Filter(field=field, op="in_period", value=v)]
            edge = "end" if op in ("gt", "le") else "start"
            return [Filter(field=field, op=op, value=RelativeDate(period=v, edge=edge))]
        if t.kind == "RANGE":
            a, b = (dates.ahead(x) if to_come else x for x in v)
            return [Filter(field=field, op="between", value=[_day(a), _day(b)])]
        if t.kind == "DEADLINE":
            if to_come:
                return [Filter(field=field, op="between", value=[_rel(0), v])]
            return [Filter(field=field, op="le", value=v)]
        if t.kind == "DAYS":
            n, way = v
            way = way or ("past" if field in _PAST_FIELDS else "ahead")
            if way == "ahead":
                return [Filter(field=field, op="between", value=[_rel(0), _rel(n)])]
            first = -n if field == "contract_end" else -n + 1
            return [Filter(field=field, op="between", value=[_rel(first), _rel(0)])]
    return None


# ----------------------------------------------------------------------------- builders


def _renewal_sort() -> DefaultSort:
    return DefaultSort(Sort(field="contract_end", desc=False))


def renewal_when(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A contract's end said with when: "renewals this month", "到期日在年底前"; an expired one
    with a number of days looks back ("expired in the last 30 days")."""
    tags = _ours(tags, env)
    expired = any(t.kind == "RENEW" and t.value == "expired" for t in tags)
    span = next((t.value for t in tags if t.kind == "DAYS"), None)
    if expired and span is not None and span[1] != "ahead":
        found = [Filter(field="contract_end", op="between", value=[_rel(-span[0]), _rel(0)])]
    else:
        found = when("contract_end", tags)
    if found is None:
        return None
    return [*found, DefaultSort(Sort(field="contract_end", desc=expired))]  # expired: latest first


def renewal(tags: Sequence[Tag], env: Env) -> list[Item]:
    """A contract's end said alone: upcoming (the next 90 days) or expired (before today)."""
    if any(t.kind == "RENEW" and t.value == "expired" for t in tags):
        return [
            Filter(field="contract_end", op="lt", value=_rel(0)),
            DefaultSort(Sort(field="contract_end", desc=True)),
        ]
    window = [_rel(0), _rel(_UPCOMING_DAYS)]
    return [Filter(field="contract_end", op="between", value=window), _renewal_sort()]


def renewal_soonest(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """ "which 5 accounts renew soonest", "最快到期的5个客户": contracts not yet ended (or in the
    window said), the nearest end first, as many as the question asks."""
    said = next((t for t in tags if t.kind == "VALUE"), None)
    if said is not None and not re.fullmatch(_RENEW_RX, said.text):
        return None  # "the earliest <stage>": a renewal word only ("the earliest renewal")
    found = when("contract_end", _ours(tags, env)) or [
        Filter(field="contract_end", op="ge", value=_rel(0))
    ]
    return [*found, Sort(field="contract_end", desc=False), Limit(None)]


def _start_sort() -> DefaultSort:
    return DefaultSort(Sort(field="contract_start", desc=True))


def new_when(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """An account's start said with when: "signed last month", "2024年3月5日以后签约的"."""
    found = when("contract_start", _ours(tags, env))
    return None if found is None else [*found, _start_sort()]


def new_accounts(tags: Sequence[Tag], env: Env) -> list[Item]:
    """ "new accounts", "新增客户": started in the last 30 days."""
    window = [_rel(-_NEW_DAYS + 1), _rel(0)]
    return [Filter(field="contract_start", op="between", value=window), _start_sort()]


def field_when(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A date field named, with when: "contract end date next month", "last login before
    2026-10-01", a book's own date field ("续约提醒日在下个月"); another field declines."""
    field = next(t.value for t in tags if t.kind == "FIELD")
    if not _date_field(field, env):
        return None
    return when(field, _ours(tags, env))


def _date_field(key: str, env: Env) -> bool:
    f = BUILTIN.get(key)
    if f is not None:
        return f.type in ("date", "datetime")
    return any(c.key == key and c.type == "date" for c in getattr(env.ctx, "custom", ()))


def _year(tags: Sequence[Tag], env: Env) -> tuple[str, str] | None:
    """A year said as a bare number right before the cue ("2028年到期": textnorm leaves 2028),
    unless a comparator stands before it ("ARR over 2028 …" compares the ARR)."""
    n = next(t for t in tags if t.kind == "NUMBER")
    if not (isinstance(n.value, int) and 1900 <= n.value <= 2100):
        return None
    if re.search(rf"(?:{compare.comparator_rx()})\s*$", env.text[: n.start]):
        return None
    return f"{n.value}-01-01", f"{n.value}-12-31"


def renewal_year(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    year = _year(tags, env)
    if year is None:
        return None
    return [Filter(field="contract_end", op="between", value=list(year)), _renewal_sort()]


def new_year(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    year = _year(tags, env)
    if year is None:
        return None
    return [Filter(field="contract_start", op="between", value=list(year)), _start_sort()]


def bound_alone(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A dated day with its bound and no field ("before March 2027"): the contract's end."""
    tags = _ours(tags, env)
    said = next((t for t in tags if t.kind in ("DATE", "CAL")), None)
    if said is None or not any(t.kind == "WINDOW" for t in tags):
        return None
    if not isinstance(said.value, dt.date | tuple):
        return None  # "before Oct 1" alone names no field: left for the events
    return when("contract_end", tags)


# ----------------------------------------------------------------------------- the rows

MACROS = {
    # when: a bounded day or period, a range, a deadline, a duration
    "WHEN": "((WINDOW | CMP)? (DATE | CAL | PERIOD) WINDOW? | RANGE | DEADLINE | DAYS | DURATION)",
    # a contract's end, said once or twice ("renewals expiring", "合同…到期")
    "END": "(CONTRACT? AHEAD? RENEW (AHEAD? RENEW)? AHEAD? CONTRACT?)",
}

ROWS: tuple[Row, ...] = (
    Row(
        "dates: a contract's end, with when",
        TOPIC,
        "END HAVE? WHEN | CONTRACT? WHEN HAVE? END",
        renewal_when,
        (
            ("renewals this month", "contract_end in_period this_month"),
            ("本季度到期的客户", "contract_end in_period this_quarter"),
            ("下个月续约的客户", "contract_end in_period next_month"),
            ("contracts ending before Oct 1", "contract_end lt 10-01>"),
            ("renewing between Dec 1 and Jan 31", "contract_end between 12-01>..01-31>"),
            ("年底前到期的客户", "contract_end between today..end:this_year"),
            ("renewals by quarter-end", "contract_end between today..end:this_quarter"),
            ("上上个月到期的客户", "contract_end in_period month_before_last"),
            ("下下个月续约的客户", "contract_end in_period month_after_next"),
            ("contracts expiring in 2 weeks", "contract_end between today..+14"),
            ("未来30天内到期的客户", "contract_end between today..+30"),
            ("未来两周要续约的客户", "contract_end between today..+14"),
            ("accounts that will renew next quarter", "contract_end in_period next_quarter"),
            ("合同2027年3月前到期的客户", "contract_end lt 2027-03-01"),
            ("accounts up for renewal in Q1 next year", "contract_end in_period next_year_q1"),
            ("which accounts renew in 2027", "contract_end between 2027-01-01..2027-12-31"),
            ("contracts that expired in the last 30 days", "contract_end between -30..today"),
            ("第四季度有多少客户到期", "contract_end in_period q4"),
            ("未来90天到期的合同一共多少", "contract_end between today..+90"),
            ("renewals in 2025 Q1", "contract_end between 2025-01-01..2025-03-31"),
            ("renewals due by Friday", "contract_end lt wd4>"),
        ),
        not_examples=("accounts with ARR over 50000", "合同额超过100万的客户"),
        across_nouns=True,
    ),
    Row(
        "dates: a contract's end in a year",
        TOPIC,
        "NUMBER END",
        renewal_year,
        (
            ("2028年到期的客户", "contract_end between 2028-01-01..2028-12-31"),
            ("2027 renewals", "contract_end between 2027-01-01..2027-12-31"),
        ),
        not_examples=("ARR over 2028 renewing soon", "年合同额超过2028到期的客户"),
    ),
    Row(
        "dates: new accounts in a year",
        TOPIC,
        "NUMBER (NEW | SIGNED)",
        new_year,
        (
            ("2025签约的客户", "contract_start between 2025-01-01..2025-12-31"),
            ("2024 new customers", "contract_start between 2024-01-01..2024-12-31"),
        ),
    ),
    Row(
        "dates: a contract's end, alone",
        TOPIC,
        "END",
        renewal,
        (
            ("upcoming renewals", "contract_end between today..+90"),
            ("即将到期的客户", "contract_end between today..+90"),
            ("accounts with expired contracts", "contract_end lt today"),
            ("已过期的客户", "contract_end lt today"),
            ("renewals coming up", "contract_end between today..+90"),
            ("合同快到期的客户", "contract_end between today..+90"),
        ),
        not_examples=("合同额最高的客户",),
    ),
    Row(
        "dates: the soonest to renew",
        TOPIC,
        "(SOONEST AHEAD? (END | VALUE) | END SOONEST) WHEN?",
        renewal_soonest,
        (
            ("which 5 accounts renew soonest", "contract_end ge today"),
            ("最快到期的5个客户", "contract_end ge today"),
            ("the next 3 accounts to renew", "contract_end ge today"),
            ("first 3 accounts to expire", "contract_end ge today"),
            ("最近到期的7个客户", "contract_end ge today"),
            ("最早续约的客户", "contract_end ge today"),
            ("renewing soonest in the next 60 days", "contract_end between today..+60"),
            ("2 customers with the earliest renewal", "contract_end ge today"),
        ),
    ),
    Row(
        "dates: new accounts, with when",
        TOPIC,
        "(NEW | SIGNED) WHEN | WHEN (NEW | SIGNED)",
        new_when,
        (
            ("accounts added last quarter", "contract_start in_period last_quarter"),
            ("2024年3月5日以后签约的客户", "contract_start gt 2024-03-05"),
            ("customers added since March", "contract_start ge start:m3"),
            ("上个月新签的客户", "contract_start in_period last_month"),
            ("accounts signed since Monday", "contract_start ge wd0"),
            ("上周一以来新增的客户", "contract_start ge start:last_week"),
            ("customers who joined in the last 90 days", "contract_start between -89..today"),
            ("近60天签约的客户", "contract_start between -59..today"),
            ("new customers this year", "contract_start in_period this_year"),
            ("本月新增了多少客户", "contract_start in_period this_month"),
            ("前年签约的客户", "contract_start in_period year_before_last"),
        ),
        not_examples=("accounts in new york", "signed contracts worth over 50000"),
        across_nouns=True,
    ),
    Row(
        "dates: new accounts, alone",
        TOPIC,
        "NEW",
        new_accounts,
        (
            ("new customers", "contract_start between -29..today"),
            ("新增客户有哪些", "contract_start between -29..today"),
            ("how many new accounts do we have", "contract_start between -29..today"),
            ("新客户", "contract_start between -29..today"),
        ),
        not_examples=("accounts in New York", "新加坡的客户"),
    ),
    Row(
        "dates: a date field, with when",
        TOPIC,
        "FIELD WHEN | WHEN FIELD",
        field_when,
        (
            ("accounts whose contract end date is next month", "contract_end in_period next_month"),
            ("签约日期在2024-03-05之前的客户", "contract_start lt 2024-03-05"),
            ("start date in the last 30 days", "contract_start between -29..today"),
            ("合同到期日在下季度的客户", "contract_end in_period next_quarter"),
            ("续约日期在10月1日之后的客户", "contract_end gt 10-01>"),
            (
                "accounts with a contract start date after March 2025",
                "contract_start gt 2025-03-31",
            ),
        ),
    ),
    Row(
        "dates: a dated bound, no field",
        TOPIC,
        "WINDOW (DATE | CAL | PERIOD) | (DATE | CAL | PERIOD) WINDOW | PERIOD",
        bound_alone,
        (
            ("accounts before March 2027", "contract_end lt 2027-03-01"),
            ("2027年1月15号以前的客户", "contract_end lt 2027-01-15"),
        ),
    ),
)


# ----------------------------------------------------------------------------- notation


def value_notation(v: Any) -> str:
    if isinstance(v, list):
        return "..".join(value_notation(x) for x in v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, RelativeDate):
        mark = ">" if v.ahead else ""
        if v.month_day:
            return v.month_day + mark
        if v.weekday is not None:
            return f"wd{v.weekday}{mark}"
        if v.period:
            return f"{v.edge}:{v.period}" + (f"+{v.days}" if v.days else "")
        return "today" if v.days == 0 else f"{v.days:+d}"
    return str(v)


def notation(filters: Sequence[Filter]) -> str:
    """The example notation of a question's date filters."""
    return "; ".join(f"{f.field} {f.op} {value_notation(f.value)}" for f in filters)
