"""Normalise a question before parsing: width, case, numbers, money, durations, comparators.

After `normalise`, both languages share one surface: numbers are plain digits (5万 -> 50000,
50k -> 50000, 十五 -> 15), durations are `N天` in days (两周 -> 14天, 2 months -> 60天),
comparators are symbols (超过/more than -> `>`, 至少/at least -> `>=`), and dates are ISO.
"""

from __future__ import annotations

import re
import unicodedata

from store.lang.compare import write_comparators
from store.lang.dates import write_durations, write_iso_dates
from store.lang.negation import write_negations
from store.lang.numbers import EN_NUMBER_WORDS, ZH_NUM_RX, write_out, zh_int

_ZH_NUM = re.compile(ZH_NUM_RX)  # the numerals store/lang/numbers.py reads (一万二千, 三千五)
# a Chinese numeral is converted only before a measure word or after a comparator-ish prefix
_ZH_MEASURE = re.compile(
    r"\s*(?:天|日|周|星期|礼拜|个|月|年|万|千|亿|人|次|家|位|名|笔|条|单|元|块|岁|%|倍|分)"
)
_ZH_PREFIX = ("前", "近", "过去", "最近", "未来", "超过", "大于", "少于", "低于", "高于", "top")

_EN_UNIT_WORDS = r"(?:days?|weeks?|months?|years?|quarters?)"


def _zh_numbers(t: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _ZH_NUM.finditer(t):
        before = t[max(0, m.start() - 4) : m.start()]
        ok = bool(_ZH_MEASURE.match(t, m.end())) or before.endswith(_ZH_PREFIX)
        if t.startswith("半", m.end()):
            continue  # 一半 is a half, not one
        if not ok:  # (a bare 千 or 万, as in 5千 or 万科, is no numeral here)
            continue
        n = zh_int(m.group())
        if n is None:
            continue
        out.append(t[pos : m.start()])
        out.append(str(n))
        pos = m.end()
    out.append(t[pos:])
    return "".join(out)


def _zh_decade(m: re.Match) -> str:
    """90年代 / 1990年代 -> between 1990 and 1999 (00年代 = the 2000s)."""
    y = m.group(1)
    start = int(y) if len(y) == 4 else (2000 if y == "00" else 1900) + int(y)
    return f" between {start} and {start + 9} "


def normalise(text: str) -> str:
    """The parser's view of a question (see the module docstring)."""
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = t.replace("’", "'").replace("‘", "'")
    t = write_negations(t)  # haven't, havent, hvnt -> have not (store/lang/negation.py)
    t = re.sub(r"(\d),(?=\d{3}\b)", r"\1", t)
    t = re.sub(r"(\d),(?=\d{3}\D)", r"\1", t)
    t = write_iso_dates(t)  # 2026/3/1, 2026年3月1日, March 5, 2026 -> 2026-03-05
    t = re.sub(r"[，。？！：；、（）「」『』【】《》“”\"!?;:()\[\]{}]", " ", t)
    t = t.replace(",", " ")
    t = re.sub(r"[¥￥$€£]\s*(?=\d)", "", t)
    t = re.sub(
        r"百分之\s*([零〇一二两三四五六七八九十百\d.]+)",
        lambda m: (
            (m.group(1) if re.fullmatch(r"[\d.]+", m.group(1)) else str(zh_int(m.group(1)))) + "%"
        ),
        t,
    )
    t = _zh_numbers(t)
    t = re.sub(r"(?<!\d)((?:19|20)\d0|\d0)\s*年代", _zh_decade, t)
    # "90+ days" -> "90 days 以上" (the plus belongs to the number, the unit stays next to it)
    t = re.sub(
        r"(\d+)\s*\+\s*(days?|weeks?|wks?|months?|mos?|years?|quarters?|天|周|星期|个月|月|年)",
        r"\1 \2 以上 ",
        t,
    )
    # "paying 80,000 a year" / "5万每年": the amount is yearly, not a duration
    t = re.sub(
        r"(\d(?:\s*(?:k|m|w|万|千|thousand|million))?)\s*(?:/\s*(?:year|yr|年)|(?:a|per|each|every)\s+"
        r"(?:year|yr)\b|annually\b|yearly\b|per\s+annum\b|每年|一年)",
        r"\1 ",
        t,
    )
    t = re.sub(r"(\d+(?:\.\d+)?)\s*times?\b", r"\1次", t)
    t = re.sub(r"\ba (?:couple of|few)\s+(?=" + _EN_UNIT_WORDS + r"\b)", "2 ", t)
    words = "|".join(EN_NUMBER_WORDS)
    t = re.sub(rf"\b({words})\b", lambda m: str(EN_NUMBER_WORDS[m.group(1)]), t)
    # magnitudes
    t = write_out(t)  # the one money reader (store/lang/numbers.py): 1千万, 5w, 40k, 1.5m
    t = re.sub(r"(\d)\s*(?:元|块钱|块|rmb\b|cny\b|usd\b|yuan\b|dollars?\b|bucks\b)", r"\1", t)
    t = write_durations(t)  # the one duration table (store/lang/dates.py): 两周 -> 14天
    # decades: "the 1990s", "90年代" -> between 1990 and 1999
    t = re.sub(
        r"\b(?:the\s+)?((?:18|19|20)\d0)'?s\b",
        lambda m: f" between {m.group(1)} and {int(m.group(1)) + 9} ",
        t,
    )
    # years with before/after ("since 2005", "2005 or later", "2005年起": from that year on)
    year = r"((?:18|19|20)\d\d)(?![\d-])"
    t = re.sub(r"(?<!\d)" + year + r"\s*年(?!\s*\d)", r"\1年", t)
    t = re.sub(
        r"\b(?:since|in\s+or\s+after|no\s+earlier\s+than|not\s+before)\s+(?=(?:18|19|20)\d\d(?![\d-]))",
        " >= ",
        t,
    )
    t = re.sub(
        r"\b(?:in\s+or\s+before|no\s+later\s+than|not\s+after)\s+(?=(?:18|19|20)\d\d(?![\d-]))",
        " <= ",
        t,
    )
    t = re.sub(
        r"(?<!\d)" + year + r"\s*(?:or\s+(?:later|after|newer)|and\s+(?:later|after)|onwards?\b)",
        r" >= \1 ",
        t,
    )
    t = re.sub(
        r"(?<!\d)" + year + r"\s*(?:or\s+(?:earlier|before)|and\s+(?:earlier|before))",
        r" <= \1 ",
        t,
    )
    t = re.sub(r"(?<!\d)" + year + r"\s*年?\s*(?:起|以来|及以后|或以后|及之后)", r" >= \1 ", t)
    t = re.sub(r"(?<!\d)" + year + r"\s*年?\s*(?:及以前|或以前|及之前)", r" <= \1 ", t)
    t = re.sub(r"(?<!\d)" + year + r"\s*年\s*(?=至|到|~|-|和)", r"\1", t)
    t = re.sub(r"(?<!\d)(\d{4})\s*年?\s*(?:以后|之后|后)", r" > \1 ", t)
    t = re.sub(r"(?<!\d)(\d{4})\s*年?\s*(?:以前|之前)", r" < \1 ", t)
    t = re.sub(r"\b(?:after|later than)\s+(?=\d{4})", " > ", t)
    t = re.sub(r"\b(?:before|earlier than|prior to)\s+(?=\d{4})", " < ", t)
    t = write_comparators(t)  # the one comparator reader (store/lang/compare.py)
    return re.sub(r"\s+", " ", t).strip()
