"""Events and activity: logging in and its absence, over a window of days or a calendar period.

Conventions (handlers/parser.py docstring): "not logged in for 15 days" is days_since_login ≥ 15
(no login in the last 15 days; "more than 15 days" > 15); a word alone ("inactive", "不活跃")
is 30 days unless a number is said; "never logged in" is no login at all; "no login this
quarter" / "since March" counts the logins of that window (none); "logged in in the last 7 days"
is days_since_login < 7, "logins this week" a count of that window (at least one). A window binds
inside its own clause (clauses.py): "3 purchases in the last 30 days and no login for 15 days".

Example notation (the event conditions a row adds, "; " between two): "days_since_login>=15",
"days_since_login empty" (never), "logins=0 this_quarter" (a period), "logins>=1 7d" (a window of
days), "logins=0 since=03-01" / "until=2024-12-31" (an absolute bound).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from handlers.understand.table import DefaultFilter, DefaultSort, Env, Item, Row, Show
from handlers.understand.tags import Tag
from store.lang import dates, events
from store.spec import Condition, Filter, RelativeDate, Sort

TOPIC = "events"

# the fields of event conditions (what the notation shows)
FIELDS = ("days_since_login", "logins", "purchase_count", "tickets", "feature_uses")
_SIGN_RX = re.compile(r">=|<=|!=|>|<|=")
_OPS = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "=": "eq", "!=": "ne"}
_SIGNS = {v: k for k, v in _OPS.items()}
# an event word that starts a figure's name: "登录天数", "login count" (compared later)
_FIELD_AFTER = re.compile(
    r"\s*(?:"
    + "|".join(re.escape(w) + (r"\b" if w.isascii() else "") for w in events.FIGURE_WORDS)
    + ")"
)


def _first(tags: Sequence[Tag], kind: str) -> Tag | None:
    return next((t for t in tags if t.kind == kind), None)


def _duration(t: Tag) -> tuple[str, int]:
    """A DURATION tag's comparison and days: "> 15天" -> (">", 15), "90天以上" -> (">=", 90)."""
    n = int(re.search(r"(\d+)天", t.text).group(1))  # type: ignore[union-attr]
    sign = re.search(r">=|<=|>|<", t.text)
    if sign is not None:
        return sign.group(), n
    if re.search(r"以上|多|或更久", t.text):
        return ">=", n
    if re.search(r"以下|以内|之内", t.text):
        return "<=", n
    return "", n


def _window(t: Tag) -> dict[str, Any]:
    """A DURATION or PERIOD tag as the window arguments of a spec filter."""
    if t.kind == "DURATION":
        return {"window_days": _duration(t)[1]}
    return dict(t.value)


def _names_a_field(tags: Sequence[Tag], env: Env) -> bool:
    ev = _first(tags, "LOGIN")
    return ev is not None and bool(_FIELD_AFTER.match(env.text, ev.end))


_INACTIVE_SORT = DefaultSort(Sort(field="days_since_login", desc=True))


