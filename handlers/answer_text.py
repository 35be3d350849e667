"""How an answer reads: the spec explained in words, and values formatted, in both languages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from store.fields import BUILTIN, EVENT_MEASURES, FieldDef
from store.lang import events
from store.lang.dates import MONTH_ABBR_EN, PERIOD_LABELS, weekday_label
from store.spec import (
    OP_TEXT_EN,
    OP_TEXT_ZH,
    Aggregate,
    Condition,
    Filter,
    RelativeDate,
    Sort,
    Spec,
)
from store.vocab import shown

MEASURE_LABELS = {
    "logins": ("logins", "登录次数"),
    "feature_uses": ("feature uses", "功能使用次数"),
    "tickets": ("tickets", "工单数"),
    "purchase_count": ("purchases", "购买次数"),
    "purchase_amount": ("purchase amount", "购买金额"),
    "active_users": ("active users", "活跃用户数"),
}
SPECIAL_LABELS = {
    "contact_phone": ("key person phone", "关键人电话"),
    "contact_email": ("key person email", "关键人邮箱"),
    "contact_title": ("key person title", "关键人职位"),
    "count": ("count", "数量"),
}


def label(
    key: str, lang: str, fields: dict[str, FieldDef] | None = None, window: int | None = None
) -> str:
    """A field's name for people (an event measure with its window)."""
    zh = lang == "zh"
    if key in EVENT_MEASURES:
        en, z = MEASURE_LABELS.get(key, (key, key))
        w = window or 30
        return f"近{w}天{z}" if zh else f"{en} in the last {w} days"
    f = (fields or {}).get(key) or BUILTIN.get(key)
    if f is not None:
        return f.label(lang)
    if key in SPECIAL_LABELS:
        return SPECIAL_LABELS[key][1 if zh else 0]
    return key


def measure_label(
    flt: Filter | Sort | Aggregate, lang: str, fields: dict[str, FieldDef] | None = None
) -> str:
    """An event measure with its window and feature: 'API feature uses since Oct 1',
    '上个月购买次数', 'purchases between Dec 1 and Jan 31'."""
    zh = lang == "zh"
    if flt.field == "events":  # a count of one event type: named by its type word
        en, z = events.type_label(flt.event_type, "en"), events.type_label(flt.event_type, "zh")
        if not (flt.window_days or flt.period or flt.since or flt.until):
            return f"{z}（累计）" if zh else f"{en} (all time)"
    elif flt.field not in EVENT_MEASURES or not (
        flt.period or flt.since or flt.until or flt.feature
    ):
        return label(flt.field, lang, fields, flt.window_days)
    else:
        en, z = MEASURE_LABELS.get(flt.field, (flt.field, flt.field))
    if flt.feature:
        en, z = f"{flt.feature} {en}", f"{flt.feature}{z}"
    if flt.period:
        pe, pz = PERIOD_LABELS.get(flt.period, (flt.period, flt.period))
        return f"{pz}{z}" if zh else f"{en} {pe}"
    if flt.since is not None and flt.until is not None:
        a, b = value_text(flt.since, lang), value_text(flt.until, lang)
        return f"{a}至{b}{z}" if zh else f"{en} between {a} and {b}"
    if flt.since is not None:
        a = value_text(flt.since, lang)
        return f"{a}以来{z}" if zh else f"{en} since {a}"
    if flt.until is not None:
        b = value_text(flt.until, lang)
        if isinstance(flt.until, RelativeDate) and flt.until == RelativeDate(days=0):
            return f"{z}（累计）" if zh else f"{en} (all time)"  # every event up to as-of
        return f"{b}之前{z}" if zh else f"{en} until {b}"
    w = flt.window_days or 30
    return f"近{w}天{z}" if zh else f"{en} in the last {w} days"


def _rel_text(v: RelativeDate, lang: str) -> str:
    zh = lang == "zh"
    if v.month_day:
        month, day = (int(x) for x in v.month_day.split("-"))
        return f"{month}月{day}日" if zh else f"{MONTH_ABBR_EN[month - 1]} {day}"
    if v.weekday is not None or (v.period and v.period.endswith("week") and v.days):
        return weekday_label(v, lang)
    if v.period:
        en, z = PERIOD_LABELS.get(v.period, (v.period, v.period))
        edge = ("start of " if v.edge == "start" else "end of ") if not zh else ""
        return (z + ("初" if v.edge == "start" else "末")) if zh else edge + en
    if v.days == 0:
        return "今天" if zh else "today"
    n = abs(v.days)
    if zh:
        return f"{n}天后" if v.days > 0 else f"{n}天前"
    return f"in {n} days" if v.days > 0 else f"{n} days ago"


