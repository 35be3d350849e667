"""The tagger: typed spans of a question, read from the language tables (never copies of them).

A tag is a kind (ROLE, ATT, NEG, …), a span of the question and a value. Where phrases of two
kinds overlap the longest wins ("持反对态度" is one attitude, not a cue and a weak word; "有没有"
is a question, not a negation). Text already taken by an earlier step of the parser is blank in
the text handed in, so it is never tagged twice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from handlers import lexicon as lx
from store.lang import (
    classes,
    compare,
    dates,
    events,
    fields,
    grammar,
    negation,
    numbers,
    people,
    places,
)

# kind -> what it is. The pattern table (patterns.py) is written over these names.
KINDS: dict[str, str] = {
    "ROLE": "a key person's buying role (EB, TB, UB)",
    "TITLE": "a key person's job title (CFO, 财务总监)",
    "TITLED": "any job title written after a cue ('titled Solutions Architect', '职位是采购总监')",
    "ATT": "an attitude said as a person (blocker, 反对者, 持反对态度)",
    "ATTW": "an attitude word that needs a person or a cue (against, 反对, neutral)",
    "CUE": "a word saying an attitude is meant (attitude, 态度)",
    "KP": "a key person of any role (key people, contacts, 关键人)",
    "NEG": "a negation (no, without, dont, 没有, 不是)",
    "HAVE": "presence (have, on file, 有, 录入)",
    "ABSENT": "absence (unknown, missing, 未知, 没录入); before or after the thing",
    "QANY": "'is there any' (有没有), a question, not a negation",
    "CONJ": "a word or mark that ends a clause (and, but, 且, ，)",
    "DURATION": "a rolling number of days, with its comparison (for 30天, > 15天, 90天以上, 近7天)",
    "PERIOD": "a calendar or absolute window (this quarter, 上个月, since march 1, >= 2025)",
    "SUPER": "a ranking word (most, least, top, 最多, 最低)",
    "AGG": "a figure summed or averaged (total, average, 合计, 平均)",
    "EVENT": "a built-in event type said as happening (purchases, bought, tickets, 购买过, 工单)",
    "DID": "a verb saying an event happened (made, placed, opened, 提交过)",
    "USE": "using a feature (used, usage, uses, 用过, 使用次数)",
    "LOGIN": "logging in (logged in, logins, active, contacted, 登录过, 活跃, 动静)",
    "IDLE": "not active at all (inactive, dormant, 不活跃, 沉默)",
    "EVER": "all time said with a negation (ever, at all, even once, 从来, 从未, 一次都)",
    "LAST": "the last login as a moment (last login, last seen, 上次登录)",
    "WINDOW": "the bound a date is said with, as a comparator (since, before, after, 以来, 之前, 起)",
    "DATE": "a day: with its year (2026-03-05), without (Oct 1, 10月1日) or a weekday (Monday, 上周一)",
    "CAL": "a calendar period, to come too (next month, 下下个月, Q3 2025, March 2027, in 2025)",
    "DAYS": "a number of days, and which way (the last 30天, 未来14天内, 30天内)",
    "RANGE": "a window with both ends (between Dec 1 and Jan 31, 9月1日到10月31日之间)",
    "DEADLINE": "the end of a period to come (before the end of the year, 年底前, by quarter-end)",
    "RENEW": "a contract's end: to come (renewals, expiring, 到期, 续约) or past (expired, 过期)",
    "NEW": "a new account, said alone (new customers, 新增客户)",
    "SIGNED": "an account's start, said with when (signed, added, joined, 签约, 加入)",
    "SOONEST": "the nearest first (soonest, earliest, 最快, 最早)",
    "AHEAD": "still to come (upcoming, soon, 即将, 未来)",
    "CONTRACT": "the contract, said apart from its end (合同…到期; not 合同额)",
    "MONEY": "a number written as money (¥5,000, 1.2万元, $40k, 十五万); value: the amount",
    "NUMBER": "a number (40, 1.5, 500人, 20%) or a range ('between 10 and 50', '100到500之间'); "
    "value: the number, or (low, high)",
    "CMP": "a comparator (>, at least, 超过, 以上, is 9, between); value: gt ge lt le eq ne between",
    "AGO": "a duration is an age (ago, old, 之前); the dates helper may fold it into DURATION",
    "FIELD": "a field named (ARR, 员工数, health score, a custom field's label); value: its key",
    "VALUE": "a value of a field the book or the vocabulary knows -> (field, English, Chinese): "
    "an industry, a city, a plan, a custom field's value (the book's, from book_tags)",
    "PLANWEAK": "a plan whose name is an ordinary word too (team, free, growth): a plan only "
    "beside a plan word (book_tags)",
    "PLANCUE": "a word naming plans (plan, edition, subscription, 套餐)",
    "CITYGROUP": "a group of cities and provinces (江浙沪, 北上广深, tier-1 cities)",
    "EXCEPT": "leaving values out, before them (except, outside, other than, 除了, 非)",
    "EXCEPTAFTER": "leaving values out, after them (以外, 之外)",
    "AT": "where an account is (based in, located in, 位于)",
    "GRADE": "a letter grade with its word (A类, tier B, grade C): the book's tier or grade field",
    "PRICE": "a price sensitivity said whole (price sensitive, 价格敏感度高) -> (field, level, level)",
    "PRICECUE": "a word saying price is meant (price, pricing, 价格)",
    "PRICELEVEL": "a price sensitivity level the book stores (high, medium): one beside PRICECUE",
    "CODE": "a two-letter country code where it is a country (the US, non-UK, uk accounts)",
    "USER": "a user of the book by name, handle or email (book_tags) -> (handle, role)",
    "OWNS": "after a user, the accounts are theirs (负责的, 跟进的)",
    "TAG": "a tag (churn risk, 流失风险, vip; a book's own tags beside): the tag",
    "TAGCUE": "a word saying a tag is meant (tagged, 打了, 标签为)",
    "UNTAGGED": "no tag at all (untagged, 没打标签)",
    "NPSCLASS": "an NPS class (detractors, 推荐者): promoter / passive / detractor",
    "HEALTH": "a health band (red, unhealthy, 绿灯, 健康度低): green / yellow / red",
    "RFM": "an RFM segment (champions, 忠诚客户): the segment as stored",
    "SET": "a word after a field saying its value is meant (set, info, 信息)",
    # after VALUE: a word that is both (a book whose feature column holds its plans) is the value
    "FEATURE": "a feature the book's events record (the API, SSO, 报表功能), from the book",
}
# kinds naming someone: a Chinese name is a whole word, not the start of a longer one (王越 is not
# read inside 王越峰): a CJK character right after it must begin another tag or a filler word
WHOLE_NAMES = frozenset({"USER"})


@dataclass(frozen=True)
class Tag:
    kind: str
    start: int
    end: int
    value: Any
    text: str


def _table(phrases_by_value: Mapping[Any, Iterable[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value, phrases in phrases_by_value.items():
        for p in phrases:
            out.setdefault(p.lower(), value)
    return out


def _words(words: Iterable[str]) -> dict[str, Any]:
    return {w.lower(): w.lower() for w in words}


@lru_cache(maxsize=1)
def tables() -> dict[str, dict[str, Any]]:
    """kind -> phrase -> value, built from the language tables."""
    return {
        "ROLE": _table(people.ROLE_WORDS),
        "TITLE": {p.lower(): tuple(ps) for ps in people.TITLE_WORDS.values() for p in ps},
        "ATT": _table(people.ATTITUDE_PERSON_WORDS),
        "ATTW": _table(people.ATTITUDE_WORDS),
        "CUE": _words(people.ATTITUDE_CUES),
        "KP": _words(people.KEY_PERSON_NOUNS),
        "NEG": _words(negation.NEGATION),
        "HAVE": _words(grammar.PRESENCE),
        "ABSENT": _words(grammar.ABSENCE_AFTER),
        "QANY": _words(grammar.QUESTION_ANY),
        "CONJ": _words(grammar.CONJUNCTIONS + grammar.CLAUSE_MARKS),
        "SUPER": _words(grammar.SUPERLATIVES),
        "AGG": _words(grammar.AGGREGATES),
        "EVENT": {
            w.lower(): (etype, form)
            for etype, (nouns, verbs) in events.EVENT_WORDS.items()
            for form, words in (("noun", nouns), ("verb", verbs))
            for w in words
        },
        "DID": _words(events.EVENT_VERBS),
        "USE": {w.lower(): v for w, v in events.FEATURE_USE_WORDS.items()},
        "LOGIN": _table(events.LOGIN_WORDS),
        "IDLE": _words(events.IDLE_WORDS),
        "EVER": {p.lower(): v for p, v in events.EVER_WORDS.items()},
        "LAST": _words(events.LAST_LOGIN_WORDS),
        "FIELD": _table(lx.FIELD_PHRASES),
        "AGO": _words(dates.AGO),
        "PLANCUE": _words(fields.FIELD_WORDS["plan"] + fields.PLAN_CUES),
        "CITYGROUP": _table({k: g.words for k, g in places.CITY_GROUPS.items()}),
        "EXCEPT": _words(negation.VALUE_EXCLUSION),
        "EXCEPTAFTER": _words(negation.EXCLUSION_AFTER),
        "AT": _words(places.LOCATED),
        "OWNS": _words(people.OWNER_WORDS),
        "PRICE": {p: ("price_sensitivity", v, v) for p, v in fields.PRICE_PHRASES.items()},
        "PRICECUE": _words(fields.PRICE_CUES),
        "TAG": _table(classes.TAG_WORDS),
        "TAGCUE": _words(classes.TAG_CUES),
        "UNTAGGED": _words(classes.UNTAGGED),
        "NPSCLASS": _table(classes.NPS_CLASS_WORDS),
        "HEALTH": _table(classes.HEALTH_WORDS),
        "RFM": _table(classes.RFM_WORDS),
        "SET": _words(grammar.FIELD_AFTER),
    }


def _edge(p: str, possessive: bool = False) -> str:
    """A phrase as a regex, ASCII words whole; a book's names and values may take "'s"."""
    e = re.escape(p).replace(r"\ ", r"\s+")
    if p[0].isascii() and p[0].isalnum():
        e = r"(?<![a-z0-9_])" + e
    if p[-1].isascii() and p[-1].isalnum():
        e = e + (r"(?![a-z0-9_]|'(?!s\b))" if possessive else r"(?![a-z0-9_'])")
    return e