def inactive(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """No login: for N days (days_since_login ≥ N, or the comparison said), in a period (no login
    event in it), never (none at all), or for a while (30 days)."""
    negated = any(t.kind in ("NEG", "IDLE") or (t.kind == "EVER" and t.value is True) for t in tags)
    if not negated or _names_a_field(tags, env):
        return None
    if any(t.kind == "USE" and t.value is not True for t in tags):
        return None  # "no users": a use of something, not activity
    never = any(t.kind == "EVER" or (t.kind == "NEG" and t.value == "never") for t in tags)
    dur, per = _first(tags, "DURATION"), _first(tags, "PERIOD")
    if dur is not None:
        sign, n = _duration(dur)
        return [Filter(field="days_since_login", op=_OPS.get(sign, "ge"), value=n), _INACTIVE_SORT]
    if per is not None:
        return [Filter(field="logins", op="eq", value=0, **_window(per)), _INACTIVE_SORT]
    if never:
        return [Filter(field="days_since_login", op="empty"), _INACTIVE_SORT]
    a_while = Filter(field="days_since_login", op="ge", value=30)
    if _first(tags, "LOGIN") is None:  # a word alone gives way to a number said elsewhere
        return [DefaultFilter(a_while), _INACTIVE_SORT]
    return [a_while, _INACTIVE_SORT]


def last_login(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """The last login N days ago or more: days_since_login compared with N (≥ when no sign)."""
    dur, cmp_ = _first(tags, "DURATION"), _first(tags, "CMP")
    if dur is None:
        return None
    sign, n = _duration(dur)
    op = _OPS.get(sign) or (cmp_.value if cmp_ is not None and cmp_.value != "eq" else "ge")
    return [Filter(field="days_since_login", op=op, value=n), _INACTIVE_SORT]


def logged_in(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A login in a window: "logged in in the last 7 days" (days_since_login < 7), "logins this
    week" / "logged in this month" (at least one that period), "accounts with logins" (the last
    30 days), "active" (days_since_login < 30)."""
    ev = _first(tags, "LOGIN")
    if ev is None or ev.value == "activity" or _names_a_field(tags, env):
        return None
    dur, per = _first(tags, "DURATION"), _first(tags, "PERIOD")
    count = [Show("logins")]
    if dur is not None:
        n = _duration(dur)[1]
        if ev.value == "logins":
            return [Filter(field="logins", op="ge", value=1, window_days=n), *count]
        return [Filter(field="days_since_login", op="lt", value=n)]
    if per is not None:
        return [Filter(field="logins", op="ge", value=1, **_window(per)), *count]
    if ev.value == "logins" and _first(tags, "HAVE") is not None:
        return [Filter(field="logins", op="ge", value=1, window_days=30), *count]
    if ev.value == "active" and _first(tags, "HAVE") is None:
        return [Filter(field="days_since_login", op="lt", value=30)]
    return None


# a count said right before or after the event ("3 purchases", "purchases > 5000"): compared later
_COUNT_BEFORE = re.compile(
    r"(?:(?:>=|<=|!=|>|<|=)\s*)?\d+(?:\.\d+)?\s*(?:\+|以上|以下)?\s*(?:次|笔|单|个)?\s*$"
)
_COUNT_AFTER = re.compile(r"\s*(?:>=|<=|!=|>|<|=|\d)")


def happened(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A built-in event happened (at least one) or did not (none) in a window: "made a purchase
    in the last 2 weeks", "no tickets this quarter", "上个月有购买", "从来没买过" (none ever);
    no window said is the last 30 days. A noun alone ("tickets") needs a window, a presence
    word or a negation to be a condition."""
    ev = _first(tags, "EVENT")
    if ev is None or _FIELD_AFTER.match(env.text, ev.end):
        return None
    span = _first(tags, "DURATION") or _first(tags, "PERIOD")
    window_after = span is not None and span.start >= ev.end  # "purchases >= 2025": a window
    if _COUNT_BEFORE.search(env.text[: ev.start]) or (
        not window_after and _COUNT_AFTER.match(env.text, ev.end)
    ):
        return None
    etype, form = ev.value
    field = events.MEASURES[etype]
    negated = any(t.kind == "NEG" or (t.kind == "EVER" and t.value is True) for t in tags)
    never = negated and any(
        t.kind == "EVER" or (t.kind == "NEG" and t.value == "never") for t in tags
    )
    framed = negated or span is not None or any(t.kind in ("HAVE", "DID") for t in tags)
    if form == "noun" and not framed:
        return None
    if span is not None:
        kw = _window(span)
    elif never:
        kw = dict(dates.ALL_TIME)
    else:
        kw = {"window_days": 30}
    op, value = ("eq", 0) if negated else ("ge", 1)
    return [Filter(field=field, op=op, value=value, **kw), Show(field)]


def feature_used(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A feature used (at least once), not used (none), or used a number of times compared, in a
    window: "used the API in the last 30 days", "本季度没用过单点登录" (none this quarter), "never
    used SSO" (none ever), "最近60天使用报表功能超过3次"; no window said is the last 30 days."""
    feat = _first(tags, "FEATURE")
    if feat is None:
        return None
    negated = any(t.kind == "NEG" or (t.kind == "EVER" and t.value is True) for t in tags)
    never = negated and any(
        t.kind == "EVER" or (t.kind == "NEG" and t.value == "never") for t in tags
    )
    sign, number = _first(tags, "CMP"), _first(tags, "NUMBER")
    span = _first(tags, "DURATION") or _first(tags, "PERIOD")
    if span is not None:
        kw = _window(span)
    elif never:
        kw = dict(dates.ALL_TIME)
    else:
        kw = {"window_days": 30}
    if sign is not None and isinstance(number, Tag) and isinstance(number.value, (int, float)):
        op, value = sign.value, number.value
    else:
        op, value = ("eq", 0) if negated else ("ge", 1)
    flt = Filter(field="feature_uses", op=op, value=value, feature=feat.value, **kw)
    return [flt, Show("feature_uses")]


# ----------------------------------------------------------------------------- the notation


def _bound(v: Any) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, RelativeDate):
        return v.month_day or v.period or f"{v.days}d"
    return str(v)


def notation(f: Filter) -> str:
    """One event condition in the notation of the examples ("logins=0 this_quarter")."""
    name = f"{f.field}[{f.feature}]" if f.feature else f.field
    out = f"{name} {f.op}" if f.op in ("empty", "not_empty") else ""
    if not out:
        out = f"{name}{_SIGNS.get(f.op, f.op)}{f.value}"
    if f.window_days:
        out += f" {f.window_days}d"
    if f.period:
        out += f" {f.period}"
    if f.since is not None:
        out += f" since={_bound(f.since)}"
    if f.until is not None:
        out += f" until={_bound(f.until)}"
    return out


def event_notation(where: Condition) -> str:
    """Every event condition of a question, in the examples' notation, in a stable order."""
    return "; ".join(sorted(notation(f) for f in where.filters() if f.field in FIELDS))


# ----------------------------------------------------------------------------- the rows

MACROS = {
    "NOTX": "(EVER? NEG EVER? | EVER)",  # a negation, with its "ever" ("never", "从来没", "not … once")
    "SPAN": "(DURATION | PERIOD)",
}

ROWS: tuple[Row, ...] = (
    Row(
        "events: no login for a while",
        TOPIC,
        "SPAN? HAVE? NOTX HAVE? (LOGIN | USE) EVER? SPAN?",
        inactive,
        (
            ("not logged in for 15 days", "days_since_login>=15"),
            ("no login in the last 15 days", "days_since_login>=15"),
            ("more than 15 days without login", "days_since_login>15"),
            ("accounts that havent logged in for two weeks", "days_since_login>=14"),
            ("clients that dont log in", "days_since_login>=30"),
            ("customers not contacted in 60 days", "days_since_login>=60"),
            ("accounts not used in 45 days", "days_since_login>=45"),
            ("which accounts have never logged in", "days_since_login empty"),
            ("customers who have not logged in even once", "days_since_login empty"),
            ("accounts that never logged in during the last 30 days", "days_since_login>=30"),
            ("accounts with no login this quarter", "logins=0 this_quarter"),
            ("havent logged in since March", "logins=0 since=03-01"),
            ("no logins since 2025", "logins=0 since=2025-01-01"),
            ("15天没登录", "days_since_login>=15"),
            ("超过15天没登录的客户", "days_since_login>15"),
            ("超过一周没登录", "days_since_login>7"),
            ("30天未登录的客户", "days_since_login>=30"),
            ("近一个月没有任何动静的客户", "days_since_login>=30"),
            ("从来没有登录过的客户", "days_since_login empty"),
            ("一次都没登录过的客户", "days_since_login empty"),
            ("本季度没有登录的客户", "logins=0 this_quarter"),
            ("上个月没登录过的客户", "logins=0 last_month"),
        ),
        not_examples=(
            "未登录天数超过30天的客户",
            "accounts that logged in this week",
            "accounts with no users",
        ),
    ),
    Row(
        "events: an inactive account",
        TOPIC,
        "SPAN? IDLE SPAN?",
        inactive,
        (
            ("inactive accounts", "days_since_login>=30"),
            ("dormant accounts: no login for 90+ days", "days_since_login>=90"),
            ("accounts idle for 45 days", "days_since_login>=45"),
            ("customers that have gone quiet", "days_since_login>=30"),
            ("不活跃客户", "days_since_login>=30"),
            ("不活跃客户（90天以上未登录）", "days_since_login>=90"),
            ("沉默超过60天的客户", "days_since_login>60"),
            ("失联客户", "days_since_login>=30"),
        ),
    ),
    Row(
        "events: the last login N days ago",
        TOPIC,
        "LAST CMP? SPAN",  # "上次登录是90天前": the 是 of a copula
        last_login,
        (
            ("last login more than 45 days ago", "days_since_login>45"),
            ("accounts last seen 60 days ago", "days_since_login>=60"),
            ("accounts whose last login is more than 45 days ago", "days_since_login>45"),
            ("上次登录超过45天的客户", "days_since_login>45"),
            ("最后一次登录是90天以前的客户", "days_since_login>=90"),
        ),
    ),
    Row(
        "events: logged in within a window",
        TOPIC,
        "SPAN HAVE? LOGIN | HAVE? LOGIN SPAN",
        logged_in,
        (
            ("accounts that logged in during the past 2 weeks", "days_since_login<14"),
            ("active in the last 10 days", "days_since_login<10"),
            ("accounts with logins in the last 7 days", "logins>=1 7d"),
            ("logins this week", "logins>=1 this_week"),
            ("accounts that logged in this month", "logins>=1 this_month"),
            ("logins since 2025", "logins>=1 since=2025-01-01"),
            ("最近7天有登录的客户", "days_since_login<7"),
            ("我的客户最近7天有谁登录过", "days_since_login<7"),
            ("近两周登录过的客户", "days_since_login<14"),
            ("这周登录过的客户", "logins>=1 this_week"),
            ("上个月有登录的客户", "logins>=1 last_month"),
        ),
        # "logins in the last 7 days up to 5", "logged in the most": a count compared, a ranking
        unless=("CMP", "SUPER", "AGG"),
        not_examples=(
            "which 3 accounts logged in the most in the last 30 days",
            "logins in the last 7 days up to 5",
            "top 10 accounts by logins in the last 7 days",
            "total logins in the last 30 days of accounts",
            "近7天登录次数排名前5的客户",
        ),
    ),
    Row(
        "events: active, with logins",
        TOPIC,
        "HAVE? LOGIN",
        logged_in,
        (
            ("active accounts", "days_since_login<30"),
            ("accounts with logins", "logins>=1 30d"),
            ("活跃客户", "days_since_login<30"),
            ("活跃的客户有多少", "days_since_login<30"),
        ),
        unless=("CMP", "SUPER", "AGG"),
        not_examples=("most active accounts", "登录次数最多的客户", "least active accounts"),
    ),
    Row(
        "events: an event happened in a window",
        TOPIC,
        "SPAN? HAVE? NOTX? HAVE? DID? EVENT HAVE? SPAN?",
        happened,
        (
            ("who made a purchase in the last 2 weeks", "purchase_count>=1 14d"),
            ("accounts that placed an order in the past 30 days", "purchase_count>=1 30d"),
            ("accounts that haven't made a purchase in 90 days", "purchase_count=0 90d"),
            ("customers that opened a support ticket in the last 7 days", "tickets>=1 7d"),
            ("clients who raised a case in the past 10 days", "tickets>=1 10d"),
            ("tickets this quarter", "tickets>=1 this_quarter"),
            ("accounts with no tickets last month", "tickets=0 last_month"),
            ("accounts that never purchased", "purchase_count=0 until=0d"),
            ("accounts that bought", "purchase_count>=1 30d"),
            ("purchases since 2025", "purchase_count>=1 since=2025-01-01"),
            ("accounts that used a feature this week", "feature_uses>=1 this_week"),
            ("上个月有购买的客户", "purchase_count>=1 last_month"),
            ("本季度没有下单的客户", "purchase_count=0 this_quarter"),
            ("近7天提交过工单的客户", "tickets>=1 7d"),
            ("近30天下过单的客户", "purchase_count>=1 30d"),
            ("从来没买过东西的客户", "purchase_count=0 until=0d"),
            ("今年以来没有购买记录的客户", "purchase_count=0 since=this_year"),
            ("近90天没有提交过工单的客户", "tickets=0 90d"),
            ("最近两周用过功能的客户", "feature_uses>=1 14d"),
        ),
        unless=("SUPER", "AGG"),  # "the most tickets", "total purchases": a ranking, a sum
        not_examples=(
            "accounts with 3 purchases last month",
            "accounts with 2+ tickets in the last 90 days",
            "近30天购买金额 > 5000的客户",
            "tickets",
            "who has the most tickets this quarter",
        ),
    ),
    Row(
        "events: a feature used",
        TOPIC,
        "SPAN? NOTX? USE FEATURE (CMP NUMBER)? SPAN? | SPAN? NOTX? FEATURE USE (CMP NUMBER)? SPAN?"
        " | CMP NUMBER FEATURE USE SPAN?",
        feature_used,
        (
            ("used the API in the last 30 days", "feature_uses[api]>=1 30d"),
            ("accounts that used the API in October", "feature_uses[api]>=1 m10"),
            ("accounts that never used SSO", "feature_uses[sso]=0 until=0d"),
            (
                "accounts that have not used the reports feature this quarter",
                "feature_uses[reports]=0 this_quarter",
            ),
            ("more than 10 API uses", "feature_uses[api]>10 30d"),
            ("API usage > 5 in the last 7 days", "feature_uses[api]>5 7d"),
            ("近30天用过报表功能的客户", "feature_uses[reports]>=1 30d"),
            ("最近60天使用报表功能超过3次的客户", "feature_uses[reports]>3 60d"),
            ("本季度没用过单点登录的客户", "feature_uses[sso]=0 this_quarter"),
            ("十月份用过API的客户有几个", "feature_uses[api]>=1 m10"),
        ),
        not_examples=("accounts with api in their name",),
    ),
)