def tag_text(tag: str, lang: str) -> str:
    """A tag's name for people ('churn_risk' / '流失风险')."""
    return shown("tag", tag, lang)


def reason_text(values: dict[str, Any] | None, lang: str) -> str:
    """Why a rule fired, in words: '未登录天数 36 · 近30天登录趋势 -100%'."""
    parts = []
    for k, v in (values or {}).items():
        if v is None:
            continue
        f = BUILTIN.get(k)
        name = f.label(lang) if f else k
        parts.append(f"{name} {format_value(k, v, lang)}")
    return " · ".join(parts)


def value_text(v: Any, lang: str, key: str | None = None) -> str:
    """A filter value in words."""
    if isinstance(v, RelativeDate):
        return _rel_text(v, lang)
    if isinstance(v, dict) and set(v) <= {
        "days",
        "period",
        "edge",
        "month_day",
        "ahead",
        "weekday",
    }:
        return _rel_text(RelativeDate.model_validate(v), lang)
    if isinstance(v, list):
        return ", ".join(value_text(x, lang, key) for x in v)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int | float) and key and _is_money(key):
        return money(v)
    f = BUILTIN.get(key or "")
    if isinstance(v, int | float) and f is not None and f.type == "percent":
        return f"{v * 100:g}%"
    return shown(key, v, lang) if key and isinstance(v, str) else str(v)


def _is_money(key: str) -> bool:
    f = BUILTIN.get(key)
    return (f is not None and f.type == "money") or key == "purchase_amount"


def filter_text(flt: Filter, lang: str, fields: dict[str, FieldDef] | None = None) -> str:
    """One filter in words: 'days since login ≥ 15', '近30天工单数 > 5'."""
    zh = lang == "zh"
    name = measure_label(flt, lang, fields)
    if flt.field == "tag":
        tags = flt.value if isinstance(flt.value, list) else [flt.value]
        if zh:
            names = "或".join(tag_text(str(t), lang) for t in tags)
            return f"没有{names}标签" if flt.op in ("ne", "not_in") else f"带有{names}标签"
        names = " or ".join(str(t) for t in tags)
        return f"not tagged {names}" if flt.op in ("ne", "not_in") else f"tagged {names}"
    if (
        flt.field == "contact_title"
        and flt.op in ("contains", "has_word")
        and isinstance(flt.value, list)
    ):
        first = str(flt.value[0])
        # an acronym as written (CFO); a title of words in title case ("Solutions Architect")
        shown = (first.upper() if " " not in first else first.title()) if first.isascii() else first
        return f"{name}包含 {shown}" if zh else f"{name} contains {shown}"
    if flt.field == "nps_comment" and flt.op == "contains" and isinstance(flt.value, list):
        shown = "、".join(map(str, flt.value)) if zh else ", ".join(map(str, flt.value))
        return f"{name}包含以下任一词：{shown}" if zh else f"{name} mentions any of: {shown}"
    if flt.field == "days_since_login" and flt.op == "empty":
        return "从未登录" if zh else "there has never been a login"
    if flt.op == "between" and isinstance(flt.value, list):
        a, b = (value_text(x, lang, flt.field) for x in flt.value)
        return f"{name} 介于 {a} 和 {b} 之间" if zh else f"{name} between {a} and {b}"
    if flt.op == "in_period":
        en, z = PERIOD_LABELS.get(str(flt.value), (str(flt.value), str(flt.value)))
        return f"{name}在{z}" if zh else f"{name} {en}"
    if flt.op in ("empty", "not_empty"):
        return f"{name}{OP_TEXT_ZH[flt.op]}" if zh else f"{name} {OP_TEXT_EN[flt.op]}"
    op = (OP_TEXT_ZH if zh else OP_TEXT_EN)[flt.op]
    f = (fields or {}).get(flt.field) or BUILTIN.get(flt.field)
    rel = flt.value
    if isinstance(rel, dict) and set(rel) <= {"days", "period", "edge"}:
        rel = RelativeDate.model_validate(rel)
    if f is not None and f.unit == "year" and isinstance(rel, RelativeDate) and not rel.period:
        years = round(-rel.days / 365)
        when = f"{years}年前" if zh else f"the year {years} years ago"
        return f"{name} {op} {when}"
    return f"{name} {op} {value_text(flt.value, lang, flt.field)}"