@lru_cache(maxsize=64)
def _code_rx(held: tuple[str, ...]) -> re.Pattern:
    """A country code where it is a country (store/lang/places.py says where): us, uk and the
    codes a book stores."""
    codes = "|".join(sorted({*places.COUNTRY_CODES, *held}))
    after = "|".join(f"(?<={re.escape(w)})" for w in places.CODE_AFTER)
    not_us = "".join(f"(?<!\\b{re.escape(w)} )" for w in places.US_PRONOUN_AFTER)
    noun = r"(?:\s*-?\s*based)?\s+(?:\w+\s+)?" + lx.ACCOUNT_NOUNS_EN
    return re.compile(
        rf"(?:{after})\b(?:{codes})\b(?![-'])(?!\s+(?:and|or)\s+(?:me|them|you)\b)"
        rf"|{not_us}\b(?:{codes})(?={noun})"
    )


# kinds read by a regex built with the book's own words (its country codes)
BOOK_RX_KINDS = {"CODE": _code_rx}


# kinds read by a regex of the language layer rather than a word table
RX_KINDS: dict[str, str] = {
    "DURATION": (
        # "in" / "for" / "the" are left out at the start: they are filler, and "logged in" keeps its "in"
        r"(?:(?:over|during|at\s+least|about)\s+(?:the\s+)?)?"
        r"(?:(?:last|past|previous|recent|prior)\s+)?(?:(?:>=|<=|>|<)\s*)?"
        r"(?:(?:近|最近|过去的?|长达|已经|已|达|连续)\s*)?\d+天"
        r"(?:\s*(?:以上|以下|以内|之内|多|内|以来|里|中|或更久|ago|以前|之前|前|了|之久))*"
    ),
    "WINDOW": dates.BOUND_RX,
    "DATE": dates.DAY_RX,
    "CAL": dates.PERIOD_RX,
    "DAYS": dates.DURATION_RX,
    "RANGE": dates.RANGE_RX,
    "DEADLINE": dates.DEADLINE_RX,
    "RENEW": "|".join(f"(?:{rx})" for rx in dates.RENEW_WORDS.values()),
    "NEW": dates.NEW_WORDS,
    "SIGNED": dates.SIGNED_WORDS,
    "SOONEST": dates.SOONEST_WORDS,
    "AHEAD": dates.AHEAD_WORDS,
    "CONTRACT": dates.CONTRACT_WORDS,
    "CMP": compare.comparator_rx(),
    "GRADE": fields.GRADE_RX,
    "TITLED": people.TITLE_CUE_RX,
}
# how an RX kind's matched text reads as its value (the text itself when none is given)
RX_READERS: dict[str, Callable[[str], Any]] = {
    "CMP": compare.comparator_op,
    "TITLED": lambda text: (people.title_after_cue(text) or text,),
}
# the value of a regex kind read from the question around its match: (text, start, end) ->
# value, or None when the match is no such thing there (a bare "may" is no month)
READERS: dict[str, Callable[[str, int, int], Any]] = {
    "WINDOW": dates.read_bound,
    "DATE": dates.read_day,
    "CAL": dates.read_period,
    "DAYS": dates.read_duration,
    "RANGE": dates.read_range,
    "DEADLINE": dates.read_deadline,
    "RENEW": dates.read_renewal,
}


