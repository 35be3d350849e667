"""Dates, periods and windows as people write them, in English and Chinese, relative to as-of.

One table and one reader for every door:

- `read_date` reads a date said on its own (an import cell, an interview answer, a note):
  2024年3月5日, 2024/3/5, 2024-03-05, March 5 2024, 5 Mar, Oct 1, 十月一日, 10月1号;
- `date_value` reads the date inside a question's range ("since Oct 1"), keeping a date said
  without its year relative (the latest such day on or before as-of), so a saved rule means the
  same thing next year;
- `find_windows` finds the windows of a text — calendar periods (this/last month, 本季度, 去年,
  十月份, in October), ranges (since X, from X to Y, between X and Y, X到Y之间, X以来, before the end
  of the year, 年底前) and rolling durations (last 30 days, 最近两周, 近半年) — as the window
  arguments of a spec filter (`period`, `since`/`until`, `window_days`);
- `write_durations` rewrites durations as days ("两周" -> "14天", "past 3 months" -> "past 90天")
  for the question parser.

The corpora `DATE_EXAMPLES` and `WINDOW_EXAMPLES` are the tests: tests/test_lang.py feeds them to
every reader (importer, question parser, interview) and requires the same dates.

Libraries looked at: dateparser (reads single English dates and a few Chinese ones, but not
本季度, 十月一日, 最近两周 or any range, and returns points, not periods) and jionlp (good Chinese
spans, but ~200 MB with its segmenter and numpy, no English, and it resolves everything to
timestamps where a spec must keep "last month" relative). Neither reads both scripts into relative
periods, so this dimension is a table by hand; Chinese numerals go through cn2an (numbers.py).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from store.lang.numbers import EN_NUMBER_WORDS, write_out, zh_int
from store.spec import RelativeDate, period_bounds

# ---------------------------------------------------------------------------------- the tables

MONTHS: dict[str, int] = {
    name: i + 1
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        )
    )
    for name in names
}
MONTH_RX = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ZH_SMALL = "一二两三四五六七八九十"
# a month or a day as a number: 10, 十, 十二, 二十一
_ZH_NUM = rf"[{_ZH_SMALL}]{{1,3}}"

# calendar periods named by a word: period -> how it is said (regex alternatives); two back or
# ahead first, so "上上个月" is not read as "上个月"
PERIOD_WORDS: dict[str, str] = {
    "month_before_last": r"\b(?:the\s+)?month\s+before\s+last\b|上上个月|上上月",
    "month_after_next": r"\b(?:the\s+)?month\s+after\s+next\b|下下个月|下下月",
    "week_before_last": r"\b(?:the\s+)?week\s+before\s+last\b|上上周|上上个?星期",
    "week_after_next": r"\b(?:the\s+)?week\s+after\s+next\b|下下周|下下个?星期",
    "quarter_before_last": r"\b(?:the\s+)?quarter\s+before\s+last\b|上上个?季度",
    "quarter_after_next": r"\b(?:the\s+)?quarter\s+after\s+next\b|下下个?季度",
    "year_before_last": r"\b(?:the\s+)?year\s+before\s+last\b|前年",
    "year_after_next": r"\b(?:the\s+)?year\s+after\s+next\b|后年",
    "this_month": r"\bthis month\b|\bcurrent month\b|本月份|本月|这个月|当月|这月",
    "last_month": r"\blast month\b|\bprevious month\b|上个月|上月|上一个月",
    "next_month": r"\bnext month\b|\bcoming month\b|下个月|下月",
    "this_week": r"\bthis week\b|本周|这周|这个星期|本星期|这星期",
    "last_week": r"\blast week\b|\bprevious week\b|上周|上个星期|上星期",
    "next_week": r"\bnext week\b|\bcoming week\b|下周|下个星期|下星期",
    "this_quarter": r"\bthis quarter\b|\bcurrent quarter\b|本季度|这个季度|这季度|本季|当季",
    "last_quarter": r"\blast quarter\b|\bprevious quarter\b|上季度|上个季度|上一季度|上一个季度",
    "next_quarter": r"\bnext quarter\b|\bcoming quarter\b|下季度|下个季度|下一季度",
    "this_year": r"\bthis year\b|\bcurrent year\b|今年|本年度|本年",
    "last_year": r"\blast year\b|\bprevious year\b|去年|上一年",
    "next_year": r"\bnext year\b|\bcoming year\b|明年|下一年",
    "today": r"\btoday\b|今天|今日",
}
# periods still to come: no event window reads them ("下个月有购买" is no window of the past)
FUTURE_PERIODS = frozenset(p for p in PERIOD_WORDS if "next" in p) | {"today"}
# how a period is written back in an answer: period -> (English, Chinese)
MONTH_NAMES_EN = tuple(calendar.month_name[1:])  # January … December
MONTH_ABBR_EN = tuple(calendar.month_abbr[1:])  # Jan … Dec
PERIOD_LABELS: dict[str, tuple[str, str]] = {
    "today": ("today", "今天"),
    "this_week": ("this week", "本周"),
    "last_week": ("last week", "上周"),
    "next_week": ("next week", "下周"),
    "this_month": ("this month", "本月"),
    "last_month": ("last month", "上个月"),
    "next_month": ("next month", "下个月"),
    "this_quarter": ("this quarter", "本季度"),
    "last_quarter": ("last quarter", "上季度"),
    "next_quarter": ("next quarter", "下季度"),
    "this_year": ("this year", "今年"),
    "last_year": ("last year", "去年"),
    "next_year": ("next year", "明年"),
    "month_before_last": ("the month before last", "上上个月"),
    "month_after_next": ("the month after next", "下下个月"),
    "week_before_last": ("the week before last", "上上周"),
    "week_after_next": ("the week after next", "下下周"),
    "quarter_before_last": ("the quarter before last", "上上季度"),
    "quarter_after_next": ("the quarter after next", "下下季度"),
    "year_before_last": ("the year before last", "前年"),
    "year_after_next": ("the year after next", "后年"),
}
_UNIT_LABELS = {f"q{q}": (f"Q{q}", f"第{'一二三四'[q - 1]}季度") for q in range(1, 5)}
_UNIT_LABELS.update({f"m{m}": (MONTH_NAMES_EN[m - 1], f"{m}月") for m in range(1, 13)})
_UNIT_LABELS.update({"h1": ("H1", "上半年"), "h2": ("H2", "下半年")})
for _unit, (_en, _zh) in _UNIT_LABELS.items():
    PERIOD_LABELS[_unit] = (_en, _zh)
    PERIOD_LABELS[f"next_year_{_unit}"] = (f"{_en} next year", f"明年{_zh}")
    PERIOD_LABELS[f"last_year_{_unit}"] = (f"{_en} last year", f"去年{_zh}")
    if _unit[0] != "h":
        PERIOD_LABELS[f"next_{_unit}"] = (f"next {_en}", f"下一个{_zh}")
        PERIOD_LABELS[f"last_{_unit}"] = (f"last {_en}", f"上一个{_zh}")

# the end of a period as a bound ("before the end of the year", "年底前", "by end of quarter")
PERIOD_ENDS: dict[str, str] = {
    "this_year": r"year|年底|年末|年终",
    "this_quarter": r"quarter|季度末|季末|季度底",
    "this_month": r"month|月底|月末",
    "this_week": r"week|周末",
}
# days in a unit of a rolling duration
# words after a duration that make it an age, a day that long before as-of ("10 years ago",
# "成立10年以前", "companies more than 20 years old")
AGO: tuple[str, ...] = ("ago", "old", "之前", "以前")
DURATION_UNITS: dict[str, int] = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 90}
DURATION_UNITS["year"] = 365
_UNIT_WORDS: dict[str, str] = {
    "day": r"days?\b|天",
    "week": r"weeks?\b|wks?\b|周|星期|礼拜",
    "fortnight": r"fortnights?\b",
    "month": r"months?\b|mos?\b|个多月|个月",
    "quarter": r"quarters?\b|个季度",
    "year": r"years?\b|yrs?\b|年(?!\d|底|末|初|代)",
}
# numbered quarters and halves ("Q4", "第四季度", "H1", "上半年") and months ("October", "10月份")
QUARTER_ORDINALS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
QUARTER_ORDINALS.update({"first": 1, "second": 2, "third": 3, "fourth": 4})
QUARTER_ORDINALS.update({"1st": 1, "2nd": 2, "3rd": 3, "4th": 4})
CAL_RX = (
    r"(?<![a-z0-9])q(?P<q1>[1-4])(?![a-z0-9])"
    r"|\b(?:the\s+)?(?P<q2>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:fiscal\s+)?quarter\b"
    r"|\bquarter\s+(?P<q3>[1-4])\b"
    r"|第(?P<q4>[一二三四1-4])(?:个)?季度?"
    r"|(?<![下上这本此当每第一二三四0-9])(?P<q5>[一二三四1-4])季度"
    r"|(?<![a-z0-9])h(?P<h1>[12])(?![a-z0-9])"
    r"|\b(?:the\s+)?(?P<h2>first|second|1st|2nd)\s+half(?:\s+of\s+(?:the\s+)?year)?\b"
    r"|(?P<h3>上|下)半年"
    r"|\b(?P<mn>january|february|march|april|june|july|august|september|october|november"
    r"|december|may|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?"
    rf"|(?<![\d.\-{_ZH_SMALL}])(?P<mz>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月份?"
    rf"(?!\s*(?:\d+|{_ZH_NUM})\s*[日号])"
)
CAL_YEAR_BEFORE = (
    r"(?:(?P<y>20\d{2})\s*(?:年\s*(?:的)?|'s\s+)?|(?P<rel>next\s+year'?s?|last\s+year'?s?"
    r"|this\s+year'?s?|明年|去年|今年|本年度?|下一年|上一年)\s*(?:的)?"
    r"|(?P<nl>\bnext|\bcoming|\bupcoming|\bfollowing|\blast|\bprevious|\bprior|\bpast"
    r"|下一个|下个|上一个|上个)\s*)$"
)
CAL_YEAR_AFTER = (
    r"^\s*(?:(?:of|in)\s+)?(?:(?:fy\s*)?(?P<y>20\d{2})(?!\d)\s*年?"
    r"|(?:the\s+)?(?P<rel>next\s+year|last\s+year|this\s+year|coming\s+year|previous\s+year))"
)

# days of the week: 0 is Monday ("since Monday", "上周一", "本周三以来")
WEEKDAY_NAMES_EN = tuple(calendar.day_name)  # Monday … Sunday
WEEKDAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_ZH_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# which week a weekday is of: the word before it -> the week period
WEEKDAY_WEEKS: dict[str, str] = {"this": "this_week", "本": "this_week", "这": "this_week"}
WEEKDAY_WEEKS.update({"last": "last_week", "上": "last_week", "上个": "last_week"})
WEEKDAY_WEEKS.update(
    {"next": "next_week", "coming": "next_week", "下": "next_week", "下个": "next_week"}
)
WEEKDAY_RX = (
    r"(?:\b(?:this|last|next|coming)\s+)?\b(?:"
    + "|".join(d.lower() for d in WEEKDAY_NAMES_EN)
    + r")\b|(?:上个?|下个?|本|这)?(?:周|星期|礼拜)[一二三四五六日天]"
)

# a date as written: with a day (a year optional), or a month of a year
_DAY = r"\d{1,2}|" + _ZH_NUM
_MON = r"\d{1,2}|" + _ZH_NUM
DATE_RX = (
    r"(?:\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}"
    rf"|(?:\d{{4}}\s*年\s*)?(?:{_MON})\s*月\s*(?:{_DAY})\s*[日号]?"
    rf"|{MONTH_RX}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:\s*,?\s*\d{{4}})?(?!\d)"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RX}(?:\s*,?\s*\d{{4}})?"
    r"|\d{4}\s*年\s*\d{1,2}\s*月(?:份)?|\d{1,2}\s*月份?"
    rf"|{MONTH_RX}(?:\s*,?\s*\d{{4}})?|{WEEKDAY_RX})"
)
# a date said with its year (a day or a whole month): "2026-03-05", "March 5, 2027", "2027年3月"
DATED_RX = (
    r"(?:\d{4}-\d{2}-\d{2}"
    rf"|{MONTH_RX}\s+\d{{1,2}}(?:st|nd|rd|th)?\s*,?\s*\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_RX}\s*,?\s*\d{{4}}"
    rf"|\d{{4}}\s*年\s*(?:{_MON})\s*月(?:\s*(?:{_DAY})\s*[日号])?(?:份)?"
    rf"|{MONTH_RX}\s*,?\s*\d{{4}})(?!\d)"
)
_RANGE_PATTERNS = (
    rf"\bbetween\s+(?:the\s+)?(?P<a>{DATE_RX})\s+and\s+(?:the\s+)?(?P<b>{DATE_RX})",
    rf"\bfrom\s+(?:the\s+)?(?P<a>{DATE_RX})\s+(?:to|until|till|through|thru|-)\s+(?:the\s+)?"
    rf"(?P<b>{DATE_RX})",
    rf"(?:在|从|自)?\s*(?P<a>{DATE_RX})\s*(?:到|至|-|~)\s*(?P<b>{DATE_RX})\s*(?:之间|期间|内|里)?",
    rf"(?:\bsince|\bafter|\bstarting(?:\s+(?:from|on))?|\bfrom)\s+(?:the\s+)?(?P<a>{DATE_RX})",
    rf"(?:自|从)?\s*(?P<a>{DATE_RX})\s*(?:以来|之后|以后|起|开始|至今|到现在|到今天)",
    rf"(?:\bbefore|\buntil|\btill|\bby)\s+(?:the\s+)?(?P<b>{DATE_RX})",
    rf"(?P<b>{DATE_RX})\s*(?:之前|以前)",
)
_PERIOD_SINCE = (  # "since last month", "今年以来", "本季度至今": from the start of that period
    r"(?:\bsince\s+(?:the\s+start\s+of\s+)?(?P<p1>{p})|(?P<p2>{p})\s*(?:以来|至今|到现在))"
)
# the start of the current period as a bound: "since the start of the month", "年初以来", "YTD"
_START_OF = (
    r"\b(?:since|from)\s+(?:the\s+)?(?:start|beginning)\s+of\s+(?:the\s+|this\s+)?"
    r"(?P<u1>week|month|quarter|year)\b"
    r"|(?:本|今)?(?P<u2>年|月|季度|季|周)初\s*(?:以来|至今|到现在|开始|起)"
    r"|\b(?P<u3>ytd|mtd|qtd|wtd)\b|\b(?P<u4>year|month|quarter|week)[- ]to[- ]date\b"
)
_UNIT_OF = {"年": "year", "月": "month", "季度": "quarter", "季": "quarter", "周": "week"}
_UNIT_OF.update({"ytd": "year", "mtd": "month", "qtd": "quarter", "wtd": "week"})
_END_OF = (
    r"\b(?:before|by|until|till)\s+(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|(?P<n1>next)\s+)?"
    r"(?P<e1>{units})\b"
    r"|\b(?:before|by|until|till)\s+(?:the\s+|this\s+)?(?P<e4>{units})[\s-]?end\b"
    r"|(?:(?:今年|本)?\s*|(?P<n2>明|下一个|下个|下))(?P<e2>{zh})\s*(?:之前|以前|前)?"
    r"|(?P<e3>今年|本年度|本季度|本季|本月|这个月|本周|这周)\s*(?:之)?内"
)
# a whole year said alone: "in 2025", "during 2025", "2025年" (not "2025年3月", not a number)
_YEAR_RX = (
    r"(?:\b(?:in|during|for|throughout)\s+(?:the\s+year\s+)?|在)\s*(?P<y1>(?:19|20)\d{2})(?![\d\-/.])"
    r"(?:\s*年)?(?!\s*\d)(?!\s*(?:q[1-4]|h[12])\b)"  # "in 2025 Q1" is the quarter
    r"|(?<![\d\-/.])(?P<y2>(?:19|20)\d{2})\s*年(?:全年|整年|一整年|度)?(?!\s*\d)"
)
# days named by a word: days from as-of
DAY_WORDS: dict[str, int] = {"today": 0, "今天": 0, "今日": 0, "yesterday": -1, "昨天": -1}
DAY_WORDS.update({"昨日": -1, "前天": -2, "the day before yesterday": -2})
# a rolling duration of days (after write_durations): "last 30天", "近14天", "过去90天内"
ROLLING_RX = (
    r"(?:(?:in|within|over|during|for|of|the|last|past|previous|recent|prior)\s+)*"
    r"(?:近|最近|过去的?|前)?\s*(?P<n>\d+)天\s*(?:内|以来|里|中|之内|以内)?"
)
_ROLLING_CUE = r"\b(?:last|past|previous|recent|prior|within)\b|近|最近|过去|以来|之内|以内|内|里"

# ------------------------------------------------------------- the question tagger's kinds
# (handlers/understand/tags.py reads a question's dates with these regexes and readers; the text
# is the parser's: lower-cased, days with a year written ISO, durations written as days)


def _plain(rx: str) -> str:
    """A regex without its group names (to be one alternative of a larger one)."""
    return re.sub(r"\(\?P<\w+>", "(?:", rx)


_M = rf"\b{MONTH_RX}"
# DATE: a day ("2026-03-05", "Oct 1", "10月1日", "1st of March", "Monday", "上周一")
DAY_RX = (
    r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])"
    rf"|(?:\d{{4}}\s*年\s*)?(?<![\d.])(?:{_MON})\s*月\s*(?:{_DAY})\s*[日号]"
    rf"|{_M}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:\s*,?\s*\d{{4}})?(?![\d:])"
    rf"|(?<![\d.])\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_M}(?![a-z])(?:\s*,?\s*\d{{4}})?"
    rf"|{WEEKDAY_RX}"
)
# PERIOD: a calendar period (本季度, next month, 上上个月, Q3 2025, 去年十月, March 2027, in 2025)
PERIOD_RX = "|".join(  # a month or quarter with its year first: "去年十月" is one period
    [
        rf"(?:{_plain(CAL_YEAR_BEFORE)[:-1]})?(?:{_plain(CAL_RX)})(?:{_plain(CAL_YEAR_AFTER)[1:]})?",
        rf"(?:{_plain(_YEAR_RX)})(?!\s*(?:{_plain(CAL_RX)}))",  # "2025 Q1" is a quarter
        *PERIOD_WORDS.values(),
    ]
)
# DURATION: a number of days (durations are written as days first: 两周 -> 14天), with the words
# saying which way it runs ("the last 30天", "未来30天内", "next 14天", "30天内")
_PAST_WORDS = r"last|past|previous|recent|prior|近|最近|过去|前|以来"
_AHEAD_WORDS = r"next|coming|following|upcoming|未来|接下来|今后"
DURATION_RX = (
    # "in" / "for" / "the" before it are filler, left out ("logged in for 30天" keeps its "in")
    r"(?:\b(?:within|over|during|last|past|previous|recent|prior|next|coming"
    r"|following|upcoming)\s+)*(?:(?:近|最近|过去的?|前|未来|接下来|今后)\s*)?(?<![\d.])\d+\s*天"
    r"(?:\s*(?:内|以来|里|之内|以内))?"
)
# WINDOW: the bound a date is said with -> its comparator ("before", "since", "之前", "起")
_WHEN = rf"(?:\d|{_M}|" + "|".join(d.lower() for d in WEEKDAY_NAMES_EN) + ")"
_AFTER_A_DAY = r"(?<=[\d日号月年一二三四五六])\s*"
# a word bound is no date's before a plain number or year ("founded before 2015": a comparison)
_NOT_A_NUMBER = r"(?!\s*-?\d+(?:\.\d+)?(?![\d.\-/]|\s*[月日号]|\s*年\s*\d))"
# 之前 / 以前 after a number of days is an age ("3650天以前": ten years ago), not a bound
_SYMBOL_BEFORE = rf"(?=\s*(?:\d{{4}}-\d|{_M}))"  # "< 2027-01-15": textnorm writes before as <
BOUND_WORDS: dict[str, str] = {
    "lt": rf"<(?!=){_SYMBOL_BEFORE}|(?:\bbefore|\buntil|\btill|\bprior\s+to|\bno\s+later\s+than)\b"
    rf"{_NOT_A_NUMBER}|\bby\b(?=\s+(?:the\s+)?{_WHEN}){_NOT_A_NUMBER}"
    rf"|(?<!天)(?<!天\s)(?:之前|以前)|{_AFTER_A_DAY}前(?!\s*\d)",
    "le": rf"<={_SYMBOL_BEFORE}|\bon\s+or\s+before\b|\bup\s+to\b(?=\s+(?:the\s+)?\d)",
    "gt": rf">(?!=){_SYMBOL_BEFORE}|\bafter\b{_NOT_A_NUMBER}|之后|以后|{_AFTER_A_DAY}后",
    "ge": rf">={_SYMBOL_BEFORE}|\bsince\b{_NOT_A_NUMBER}|\bon\s+or\s+after\b|\bstarting(?:\s+(?:from|on))?\b|\bas\s+of\b"
    rf"|\bfrom\b(?=\s+(?:the\s+)?{_WHEN})|以来|至今|{_AFTER_A_DAY}起|(?:从|自)(?=\s*[\d上下本这周星礼去今前])",
}
BOUND_RX = "|".join(f"(?:{rx})" for rx in BOUND_WORDS.values())
# RANGE: a window with both ends ("between Dec 1 and Jan 31", "from Sept 1 to Oct 31", "9月1日到10月31日之间")
RANGE_RX = "|".join(f"(?:{_plain(p)})" for p in _RANGE_PATTERNS[:3])
# DEADLINE: the end of a period to come ("before the end of the year", "年底前", "by quarter-end")
_END_OF_RX = _END_OF.format(
    units="year|quarter|month|week",
    zh="|".join(w for p in PERIOD_ENDS.values() for w in p.split("|") if not w.isascii()),
)
DEADLINE_RX = _plain(_END_OF_RX)

# what a date field is said with, beside its name (the contract's end and start)
# RENEW: a contract's end, to come or past -> "end" / "expired" (renewals, 到期, expiring, 过期)
RENEW_WORDS: dict[str, str] = {
    "end": r"\b(?:up\s+for\s+renewal|due\s+for\s+renewal|renew(?:s|al|als|ing|ed)?"
    r"|expir(?:e|es|ing|y|ation|ations)|contracts?\s+(?:that\s+)?(?:end|ends|ending|finish"
    r"|finishing|run(?:s|ning)?\s+out|up)|end\s+of\s+(?:the\s+)?contract"
    r"|contract\s+end(?:s|ing)?)\b"
    r"|合同(?:将|即将)?(?:到期|结束|期满)|即将到期|(?<!最)快到期|将到期|到期|续约|续费|续签|期满",
    "expired": r"\b(?:(?:already|has|have)\s+)?(?:expired|ended)\b|(?:已经|已)?过期|已经到期|已到期",
}
# NEW: an account that is new (said alone, the last 30 days) -> "new"; SIGNED: one said with when
# it was signed ("signed last month", "added since March", "2024年3月5日以后签约的") -> "signed"
NEW_WORDS = (
    r"\bnew(?:ly\s+(?:signed|added|onboarded|acquired))?(?:\s+(?:accounts?|customers?|clients?"
    r"|logos?|companies|business))?\b|新签约|新增|新签|新客户|新加入|新开"
)
SIGNED_WORDS = (
    r"\b(?:signed|onboarded|acquired|started|won|joined|added|created|brought\s+on)\b"
    r"|签约|签单|签的|加入|创建|开户"
)
# SOONEST: the nearest first ("renew soonest", "最快到期", "the next 5 to renew")
SOONEST_WORDS = (
    r"\b(?:next|first)(?:\s+\d+)?(?:\s+\w+)?(?=\s+to\s+(?:renew|expire|end))"
    r"|\b(?:soonest|earliest|nearest|closest|sooner|first)\b|最快|最早|最先"
    # "最近到期的7个客户": the 7 soonest (with a number said; alone 最近 is only "to come")
    r"|最近(?=\s*(?:要|将|会)?\s*(?:到期|续约|续费|过期|结束)[^，,。；;]*?\d+\s*(?:个|家|名|位))"
)
# AHEAD: still to come, no length said ("upcoming renewals", "即将到期", "renewing soon")
AHEAD_WORDS = (
    r"\b(?:upcoming|soon|coming\s+up|coming|next|due|going\s+to|about\s+to|set\s+to|will)\b"
    r"|即将|快要|马上|未来|接下来|近期|最近|(?:将要|要|将|会)(?=\s*(?:到期|续约|续费|续签|过期|结束))"
)
# CONTRACT: the contract said apart from its end ("合同2027年3月前到期"); not its amount (合同额)
CONTRACT_WORDS = r"合同(?!额|金额|价值|总额|数|号|编号)|合约(?!额|金额)"

# ---------------------------------------------------------------------------------- the corpus

AS_OF = dt.date(2026, 11, 15)  # the corpus's as-of: a Sunday in the middle of Q4
# a date said on its own -> that date
DATE_EXAMPLES: tuple[tuple[str, dt.date], ...] = (
    ("2024年3月5日", dt.date(2024, 3, 5)),
    ("2024/3/5", dt.date(2024, 3, 5)),
    ("2024-03-05", dt.date(2024, 3, 5)),
    ("2024.3.5", dt.date(2024, 3, 5)),
    ("2025年12月5日", dt.date(2025, 12, 5)),
    ("2026/1/7", dt.date(2026, 1, 7)),
    ("March 5 2024", dt.date(2024, 3, 5)),
    ("March 5, 2024", dt.date(2024, 3, 5)),
    ("5 March 2024", dt.date(2024, 3, 5)),
    ("Sept 30, 2025", dt.date(2025, 9, 30)),
)
# a day said without its year -> the latest one on or before AS_OF (what "since Oct 1" means) and
# the next one on or after it (what "renews Oct 1" means)
YEARLESS_EXAMPLES: tuple[tuple[str, dt.date, dt.date], ...] = (
    ("5 Mar", dt.date(2026, 3, 5), dt.date(2027, 3, 5)),
    ("Oct 1", dt.date(2026, 10, 1), dt.date(2027, 10, 1)),
    ("October 1st", dt.date(2026, 10, 1), dt.date(2027, 10, 1)),
    ("Dec 1", dt.date(2025, 12, 1), dt.date(2026, 12, 1)),
    ("十月一日", dt.date(2026, 10, 1), dt.date(2027, 10, 1)),
    ("10月1号", dt.date(2026, 10, 1), dt.date(2027, 10, 1)),
    ("3月15日", dt.date(2026, 3, 15), dt.date(2027, 3, 15)),
    ("十二月二十日", dt.date(2025, 12, 20), dt.date(2026, 12, 20)),
)
# a window said of events -> its first and last day on AS_OF (None: open)
WINDOW_EXAMPLES: tuple[tuple[str, tuple[dt.date | None, dt.date | None]], ...] = (
    ("this month", (dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
    ("本月", (dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
    ("last month", (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ("上个月", (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ("this quarter", (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
    ("本季度", (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
    ("last quarter", (dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
    ("上季度", (dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
    ("this year", (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
    ("今年", (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
    ("去年", (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    ("last year", (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    ("十月份", (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ("10月", (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ("in October", (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ("Q3", (dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
    ("第三季度", (dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
    ("今年第三季度", (dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
    ("Q3 2025", (dt.date(2025, 7, 1), dt.date(2025, 9, 30))),
    ("2025年下半年", (dt.date(2025, 7, 1), dt.date(2025, 12, 31))),
    ("去年十月", (dt.date(2025, 10, 1), dt.date(2025, 10, 31))),
    ("in October 2025", (dt.date(2025, 10, 1), dt.date(2025, 10, 31))),
    ("last week", (dt.date(2026, 11, 2), dt.date(2026, 11, 8))),
    ("上周", (dt.date(2026, 11, 2), dt.date(2026, 11, 8))),
    ("1月到3月", (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
    ("since October 1", (dt.date(2026, 10, 1), None)),
    ("since Oct 1", (dt.date(2026, 10, 1), None)),
    ("10月1日以来", (dt.date(2026, 10, 1), None)),
    ("自2026年9月1日起", (dt.date(2026, 9, 1), None)),
    ("from Sept 1 to Oct 31", (dt.date(2026, 9, 1), dt.date(2026, 10, 31))),
    ("between Dec 1 and Jan 31", (dt.date(2025, 12, 1), dt.date(2026, 1, 31))),
    ("between 2026-01-01 and 2026-03-31", (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
    ("9月1日到10月31日之间", (dt.date(2026, 9, 1), dt.date(2026, 10, 31))),
    ("今年以来", (dt.date(2026, 1, 1), None)),
    ("since the start of the month", (dt.date(2026, 11, 1), None)),
    ("年初以来", (dt.date(2026, 1, 1), None)),
    ("本季度至今", (dt.date(2026, 10, 1), None)),
    ("year to date", (dt.date(2026, 1, 1), None)),
    ("in 2025", (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    ("2025年", (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
    ("yesterday", (dt.date(2026, 11, 14), dt.date(2026, 11, 14))),
    ("昨天", (dt.date(2026, 11, 14), dt.date(2026, 11, 14))),
    ("today", (AS_OF, AS_OF)),
    ("last 30 days", (dt.date(2026, 10, 17), AS_OF)),
    ("in the last 30 days", (dt.date(2026, 10, 17), AS_OF)),
    ("past 3 months", (dt.date(2026, 8, 18), AS_OF)),
    ("最近两周", (dt.date(2026, 11, 2), AS_OF)),
    ("近半年", (dt.date(2026, 5, 20), AS_OF)),
    ("过去一个月", (dt.date(2026, 10, 17), AS_OF)),
    ("最近60天", (dt.date(2026, 9, 17), AS_OF)),
    ("in the past two weeks", (dt.date(2026, 11, 2), AS_OF)),
    ("上上个月", (dt.date(2026, 9, 1), dt.date(2026, 9, 30))),
    ("the month before last", (dt.date(2026, 9, 1), dt.date(2026, 9, 30))),
    ("上上周", (dt.date(2026, 10, 26), dt.date(2026, 11, 1))),
    ("前年", (dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
    ("since Monday", (dt.date(2026, 11, 9), None)),
    ("周一以来", (dt.date(2026, 11, 9), None)),
    ("上周一以来", (dt.date(2026, 11, 2), None)),
    ("since last Wednesday", (dt.date(2026, 11, 4), None)),
    ("本周三以来", (dt.date(2026, 11, 11), None)),
)
# a bound said of a date field ("contracts ending …") -> first and last day on AS_OF
DEADLINE_EXAMPLES: tuple[tuple[str, tuple[dt.date | None, dt.date | None]], ...] = (
    ("before the end of the year", (AS_OF, dt.date(2026, 12, 31))),
    ("before year end", (AS_OF, dt.date(2026, 12, 31))),
    ("by quarter-end", (AS_OF, dt.date(2026, 12, 31))),
    ("年底前", (AS_OF, dt.date(2026, 12, 31))),
    ("by end of quarter", (AS_OF, dt.date(2026, 12, 31))),
    ("月底前", (AS_OF, dt.date(2026, 11, 30))),
    ("本季度内", (AS_OF, dt.date(2026, 12, 31))),
    ("by the end of the month", (AS_OF, dt.date(2026, 11, 30))),
    ("before the end of next month", (AS_OF, dt.date(2026, 12, 31))),
    ("下个月底前", (AS_OF, dt.date(2026, 12, 31))),
    ("明年底前", (AS_OF, dt.date(2027, 12, 31))),
)

# when a contract ends, said of it ("contracts ending …", "…到期的客户") -> the filter on AS_OF:
# (comparator, day) or ("between" / "in_period", (first, last)); a day said without its year is
# the next one (a contract's end is to come), a weekday the next such day
END_EXAMPLES: tuple[tuple[str, str, Any], ...] = (
    ("before Oct 1", "lt", dt.date(2027, 10, 1)),
    ("10月1日前", "lt", dt.date(2027, 10, 1)),
    ("after Dec 1", "gt", dt.date(2026, 12, 1)),
    ("by Friday", "lt", dt.date(2026, 11, 20)),
    ("下周五之前", "lt", dt.date(2026, 11, 20)),
    ("between Dec 1 and Jan 31", "between", (dt.date(2026, 12, 1), dt.date(2027, 1, 31))),
    ("12月1日到1月31日之间", "between", (dt.date(2026, 12, 1), dt.date(2027, 1, 31))),
    ("下下个月", "in_period", (dt.date(2027, 1, 1), dt.date(2027, 1, 31))),
    ("the month after next", "in_period", (dt.date(2027, 1, 1), dt.date(2027, 1, 31))),
    ("上上个月", "in_period", (dt.date(2026, 9, 1), dt.date(2026, 9, 30))),
    ("in the next 2 weeks", "between", (AS_OF, dt.date(2026, 11, 29))),
    ("两周内", "between", (AS_OF, dt.date(2026, 11, 29))),
    ("next quarter", "in_period", (dt.date(2027, 1, 1), dt.date(2027, 3, 31))),
    ("下季度", "in_period", (dt.date(2027, 1, 1), dt.date(2027, 3, 31))),
)
# when an account started, said of it ("accounts added …", "…签约的客户") -> the filter on AS_OF;
# a day without its year is the latest one, a weekday the latest such day
START_EXAMPLES: tuple[tuple[str, str, Any], ...] = (
    ("since Monday", "ge", dt.date(2026, 11, 9)),
    ("上周一以来", "ge", dt.date(2026, 11, 2)),
    ("since March", "ge", dt.date(2026, 3, 1)),
    ("3月以来", "ge", dt.date(2026, 3, 1)),
    ("after 2024-03-05", "gt", dt.date(2024, 3, 5)),
    ("2024年3月5日以后", "gt", dt.date(2024, 3, 5)),
    ("last quarter", "in_period", (dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
    ("上季度", "in_period", (dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
    ("the year before last", "in_period", (dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
    ("前年", "in_period", (dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
    ("in the last 2 weeks", "between", (dt.date(2026, 11, 2), AS_OF)),
    ("近两周", "between", (dt.date(2026, 11, 2), AS_OF)),
)

# a date field compared with a date said with its year -> (comparator, date)
BOUND_EXAMPLES: tuple[tuple[str, str, dt.date], ...] = (
    ("before March 2027", "lt", dt.date(2027, 3, 1)),
    ("2027年3月前", "lt", dt.date(2027, 3, 1)),
    ("after March 2027", "gt", dt.date(2027, 3, 31)),
    ("after March 31, 2027", "gt", dt.date(2027, 3, 31)),
    ("2027年3月31日之后", "gt", dt.date(2027, 3, 31)),
    ("before 2027/1/15", "lt", dt.date(2027, 1, 15)),
    ("2027年1月15号以前", "lt", dt.date(2027, 1, 15)),
)

# ---------------------------------------------------------------------------------- readers


def _small_number(text: str) -> int | None:
    """10 / 十 / 十二 / 二十一 as an int (a month or a day)."""
    text = text.strip()
    return int(text) if text.isdigit() else zh_int(text)


def _safe(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _parts(text: str) -> tuple[int | None, int, int | None] | None:
    """(year, month, day) of a date as written; day None when only a month is said."""
    t = re.sub(r"\s+", " ", text.strip().lower().rstrip(".,"))
    m = re.fullmatch(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})", t)
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t)  # 20261101, as machine exports write it
    if m:
        return int(m[1]), int(m[2]), int(m[3])
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", t)
    if m:  # M/D/YYYY as US spreadsheets write it; D/M when the first part cannot be a month
        a, b = int(m[1]), int(m[2])
        return (int(m[3]), b, a) if a > 12 >= b else (int(m[3]), a, b)
    m = re.fullmatch(rf"(?:(\d{{4}})\s*年\s*)?({_MON})\s*月\s*(?:({_DAY})\s*[日号]?|份)?", t)
    if m:
        month = _small_number(m[2])
        day = _small_number(m[3]) if m[3] else None
        if month is None or (m[3] and day is None):
            return None
        return (int(m[1]) if m[1] else None), month, day
    mon = re.search(MONTH_RX, t)
    if mon is None or not re.fullmatch(DATE_RX, t):
        return None
    month = MONTHS[mon.group().rstrip(".")]
    nums = [int(x) for x in re.findall(r"\d+", t)]
    day = next((n for n in nums if n <= 31), None)
    year = next((n for n in nums if n > 31), None)
    return year, month, day


def _latest(month: int, day: int, as_of: dt.date, future: bool = False) -> dt.date | None:
    """The latest such day on or before as-of (future: the earliest on or after)."""
    step = 1 if future else -1
    for k in range(0, 8 * step, step):
        d = _safe(as_of.year + k, month, day)
        if d is not None and (d >= as_of if future else d <= as_of):
            return d
    return None


def date_value(text: str) -> dt.date | RelativeDate | None:
    """A date inside a question: a full date, a day of the latest such month and day (relative,
    "MM-DD"), a weekday ("monday", "上周一"), or a month (its first day)."""
    weekday = weekday_of(text)
    if weekday is not None:
        return weekday
    parts = _parts(text)
    if parts is None:
        return None
    year, month, day = parts
    day = day or 1
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    if year is not None:
        return _safe(year, month, day)
    return RelativeDate(month_day=f"{month:02d}-{day:02d}")


def date_bound(text: str, op: str) -> dt.date | None:
    """The date of a comparison with a date said with its year: a month alone is its first day
    before ("before March 2027": < March 1) and its last day after ("after March 2027")."""
    parts = _parts(text)
    if parts is None or parts[0] is None or not 1 <= parts[1] <= 12:
        return None
    year, month, day = parts
    if day is not None:
        return _safe(year, month, day)
    return month_end(year, month) if op in ("gt", "le") else dt.date(year, month, 1)


def read_date(
    text: object, as_of: dt.date | None = None, *, future: bool = False
) -> dt.date | None:
    """A date said on its own ("2024年3月5日", "March 5 2024", "十月一日"); a day without its year
    is the latest one on or before as-of (`future`: the next one), and needs as-of."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    if not isinstance(text, str) or not text.strip():
        return None
    parts = _parts(text)
    if parts is None or parts[2] is None:
        return None
    year, month, day = parts
    if year is not None:
        return _safe(year, month, day)
    if as_of is None or not 1 <= month <= 12:
        return None
    return _latest(month, day, as_of, future)


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month (a contract said to end "March 2027" ends on its last day)."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (clipped to that month's last day)."""
    idx = day.year * 12 + day.month - 1 + months
    y, m = divmod(idx, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


_NUMERIC_DAY_RX = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"


def write_iso_dates(text: str) -> str:
    """Rewrite the days said with digits and a year as ISO dates ("2026/3/1", "2026年3月1日",
    "2026.03.01" -> "2026-03-01"), so a question's dates compare as text."""
    return re.sub(
        _NUMERIC_DAY_RX,
        lambda m: f" {m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d} ",
        text,
    )


def _scale(n: str, days: int) -> str:
    return str(int(round(float(n) * days)))


def write_durations(text: str) -> str:
    """Rewrite durations as whole days: "两周" -> "14天", "past 3 months" -> "past 90天",
    "近半年" -> "近180天" (a calendar half, 上半年 / 下半年, stays)."""
    t = re.sub(
        rf"\b(?:a|an|one|{'|'.join(EN_NUMBER_WORDS)})\s+(?=(?:days?|weeks?|fortnights?|months?|quarters?|years?)\b)",
        lambda m: f"{EN_NUMBER_WORDS.get(m.group().strip(), 1)} ",
        text,
    )
    t = re.sub(
        rf"({_ZH_NUM})\s*(?=(?:个多?)?(?:{_UNIT_WORDS['week']}|个月|天|个季度))",
        lambda m: str(_small_number(m.group(1)) or m.group(1)),
        t,
    )
    t = re.sub(
        r"\b(?:the\s+)?past\s+(week|fortnight|month|quarter|year)\b",
        lambda m: f"past {DURATION_UNITS[m.group(1)]}天",
        t,
    )
    t = re.sub(r"(?<![上下])半年", "180天", t)
    t = re.sub(r"半个?月", "15天", t)
    t = re.sub(r"\bhalf a year\b", "180 days", t)
    for unit in DURATION_UNITS:
        num = r"(?<!\d)(\d{1,2})" if unit == "year" else r"(\d+(?:\.\d+)?)"
        t = re.sub(
            rf"{num}\s*(?:个)?\s*(?:{_UNIT_WORDS[unit]})",
            lambda m, d=DURATION_UNITS[unit]: _scale(m.group(1), d) + "天",
            t,
        )
    return re.sub(
        r"(近|过去|最近|未来|前)\s*(\d+)\s*月(?!\d)",
        lambda m: m.group(1) + str(int(m.group(2)) * 30) + "天",
        t,
    )


def _period_rx(periods: tuple[str, ...]) -> str:
    return "|".join(f"(?:{PERIOD_WORDS[p]})" for p in periods)


def _named_month(m: re.Match) -> int | None:
    g = m.groupdict()
    if g.get("mn"):
        return MONTHS.get(g["mn"].rstrip("."))
    if g.get("mz"):
        return _small_number(g["mz"])
    return None


def calendar_unit(m: re.Match) -> str:
    """The period unit of a CAL_RX match: "m10", "q4", "h1"."""
    g = m.groupdict()
    month = _named_month(m)
    if month is not None:
        return f"m{month}"
    half = next((g[k] for k in ("h1", "h2", "h3") if g.get(k)), None)
    if half is not None:
        return "h1" if half in ("1", "first", "1st", "上") else "h2"
    raw = next(g[k] for k in ("q1", "q2", "q3", "q4", "q5") if g.get(k))
    return f"q{QUARTER_ORDINALS[raw]}"


def calendar_period(
    text: str, m: re.Match
) -> tuple[str | tuple[dt.date, dt.date], list[tuple[int, int]]]:
    """The period a CAL_RX match names, and the spans that said it: "m10" (the as-of year's
    October), "next_q1" / "last_m3" (the nearest one after / before the current quarter or
    month), "last_year_h2" (去年下半年); with a year said ("Q3 2025", "2025年下半年") its first
    and last day."""
    unit = calendar_unit(m)
    n = int(unit[1:])
    spans = [m.span()]
    before = text[max(0, m.start() - 16) : m.start()]
    after = text[m.end() : m.end() + 20]
    year: int | None = None
    prefix = ""
    b = re.search(CAL_YEAR_BEFORE, before)
    a = re.match(CAL_YEAR_AFTER, after)
    for hit, off in ((b, m.start() - len(before)), (a, m.end())):
        if hit is None:
            continue
        hg = hit.groupdict()
        if hg.get("y"):
            year = int(hg["y"])
        elif hg.get("rel"):
            if re.search(r"next|coming|明年|下一年", hg["rel"]):
                prefix = "next_year_"
            elif re.search(r"last|previous|去年|上一年", hg["rel"]):
                prefix = "last_year_"
        elif hg.get("nl") and unit[0] in "qm":
            next_ = re.search(r"next|coming|upcoming|following|下", hg["nl"])
            prefix = "next_" if next_ else "last_"
        else:
            continue
        spans.append((off + hit.start(), off + hit.end()))
    if year is None:
        return prefix + unit, spans
    if unit[0] == "m":
        first_month, months = n, 1
    elif unit[0] == "h":
        first_month, months = 6 * n - 5, 6
    else:
        first_month, months = 3 * n - 2, 3
    last_month = first_month + months - 1
    return (dt.date(year, first_month, 1), month_end(year, last_month)), spans


def find_windows(text: str, *, rolling: bool = True) -> list[tuple[int, int, dict[str, Any]]]:
    """Every window said in a text (already lower-cased, durations in days), as (start, end,
    window arguments of a spec filter); overlapping finds keep the longest, earliest first.

    Periods to come (next month, today) are left out: events are counted up to as-of."""
    found: list[tuple[int, int, dict[str, Any]]] = []
    for pat in _RANGE_PATTERNS:
        for m in re.finditer(pat, text):
            g = m.groupdict()
            a = date_value(g["a"]) if g.get("a") else None
            b = date_value(g["b"]) if g.get("b") else None
            if (g.get("a") and a is None) or (g.get("b") and b is None):
                continue
            if b is not None and g.get("b") and (_parts(g["b"]) or (0, 0, 0))[2] is None:
                # "to October": to the end of that month
                b = _month_last(b)
            kw: dict[str, Any] = {}
            if a is not None:
                kw["since"] = a
            if b is not None:
                kw["until"] = b
            found.append((m.start(), m.end(), kw))
    for m in re.finditer(_START_OF, text):
        word = next(w for w in m.group("u1", "u2", "u3", "u4") if w)
        unit = _UNIT_OF.get(word, word)
        found.append((m.start(), m.end(), {"since": RelativeDate(period=f"this_{unit}")}))
    past = tuple(p for p in PERIOD_WORDS if p not in FUTURE_PERIODS)
    prx = _period_rx(past)
    for m in re.finditer(_PERIOD_SINCE.format(p=prx), text):
        word = m.group("p1") or m.group("p2")
        period = next(p for p in past if re.fullmatch(PERIOD_WORDS[p], word))
        found.append((m.start(), m.end(), {"since": RelativeDate(period=period)}))
    for m in re.finditer(_YEAR_RX, text):
        year = int(m.group("y1") or m.group("y2"))
        found.append(
            (m.start(), m.end(), {"since": dt.date(year, 1, 1), "until": dt.date(year, 12, 31)})
        )
    words = "|".join(re.escape(w) for w in sorted(DAY_WORDS, key=len, reverse=True))
    for m in re.finditer(rf"\b(?:{words})\b|(?:{words})", text):
        day = RelativeDate(days=DAY_WORDS[m.group()])
        found.append((m.start(), m.end(), {"since": day, "until": day}))
    for period in past:
        for m in re.finditer(PERIOD_WORDS[period], text):
            if period.startswith("last") and re.search(r"\bthe\s*$", text[: m.start()]):
                continue  # "in the last week" is the last 7 days, not the calendar week
            found.append((m.start(), m.end(), {"period": period}))
    for m in re.finditer(CAL_RX, text):
        value, spans = calendar_period(text, m)
        word = m.group("mn")
        if (
            word
            and (len(word) <= 4 or word == "march")
            and len(spans) == 1
            and text.strip() != word
            and not re.search(r"\b(?:in|during|of|for|since)\s*$", text[: m.start()])
        ):
            continue  # may / mar / march / jun … are a month only after a preposition or with a year
        start, end = min(sp[0] for sp in spans), max(sp[1] for sp in spans)
        if isinstance(value, tuple):
            found.append((start, end, {"since": value[0], "until": value[1]}))
        else:
            found.append((start, end, {"period": value}))
    if rolling:
        for m in re.finditer(ROLLING_RX, text):
            if re.search(_ROLLING_CUE, m.group()) or re.search(r"\bfor\s*$", text[: m.start()]):
                found.append((m.start(), m.end(), {"window_days": int(m.group("n"))}))
    out: list[tuple[int, int, dict[str, Any]]] = []
    for start, end, kw in sorted(found, key=lambda x: (-(x[1] - x[0]), x[0])):
        if not any(start < e and s < end for s, e, _ in out):
            out.append((start, end, kw))
    return sorted(out, key=lambda x: x[0])


def _month_last(value: dt.date | RelativeDate) -> dt.date | RelativeDate:
    if isinstance(value, dt.date):
        return month_end(value.year, value.month)
    month = int(value.month_day[:2])  # type: ignore[index]
    return RelativeDate(month_day=f"{month:02d}-{calendar.monthrange(2001, month)[1]:02d}")


def find_deadline(text: str) -> tuple[int, int, RelativeDate] | None:
    """ "before the end of the year", "年底前", "by end of quarter": the end of that period."""
    m = re.search(_END_OF_RX, text)
    if m is None:
        return None
    if m.group("e3"):
        period = next(p for p, words in PERIOD_WORDS.items() if re.fullmatch(words, m.group("e3")))
        return m.start(), m.end(), RelativeDate(period=period, edge="end")
    word = m.group("e1") or m.group("e2") or m.group("e4")
    period = next(p for p, words in PERIOD_ENDS.items() if re.fullmatch(words, word))
    if m.group("n1") or m.group("n2"):  # "the end of next month", "明年底", "下个月底"
        period = period.replace("this_", "next_")
    return m.start(), m.end(), RelativeDate(period=period, edge="end")


def read_window(text: str) -> dict[str, Any] | None:
    """The one window of a short text ("上个月", "since Oct 1", "最近两周"), or None."""
    t = write_durations(write_out(text.strip().lower()))
    wins = find_windows(t)
    return wins[0][2] if len(wins) == 1 else None


def window_bounds(kw: dict[str, Any], as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """First and last day of a window on as-of (None: open on that side)."""
    if kw.get("window_days"):
        return as_of - dt.timedelta(days=kw["window_days"] - 1), as_of
    if kw.get("period"):
        return period_bounds(kw["period"], as_of)

    def resolve(v: Any) -> dt.date | None:
        if v is None:
            return None
        return v.resolve(as_of) if isinstance(v, RelativeDate) else v

    return resolve(kw.get("since")), resolve(kw.get("until"))


def read_due_date(text: str, as_of: dt.date) -> dt.date | None:
    """A date said of something to come (a contract end, a renewal) in an answer or a note: a
    day without its year is the next one; a month alone is its last day ("March 2027",
    "明年3月", "next March"); "年底" / "end of the year" is December 31; "in 3 months" /
    "3个月后" counts from as-of."""
    t = re.sub(r"\s+", " ", text.strip().lower())
    m = re.search(
        r"(今年|明年|后年)\s*(\d{1,2}|" + _ZH_NUM + r")\s*月(?:\s*(\d{1,2})\s*[日号])?", t
    )
    if m:
        year = as_of.year + {"今年": 0, "明年": 1, "后年": 2}[m[1]]
        month = _small_number(m[2]) or 0
        if not 1 <= month <= 12:
            return None
        return _safe(year, month, int(m[3])) if m[3] else month_end(year, month)
    m = re.search(r"(?<!\d)\d{1,2}/\d{1,2}/\d{4}(?!\d)", t)
    if m:
        return read_date(m.group())
    m = re.search(r"(?<!\d)(\d{4})\s*[-/]\s*(\d{1,2})(?!\s*[-/.\d])", t)
    if m and 1 <= int(m[2]) <= 12:
        return month_end(int(m[1]), int(m[2]))
    for m in re.finditer(DATE_RX, t):
        parts = _parts(m.group())
        if parts is None or not 1 <= parts[1] <= 12:
            continue
        year, month, day = parts
        if year is not None:
            return _safe(year, month, day) if day else month_end(year, month)
        if day is not None:
            return _latest(month, day, as_of, future=True)
    m = re.search(rf"\b(next|in|this)\s+({MONTH_RX})(?![a-z])", t)
    if m:
        month = MONTHS[m[2].rstrip(".")]
        later = month <= as_of.month if m[1] == "next" else month < as_of.month
        return month_end(as_of.year + (1 if later else 0), month)
    if re.search(r"next month|下个月|下月", t):
        nxt = add_months(as_of, 1)
        return month_end(nxt.year, nxt.month)
    if re.search(r"end of next year|明年底|明年年底|明年年末", t):
        return dt.date(as_of.year + 1, 12, 31)
    deadline = find_deadline(t)
    if deadline is not None:
        return deadline[2].resolve(as_of)
    if re.search(r"end of (?:the |this )?year|年底|年末", t):
        return dt.date(as_of.year, 12, 31)
    if re.search(r"next year|明年", t):
        return month_end(as_of.year + 1, as_of.month)
    m = re.search(r"in\s+(\d+)\s+months?|(\d+)\s*个月(?:后|以后|之后)", t)
    if m:
        return add_months(as_of, int(m[1] or m[2]))
    m = re.search(r"in\s+(\d+)\s+weeks?|(\d+)\s*(?:周|个星期|星期)(?:后|以后|之后)", t)
    if m:
        return as_of + dt.timedelta(weeks=int(m[1] or m[2]))
    m = re.search(r"in\s+(\d+)\s+days?|(\d+)\s*天(?:后|以后|之后)", t)
    if m:
        return as_of + dt.timedelta(days=int(m[1] or m[2]))
    return None


# "never bought", "从来没用过": every event up to as-of
ALL_TIME: dict[str, Any] = {"until": RelativeDate(days=0)}


# ------------------------------------------------------------- the tagger's readers
# (text, start, end) of a match -> the tag's value, or None: no tag there


def weekday_of(text: str) -> RelativeDate | None:
    """ "monday" -> the latest Monday on or before as-of; "上周一" / "last monday" -> Monday of
    last week; "本周三" -> Wednesday of this week; "下周五" / "next friday" -> of next week."""
    t = re.sub(r"\s+", " ", text.strip().lower())
    m = re.fullmatch(
        r"(?:(this|last|next|coming) )?(" + "|".join(WEEKDAY_NAMES_EN).lower() + ")", t
    )
    if m:
        week, day = m[1], [d.lower() for d in WEEKDAY_NAMES_EN].index(m[2])
    else:
        m = re.fullmatch(r"(上个?|下个?|本|这)?(?:周|星期|礼拜)([一二三四五六日天])", t)
        if m is None:
            return None
        week, day = m[1], _ZH_WEEKDAY[m[2]]
    if week is None:
        return RelativeDate(weekday=day)
    return RelativeDate(period=WEEKDAY_WEEKS[week], days=day)  # type: ignore[arg-type]


def weekday_label(v: RelativeDate, lang: str) -> str:
    """How an answer writes a weekday ("Monday", "上周一")."""
    zh = lang == "zh"
    day = v.weekday if v.weekday is not None else v.days % 7
    name = WEEKDAY_NAMES_ZH[day] if zh else WEEKDAY_NAMES_EN[day]
    if v.weekday is not None or v.period is None:
        return name
    en, z = PERIOD_LABELS[v.period]
    return f"{z[:-1]}{name[1:]}" if zh else f"{name} {en}"


def read_day(text: str, start: int, end: int) -> dt.date | RelativeDate | None:
    """A DATE tag: a day, with its year (a date) or without (the latest such day on or before
    as-of; a date to come reads it ahead), or a weekday."""
    return date_value(text[start:end])


def _short_month_alone(text: str, m: re.Match, spans: list[tuple[int, int]]) -> bool:
    """ "may", "mar", "march", "jun" … said with no preposition or year: no month."""
    word = m.group("mn")
    if not word or len(spans) > 1 or not (len(word.rstrip(".")) <= 4 or word == "march"):
        return False
    near = text[max(0, m.start() - 12) : m.start()]
    return not re.search(
        r"\b(?:in|during|by|until|till|of|for|before|after|since|next|last|this|end\s+of|early"
        r"|late|mid)\s*$",
        near,
    )


def read_period(text: str, start: int, end: int) -> str | tuple[dt.date, dt.date] | None:
    """A PERIOD tag: a period's name ("this_quarter", "m10", "next_q1") or, with its year said
    ("Q3 2025", "March 2027", "in 2025"), its first and last day."""
    said = text[start:end]
    for period, rx in PERIOD_WORDS.items():
        if re.fullmatch(rf"(?:{rx})", said):
            return period
    y = re.fullmatch(_YEAR_RX, said)
    if y:
        year = int(y.group("y1") or y.group("y2"))
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    for m in re.finditer(CAL_RX, text[:end]):
        if m.end() <= start or m.start() < start:
            continue
        value, spans = calendar_period(text, m)
        if _short_month_alone(text, m, spans):
            return None
        return value
    return None


def read_duration(text: str, start: int, end: int) -> tuple[int, str | None] | None:
    """A DURATION tag: (days, "past" / "ahead" / None when the words do not say)."""
    said = text[start:end]
    n = int(re.search(r"\d+", said).group())  # type: ignore[union-attr]
    if re.search(rf"\b(?:{_AHEAD_WORDS})\b|{_AHEAD_WORDS}", said):
        return n, "ahead"
    if re.search(rf"\b(?:{_PAST_WORDS})\b|近|最近|过去|前|以来", said):
        return n, "past"
    return n, None


def read_bound(text: str, start: int, end: int) -> str | None:
    """A WINDOW tag: the comparator of a bound ("before" -> "lt", "以来" -> "ge")."""
    for op, rx in BOUND_WORDS.items():
        m = re.compile(rx).match(text, start)
        if m is not None and m.end() == end:
            return op
    return None


def read_range(text: str, start: int, end: int) -> tuple[Any, Any] | None:
    """A RANGE tag: its first and last day (a month said alone at its end is its last day)."""
    said = text[start:end]
    for pat in _RANGE_PATTERNS[:3]:
        m = re.fullmatch(pat, said)
        if m is None:
            continue
        a, b = date_value(m["a"]), date_value(m["b"])
        if a is None or b is None:
            return None
        if (_parts(m["b"]) or (0, 0, 0))[2] is None:  # "to October": its last day
            b = _month_last(b)
        return a, b
    return None


def read_deadline(text: str, start: int, end: int) -> RelativeDate | None:
    """A DEADLINE tag: the last day of the period ("年底前" -> the end of this year)."""
    found = find_deadline(text[start:end])
    return found[2] if found else None


def ahead(value: Any) -> Any:
    """A day without its year said of a date to come (a contract's end): the next such day."""
    if isinstance(value, RelativeDate) and (value.month_day or value.weekday is not None):
        return value.model_copy(update={"ahead": True})
    return value


def read_renewal(text: str, start: int, end: int) -> str:
    """A RENEW tag: "expired" for a contract already ended, else "end"."""
    return "expired" if re.fullmatch(RENEW_WORDS["expired"], text[start:end]) else "end"