def condition_text(cond: Condition, lang: str, fields: dict[str, FieldDef] | None = None) -> str:
    """A condition tree in words."""
    zh = lang == "zh"
    parts_all = [_item(x, lang, fields) for x in cond.all]
    parts_any = [_item(x, lang, fields) for x in cond.any]
    out = []
    if parts_all:
        out.append((" 且 " if zh else " and ").join(parts_all))
    if parts_any:
        joined = (" 或 " if zh else " or ").join(parts_any)
        out.append(f"({joined})" if parts_all or len(parts_any) > 1 and cond.all else joined)
    s = (" 且 " if zh else " and ").join(out)
    if cond.on == "contact":
        if not s:  # any key person at all
            if cond.negate:
                return "没有录入关键人" if zh else "no key person on file"
            return "录有关键人" if zh else "a key person on file"
        if cond.negate:
            return f"没有满足「{s}」的关键人" if zh else f"no key person with {s}"
        return f"同一位关键人满足「{s}」" if zh else f"one key person with {s}"
    if cond.negate:
        return f"并非（{s}）" if zh else f"not ({s})"
    return s


def _item(x: Filter | Condition, lang: str, fields: dict[str, FieldDef] | None) -> str:
    if isinstance(x, Filter):
        return filter_text(x, lang, fields)
    inner = condition_text(x, lang, fields)
    return inner if x.negate or x.on or (len(x.all) + len(x.any)) == 1 else f"({inner})"


def sort_text(spec: Spec, lang: str, fields: dict[str, FieldDef] | None = None) -> str:
    """'most inactive first' / '按年合同额从高到低'."""
    if not spec.sort:
        return ""
    zh = lang == "zh"
    s = spec.sort[0]
    name = measure_label(s, lang, fields)
    if s.field == "days_since_login" and s.desc:
        return "最久未登录的在前" if zh else "most inactive first"
    if s.field == "contract_end" and not s.desc:
        return "最早到期的在前" if zh else "soonest renewal first"
    if zh:
        return f"按{name}从高到低" if s.desc else f"按{name}从低到高"
    return f"sorted by {name}, highest first" if s.desc else f"sorted by {name}, lowest first"


def _only_tags(spec: Spec) -> list[str] | None:
    """The tags when the whole condition is 'tagged X' (and nothing else), else None."""
    if (
        spec.mine
        or spec.owner
        or spec.team
        or spec.where.is_empty()
        or spec.where.any
        or spec.where.negate
    ):
        return None
    tags: list[str] = []
    for x in spec.where.all:
        if not (isinstance(x, Filter) and x.field == "tag" and x.op in ("eq", "in")):
            return None
        tags += [str(t) for t in (x.value if isinstance(x.value, list) else [x.value])]
    return tags


def accounts_phrase(spec: Spec, lang: str, fields: dict[str, FieldDef] | None = None) -> str:
    """The accounts a spec selects, as a noun phrase: 'accounts tagged churn_risk' / '我的客户'."""
    zh = lang == "zh"
    conds: list[str] = []
    if spec.mine:
        conds.append("我的客户" if zh else "your accounts")
    if spec.owner:
        conds.append(f"负责人 = {spec.owner}" if zh else f"owner = {spec.owner}")
    if not spec.where.is_empty():
        conds.append(condition_text(spec.where, lang, fields))
    if spec.mine and len(conds) == 1:
        return "我的客户" if zh else "your accounts"
    tags = _only_tags(spec)
    if tags and not zh:
        return f"accounts {condition_text(spec.where, lang, fields)}"
    where = (" 且 " if zh else " and ").join(conds)
    if spec.team:
        if zh:
            return f"{spec.team}团队中{where}的客户" if where else f"{spec.team}团队的客户"
        head = f"accounts of {spec.team}'s team"
        return f"{head} where {where}" if where else head
    if spec.within is not None:  # "of the top 10 by ARR: those with no TB"
        among = understood(spec.within, lang, fields)
        if zh:
            return f"（{among}）中{where}的客户" if where else f"（{among}）中的客户"
        return f"accounts where {where} among ({among})" if where else f"accounts among ({among})"
    if zh:
        return f"{where}的客户" if where else "全部客户"
    return f"accounts where {where}" if where else "all accounts"