def _plain(v: float) -> float | int:
    return int(v) if v == int(v) else v


_UNIT_AFTER = re.compile(
    r"\s*(?:%|(?:"
    + "|".join(
        re.escape(u) + (r"\b" if u.isascii() else "")
        for u in sorted(numbers.COUNT_UNITS, key=len, reverse=True)
    )
    + "))"
)


def _numbers(text: str) -> list[tuple[str, int, int, Any]]:
    """NUMBER and MONEY: every amount of the text (store/lang/numbers.py reads it: 40k, 十五万,
    ¥5,000 and 1.2万元 alike), a count unit or % after it kept with it, and every range
    (store/lang/compare.py: between 10 and 50, 100到500之间). An ISO date or a time is no number."""
    out: list[tuple[str, int, int, Any]] = []
    for start, end, (lo, hi) in compare.find_ranges(text):
        out.append(("NUMBER", start, end, (_plain(lo), _plain(hi))))
    for a in numbers.find_amounts(text):
        if re.search(r"\d[-/:.]$", text[: a.start]) or re.match(r"[-/:]\d", text[a.end :]):
            continue  # a piece of a date or a time
        end = a.end
        unit = _UNIT_AFTER.match(text, end)
        if unit:  # "5万人" counts people, "60分" points: no money
            end = unit.end()
        money = not unit and (a.explicit or re.search("[万亿]", text[a.start : a.end]))
        neg = (
            text[a.start - 1 : a.start] == "-"
            and not text[max(0, a.start - 2) : a.start - 1].isalnum()
        )
        start = a.start - 1 if neg else a.start
        value = -a.value if start < a.start else a.value
        out.append(("MONEY" if money else "NUMBER", start, end, _plain(value)))
    return out


