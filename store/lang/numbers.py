"""Numbers and money as people type them: 5k, 40k, 1.5m, 5w, 1.2万元, 1千万, 十五万, ¥5,000, 3 million.

One reader for every door: `read_number` reads a whole cell (the importer, hand edits, custom
fields), `find_amounts` finds every amount in free text (interview answers, notes), and
`write_out` rewrites the amounts of a question as plain digits (the question parser). So "1千万" is
10,000,000 and "5w" is 50,000 everywhere.

Chinese numerals (十五万, 一千二百万, 1千万) are read with cn2an (maintained, on PyPI, handles mixed
digits and numerals in its "smart" mode); it is imported only when a text holds one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# scale word after a number -> multiplier. Longest first when matching (千万 before 万 before 千).
SCALES: dict[str, float] = {
    "千万": 1e7,
    "百万": 1e6,
    "十万": 1e5,
    "万亿": 1e12,
    "亿": 1e8,
    "万": 1e4,
    "千": 1e3,
    "thousands": 1e3,
    "thousand": 1e3,
    "millions": 1e6,
    "million": 1e6,
    "billion": 1e9,
    "mn": 1e6,
    "mm": 1e6,
    "bn": 1e9,
    "k": 1e3,
    "w": 1e4,
    "m": 1e6,
    "b": 1e9,
}
# currency signs and words, before or after the number
CURRENCY_BEFORE = ("¥", "￥", "$", "€", "£", "rmb", "cny", "usd", "us$", "hk$", "eur", "gbp", "jpy")
CURRENCY_AFTER = ("元", "块钱", "块", "rmb", "cny", "usd", "yuan", "dollars", "dollar", "bucks")
MAX_NUMBER = 1e15  # larger magnitudes are typing accidents (and overflow some columns)

ZH_DIGITS = "零〇一二两俩三四五六七八九"
ZH_UNITS = "十百千万亿"
# a unit alone is its own value (千 in 千元, 百 in 百分之); 十 alone is read by cn2an
_ZH_BARE_UNITS = {"百": 100.0, "千": 1000.0, "万": 1e4, "亿": 1e8}
# number words a question spells out ("in the last three months", "top five")
EN_NUMBER_WORDS: dict[str, int] = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
}

# the corpus: text -> value, read the same by every reader (tests/test_lang.py)
EXAMPLES: tuple[tuple[str, float], ...] = (
    ("5000", 5000),
    ("5,000", 5000),
    ("¥5,000", 5000),
    ("￥93,300", 93300),
    ("93,300元", 93300),
    ("5k", 5000),
    ("40k", 40000),
    ("40.4k", 40400),
    ("1.5m", 1500000),
    ("1.2M", 1200000),
    ("3 million", 3000000),
    ("2 thousand", 2000),
    ("5w", 50000),
    ("12万", 120000),
    ("1.2万", 12000),
    ("1.2万元", 12000),
    ("8.5万元", 85000),
    ("1千万", 10000000),
    ("3百万", 3000000),
    ("2亿", 200000000),
    ("十五万", 150000),
    ("一千二百万", 12000000),
    ("两百", 200),
    ("三千", 3000),
    ("$2bn", 2000000000),
)

# Chinese numerals as whole numbers: text -> value, read the same by every reader (tests/test_lang.py)
NUMERAL_EXAMPLES: tuple[tuple[str, int], ...] = (
    ("一", 1),
    ("两", 2),
    ("俩", 2),
    ("十", 10),
    ("十一", 11),
    ("十五", 15),
    ("二十", 20),
    ("两百", 200),
    ("一百零五", 105),
    ("三百五十", 350),
    ("三千五", 3500),
    ("一万二千", 12000),
    ("二零二六", 2026),
)

NUM_RX = r"\d+(?:,\d{3})*(?:\.\d+)?|\.\d+"
ZH_NUM_RX = rf"[{ZH_DIGITS}十][{ZH_DIGITS}{ZH_UNITS}]*"
_SCALE_RX = "|".join(
    re.escape(w) + (r"(?![a-z0-9])" if w.isascii() else "")
    for w in sorted(SCALES, key=len, reverse=True)
)
_CUR_BEFORE = "|".join(re.escape(c) for c in sorted(CURRENCY_BEFORE, key=len, reverse=True))
_CUR_AFTER = "|".join(
    re.escape(c) + (r"(?![a-z])" if c.isascii() else "")
    for c in sorted(CURRENCY_AFTER, key=len, reverse=True)
)
AMOUNT_RX = re.compile(
    rf"(?:(?P<cur>{_CUR_BEFORE})\s*)?(?<![a-z0-9_.])(?P<num>{NUM_RX}|{ZH_NUM_RX})"
    rf"(?:(?P<gap>\s*)(?P<scale>{_SCALE_RX}))?(?:\s*(?P<unit>{_CUR_AFTER}))?",
    re.IGNORECASE,
)

# one amount without its groups, for readers that build on it (a range: store/lang/compare.py)
AMOUNT_PIECE_RX = (
    rf"(?:(?:{_CUR_BEFORE})\s*)?(?<![a-z0-9_.])(?:{NUM_RX}|{ZH_NUM_RX})"
    rf"(?:\s*(?:{_SCALE_RX}))?(?:\s*(?:{_CUR_AFTER}))?"
)
# words that count what a number is of, right after it: "500人", "3次", "60分", "10 points"
COUNT_UNITS: tuple[str, ...] = (
    "人",
    "名",
    "个",
    "家",
    "次",
    "笔",
    "单",
    "张",
    "分",
    "条",
    "位",
    "points",
    "point",
    "pts",
    "pt",
)
# units that say a number counts events, not money ("5 purchases" vs "purchases over 5000")
EVENT_COUNT_UNITS: tuple[str, ...] = ("次", "笔", "单", "times", "time", "orders", "order")


@dataclass(frozen=True)
class Amount:
    """A number found in text: its value, where it is, and whether it was written as an amount
    (a currency sign, a scale such as 万 or k, or a unit such as 元)."""

    value: float
    start: int
    end: int
    explicit: bool


@lru_cache(maxsize=4096)
def zh_numeral(text: str) -> float | None:
    """'十五万' -> 150000, '1千万' -> 10000000, '两百' -> 200, '二零二六' -> 2026 (cn2an); None if
    not a numeral."""
    if not text or not re.search(f"[{ZH_DIGITS}{ZH_UNITS}]", text):
        return None
    if text in _ZH_BARE_UNITS:
        return _ZH_BARE_UNITS[text]
    import cn2an  # imported here: a second of start-up only for texts that need it

    try:
        value = cn2an.cn2an(text.replace("〇", "零").replace("俩", "两"), "smart")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return float(value)


def zh_int(text: str) -> int | None:
    """A Chinese numeral as a whole number ('十五' -> 15, '三千五' -> 3500); None otherwise."""
    value = zh_numeral(text)
    return int(value) if value is not None and value == int(value) else None


def _value(num: str, scale: str | None) -> float | None:
    digits = num.replace(",", "")
    try:
        base = float(digits)
    except ValueError:
        base = zh_numeral(num)
        if base is None:
            return None
    if scale:
        base *= SCALES[scale.lower()]
    if not math.isfinite(base) or abs(base) > MAX_NUMBER:
        return None
    return base


def _scale_of(m: re.Match) -> str | None:
    """The scale word, unless it is a lone letter set apart by a space ("top 5 b2b", "3 m")."""
    scale = m.group("scale")
    if scale and m.group("gap") and len(scale) == 1 and scale.isascii():
        return None
    return scale


def find_amounts(text: str) -> list[Amount]:
    """Every number in free text with its scale ("about 1.2万", "预算5w", "$40k", "三百")."""
    out: list[Amount] = []
    for m in AMOUNT_RX.finditer(text or ""):
        scale = _scale_of(m)
        value = _value(m.group("num"), scale)
        if value is None:
            continue
        explicit = bool(m.group("cur") or scale or m.group("unit"))
        start = m.start("cur") if m.group("cur") else m.start("num")
        end = m.end() if scale or not m.group("scale") else m.end("num")
        out.append(Amount(value, start, end, explicit))
    return out


def first_number(text: str) -> float | None:
    """The first number in free text, scales included ('about 1.2k' -> 1200, '三百' -> 300)."""
    amounts = find_amounts(text)
    return amounts[0].value if amounts else None


def read_number(text: object) -> float | None:
    """A whole cell as a number, or None when it is not exactly one amount ("1,2,3", "abc")."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) and abs(text) <= MAX_NUMBER else None
    s = unicodedata.normalize("NFKC", str(text)).strip().lower().replace("\u00a0", "")
    m = AMOUNT_RX.fullmatch(s)
    if m is None or (m.group("scale") and _scale_of(m) is None):
        return None
    return _value(m.group("num"), m.group("scale"))


def write_out(text: str) -> str:
    """Rewrite every scaled amount as plain digits ("ARR over 1千万" -> "ARR over 10000000");
    a bare number stays as written."""

    def plain(m: re.Match) -> str:
        if m.group("scale") and _scale_of(m) is None:
            return m.group()
        num = m.group("num")
        if not m.group("scale") and not (
            re.search("[一二两三四五六七八九]", num) and re.search(f"[{ZH_UNITS}]", num)
        ):
            return m.group()  # a bare number, or 十分 / 一线: no amount
        value = _value(m.group("num"), m.group("scale"))
        if value is None:
            return m.group()
        cur = m.group("cur") or ""
        unit = m.group("unit") or ""
        digits = str(int(value)) if value == int(value) else f"{value:g}"
        return f"{cur}{digits}{unit}"

    return AMOUNT_RX.sub(plain, text)