def count_sentence(spec: Spec, n: int, lang: str, fields: dict[str, FieldDef] | None = None) -> str:
    """A count as a sentence: '80 accounts are tagged churn_risk.' / '共有 80 个客户带有流失风险标签。'."""
    zh = lang == "zh"
    tags = _only_tags(spec)
    if zh:
        if tags:
            return f"共有 {n} 个客户{condition_text(spec.where, lang, fields)}。"
        if spec.where.is_empty() and not spec.owner and not spec.mine and not spec.team:
            return f"共有 {n} 个客户。"
        return f"{accounts_phrase(spec, lang, fields)}共有 {n} 个。"
    noun = "account" if n == 1 else "accounts"
    if tags:
        verb = "is" if n == 1 else "are"
        return f"{n} {noun} {verb} {condition_text(spec.where, lang, fields)}."
    if spec.where.is_empty() and not spec.owner and not spec.team:
        return f"You have {n} {noun} in all." if spec.mine else f"There are {n} {noun} in all."
    phrase = accounts_phrase(spec, lang, fields).removeprefix("accounts ")
    if spec.mine and spec.where.is_empty() and not spec.owner and not spec.team:
        phrase = ""
    verb = "is" if n == 1 else "are"
    return f"There {verb} {n} {noun} {phrase}.".replace("  ", " ").replace(" .", ".")


def breakdown_head(
    spec: Spec, total: int, lang: str, fields: dict[str, FieldDef] | None = None
) -> str:
    """A breakdown's first line: 'Accounts tagged churn_risk by industry (40 in all):'."""
    zh = lang == "zh"
    g = label(spec.group_by or "", lang, fields)
    g = g if zh or g.isupper() else g.lower()
    phrase = accounts_phrase(spec, lang, fields)
    agg = spec.aggregate
    measured = agg is not None and agg.func != "count" and bool(agg.field)
    if zh:
        what = f"按{g}统计{_agg_text(spec, lang, fields)}" if measured else f"按{g}分布"
        return f"{phrase}{what}（共 {total} 个客户）："
    if measured:
        return f"{_cap(_agg_text(spec, lang, fields))} by {g} of {phrase} ({total} in all):"
    return f"{_cap(phrase)} by {g} ({total} in all):"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def understood(
    spec: Spec, lang: str, fields: dict[str, FieldDef] | None = None, me: str | None = None
) -> str:
    """How the question was understood, without the result: 'accounts where …, sorted by …'."""
    zh = lang == "zh"
    head = accounts_phrase(spec, lang, fields)
    if spec.group_by:
        g = label(spec.group_by, lang, fields)
        agg = _agg_text(spec, lang, fields)
        return f"{head}，按{g}统计{agg}" if zh else f"{agg} per {g.lower()} of {head}"
    if spec.aggregate is not None:
        agg = _agg_text(spec, lang, fields)
        if zh and agg == "客户数":
            return f"{head}数"
        return f"{head}的{agg}" if zh else f"{agg} of {head}"
    parts = [head]
    st = sort_text(spec, lang, fields)
    if st and not (spec.within is not None and spec.sort == spec.within.sort):
        parts.append(st)
    if spec.limit:
        parts.append(f"前{spec.limit}个" if zh else f"top {spec.limit}")
    return ("，" if zh else ", ").join(parts)


def _agg_text(spec: Spec, lang: str, fields: dict[str, FieldDef] | None) -> str:
    zh = lang == "zh"
    agg = spec.aggregate
    if agg is None or agg.func == "count" or not agg.field:
        return "客户数" if zh else "number of accounts"
    if agg.field in EVENT_MEASURES or agg.field == "events":
        name = measure_label(agg, lang, fields)  # over the window it was asked over
    else:
        name = label(agg.field, lang, fields)
    words = {
        "sum": ("total", "总"),
        "avg": ("average", "平均"),
        "min": ("minimum", "最低"),
        "max": ("maximum", "最高"),
    }[agg.func]
    if zh and agg.windowed():  # "2025-12-01至2026-01-31购买金额总计", not "总2025-…"
        after = {"sum": "总计", "avg": "平均值", "min": "最低值", "max": "最高值"}[agg.func]
        return f"{name}{after}"
    return f"{words[1]}{name}" if zh else f"{words[0]} {name}"


# ----------------------------------------------------------------------------- values


def money(v: float | int | None) -> str:
    if v is None:
        return "—"
    return f"¥{v:,.0f}"


def format_value(key: str, v: Any, lang: str) -> str:
    """A field value on an account row."""
    if v is None:
        return "—"
    f = BUILTIN.get(key)
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if _is_money(key) and isinstance(v, int | float):
        return money(v)
    if f is not None and f.type == "percent" and isinstance(v, int | float):
        return f"{v * 100:.0f}%"
    if key == "days_since_login" and isinstance(v, int | float):
        return f"{int(v)}天" if lang == "zh" else f"{int(v)} d"
    if isinstance(v, float):
        return f"{v:,.1f}" if not v.is_integer() else f"{int(v):,}"
    return shown(key, v, lang)