def _periods(text: str) -> list[tuple[str, int, int, Any]]:
    """Calendar and absolute windows (the window arguments of a spec filter), and a year compared
    ("since 2025", normalised ">= 2025": from its first day)."""
    found = [("PERIOD", s, e, kw) for s, e, kw in dates.find_windows(text, rolling=False)]
    # ("more than 2000" is a number: only since / up to a year are read as one)
    for m in re.finditer(r"(>=|<=)\s*((?:19|20)\d\d)(?![\d\-天.])", text):
        year = int(m.group(2))
        kw = (
            {"since": dt.date(year, 1, 1)}
            if m.group(1) == ">="
            else {"until": dt.date(year, 12, 31)}
        )
        found.append(("PERIOD", m.start(), m.end(), kw))
    # "in the last week" is the last 7 days, not the calendar week (find_windows leaves it out)
    units = "|".join(dates.DURATION_UNITS)
    for m in re.finditer(rf"\bthe\s+(?:last|past|previous)\s+({units})\b", text):
        found.append(
            ("PERIOD", m.start(), m.end(), {"window_days": dates.DURATION_UNITS[m.group(1)]})
        )
    return found


# kinds read by a reader of the layer: text -> (kind, start, end, value) for each one found
FINDERS: dict[str, Callable[[str], list[tuple[str, int, int, Any]]]] = {
    "NUMBER": _numbers,
    "MONEY": _numbers,
    "PERIOD": _periods,
}


@lru_cache(maxsize=64)
def _kind_rx(kind: str) -> re.Pattern:
    if kind in RX_KINDS:
        return re.compile(RX_KINDS[kind])
    phrases = sorted(tables()[kind], key=len, reverse=True)
    return re.compile("|".join(_edge(p) for p in phrases))


@lru_cache(maxsize=64)
def _phrases_rx(phrases: tuple[str, ...]) -> re.Pattern:
    return re.compile(
        "|".join(_edge(p, possessive=True) for p in sorted(phrases, key=len, reverse=True))
    )


_CJK = re.compile(r"[\u3400-\u9fff]")


def _whole(text: str, t: Tag, found: list[Tag]) -> bool:
    """A Chinese name ends where a filler word, an account noun or another tag begins."""
    after = text[t.end : t.end + 1]
    if not (_CJK.match(after) and _CJK.match(t.text[-1])):
        return True
    if any(f.start == t.end for f in found):
        return True
    return bool(_filler_start().match(text, t.end))


@lru_cache(maxsize=1)
def _filler_start() -> re.Pattern:
    words = sorted((w for w in lx.STOPWORDS_ZH if w), key=len, reverse=True)
    return re.compile("|".join([lx.ACCOUNT_NOUNS_ZH, *(re.escape(w) for w in words)]))


# a book's table -> its regex, by identity: handlers.parser.book_tags builds a book's tables once
# per context, so a question reuses the regex instead of sorting a thousand phrases again
_BOOK_RX: dict[int, tuple[Mapping[str, Any], re.Pattern]] = {}


def _book_rx(book: Mapping[str, Any]) -> re.Pattern:
    held = _BOOK_RX.get(id(book))
    if held is None or held[0] is not book:
        if len(_BOOK_RX) >= 64:
            _BOOK_RX.clear()
        held = (book, _phrases_rx(tuple(sorted(book))))
        _BOOK_RX[id(book)] = held
    return held[1]


def tag(
    text: str,
    kinds: Iterable[str] | None = None,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Tag]:
    """Every tag of the given kinds in (lower-cased) text, longest first where they overlap.

    `kinds` None is every kind. `extra` adds tables known only for one book (kind -> lower-cased phrase -> value: its
    industries, custom values, users), read like the fixed ones; a kind in both reads both."""
    found: list[Tag] = []
    dynamic = {k: v for k, v in (extra or {}).items() if v}
    if kinds is None:  # every kind, the book's own included
        kinds = [*KINDS, *(k for k in dynamic if k not in KINDS)]
    kinds = list(kinds)
    own: set[tuple[str, int, int]] = set()  # tags read from the book's own tables: they win a tie
    finders_run: set[Callable] = set()
    for kind in kinds:
        if kind in FINDERS:
            finder = FINDERS[kind]
            if finder not in finders_run:
                finders_run.add(finder)
                for k, start, end, value in finder(text):
                    if k in kinds:
                        found.append(Tag(k, start, end, value, text[start:end]))
            if kind not in dynamic:
                continue
        table = tables().get(kind)
        matches = (
            list(_kind_rx(kind).finditer(text)) if kind in tables() or kind in RX_KINDS else []
        )
        if kind in BOOK_RX_KINDS:
            table = dict(dynamic.get(kind, {}))
            matches = list(BOOK_RX_KINDS[kind](tuple(sorted(table))).finditer(text))
        elif kind in dynamic:
            book = dynamic[kind]
            table = {**table, **book} if table else book  # a book's own word is the one it means
            booked = list(_book_rx(book).finditer(text))
            own.update((kind, m.start(), m.end()) for m in booked)
            matches += booked
        for m in matches:
            if not m.group():
                continue
            key = re.sub(r"\s+", " ", m.group())
            if kind in READERS and kind not in dynamic:
                value = READERS[kind](text, m.start(), m.end())
                if value is None:
                    continue
            elif table is not None and key in table:
                value = table[key]
            else:
                value = RX_READERS.get(kind, lambda x: x)(key)
            found.append(Tag(kind, m.start(), m.end(), value, m.group()))
    found = [t for t in found if t.kind not in WHOLE_NAMES or _whole(text, t, found)]
    found.sort(key=lambda t: (-(t.end - t.start), t.start, (t.kind, t.start, t.end) not in own))
    chosen: list[Tag] = []
    for t in found:
        if not any(t.start < c.end and c.start < t.end for c in chosen):
            chosen.append(t)
    return sorted(chosen, key=lambda t: t.start)
