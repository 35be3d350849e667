"""Comparators as people write them: more than, at least, no more than, 超过, 不少于, 不到, ≥, 5+, or more.

One reader, `write_comparators`, rewrites every comparator of a text as a symbol (`>`, `>=`, `<`,
`<=`, `=`, `!=`) and a trailing "or more" / "or less" / "+" as 以上 / 以下, so the question parser
sees one surface in both languages. `read_comparator` gives the symbol of one phrase (a rule's
condition, a filter typed in a form). `EXAMPLES` is the corpus every reader must read alike
(tests/test_lang.py).
"""

from __future__ import annotations

import re

from store.lang.numbers import AMOUNT_PIECE_RX, read_number

# phrase -> comparator symbol; matched longest first, so 不超过 wins over 超过
COMPARATORS: list[tuple[str, str]] = [
    # English
    (r"greater than or equal to", ">="),
    (r"more than or equal to", ">="),
    (r"less than or equal to", "<="),
    (r"at least", ">="),
    (r"no less than", ">="),
    (r"not less than", ">="),
    (r"no fewer than", ">="),
    (r"a minimum of", ">="),
    (r"reach(?:es|ed|ing)?(?=\s+(?:an?\s+)?[$¥￥]?\d)", ">="),
    (r"minimum of", ">="),
    (r"at most", "<="),
    (r"no more than", "<="),
    (r"not more than", "<="),
    (r"a maximum of", "<="),
    (r"maximum of", "<="),
    (r"up to", "<="),
    (r"more than", ">"),
    (r"greater than", ">"),
    (r"higher than", ">"),
    (r"larger than", ">"),
    (r"bigger than", ">"),
    (r"in excess of", ">"),
    (r"exceeding", ">"),
    (r"exceeds", ">"),
    (r"exceed", ">"),
    (r"over", ">"),
    (r"above", ">"),
    (r"beyond", ">"),
    (r"less than", "<"),
    (r"fewer than", "<"),
    (r"lower than", "<"),
    (r"smaller than", "<"),
    (r"under", "<"),
    (r"below", "<"),
    (r"equal to", "="),
    (r"equals", "="),
    (r"exactly", "="),
    # Chinese
    ("大于等于", ">="),
    ("大于或等于", ">="),
    ("小于等于", "<="),
    ("小于或等于", "<="),
    ("不少于", ">="),
    ("不低于", ">="),
    ("不小于", ">="),
    ("至少", ">="),
    ("起码", ">="),
    ("达到或超过", ">="),
    ("达到或高于", ">="),
    ("等于或超过", ">="),
    ("达到了", ">="),  # 年合同额达到1千万: reaching it counts
    ("达到", ">="),
    ("不超过", "<="),
    ("不多于", "<="),
    ("不高于", "<="),
    ("不大于", "<="),
    ("至多", "<="),
    ("超过了", ">"),
    ("超过", ">"),
    ("超出", ">"),
    ("大于", ">"),
    ("多于", ">"),
    ("高于", ">"),
    ("多过", ">"),
    ("少于", "<"),
    ("小于", "<"),
    ("低于", "<"),
    ("不到", "<"),
    ("不足", "<"),
    ("未满", "<"),
    ("不满", "<"),
    ("等于", "="),
    ("不早于", ">="),
    ("不晚于", "<="),
    ("早于", "<"),
    ("晚于", ">"),
    (r"earlier than", "<"),
    (r"later than", ">"),
]
_COMP_RE = [
    (
        re.compile(rf"\b{p}\b" if p[0].isascii() else p),
        sym,
    )
    for p, sym in sorted(COMPARATORS, key=lambda x: -len(x[0]))
]

# the corpus: phrase -> symbol (tests/test_lang.py: the question parser reads "ARR <phrase> 50000"
# and "年合同额<phrase>50000" as that comparison)
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("more than", ">"),
    ("over", ">"),
    ("above", ">"),
    ("greater than", ">"),
    ("exceeding", ">"),
    ("at least", ">="),
    ("no less than", ">="),
    ("less than", "<"),
    ("under", "<"),
    ("below", "<"),
    ("at most", "<="),
    ("no more than", "<="),
    ("超过", ">"),
    ("大于", ">"),
    ("高于", ">"),
    ("至少", ">="),
    ("不少于", ">="),
    ("不低于", ">="),
    ("少于", "<"),
    ("低于", "<"),
    ("不到", "<"),
    ("不超过", "<="),
    ("至多", "<="),
    (">", ">"),
    (">=", ">="),
    ("≥", ">="),
    ("<", "<"),
    ("≤", "<="),
)
_SYMBOLS = ("!=", ">=", "<=", ">", "<", "=")
OPS: dict[str, str] = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "=": "eq", "!=": "ne"}

# after a number: "50 以上", "5次以内" ("or more" / "+" are written as 以上 by write_comparators)
POST_COMPARATORS: dict[str, str] = {
    "及以上": ">=",
    "或以上": ">=",
    "以上": ">=",
    "及以下": "<=",
    "或以下": "<=",
    "以下": "<=",
    "以内": "<=",
    "之内": "<=",
}
# "is" before a number says equal ("NPS is 9", "员工数为500"); "in" / "于" before a year ("founded
# in 2015", "成立于2015年"); 在 before a year or a range ("在100到500之间")
EQUAL_BEFORE_NUMBER: tuple[str, ...] = ("is", "are", "was", "of", "为", "是")
EQUAL_BEFORE_YEAR: tuple[str, ...] = ("in", "于", "在")
# a range: "between 10 and 50", "10 to 50", "10-50", "介于10和50之间", "100到500之间", "2010至2015"
BETWEEN: tuple[str, ...] = ("between", "介于")
RANGE_JOINERS: tuple[str, ...] = ("to", "-", "~", "–", "—", "到", "至")
RANGE_AND: tuple[str, ...] = ("and", "和", "与", "跟")  # only after a between word
RANGE_END: tuple[str, ...] = ("之间", "间")

# the range corpus: text -> the two bounds, read alike by the tagger and the question parser
RANGE_EXAMPLES: tuple[tuple[str, tuple[float, float]], ...] = (
    ("between 10 and 50", (10, 50)),
    ("10 to 50", (10, 50)),
    ("10-50", (10, 50)),
    ("10k-50k", (10000, 50000)),
    ("between 10k and 50k", (10000, 50000)),
    ("介于10和50之间", (10, 50)),
    ("10到50之间", (10, 50)),
    ("1万至5万", (10000, 50000)),
)


def _alt(words) -> str:
    out = []
    for w in sorted(words, key=len, reverse=True):
        e = re.escape(w)
        if w[0].isascii() and w[0].isalpha():
            e = r"(?<![a-z0-9_])" + e
        if w[-1].isascii() and w[-1].isalpha():
            e += r"(?![a-z0-9_])"
        out.append(e)
    return "|".join(out)


def comparator_rx() -> str:
    """A regex over a text's comparators (words and symbols, before or after the number); the
    matched text reads with `read_comparator` or POST_COMPARATORS / EQUAL_* ('eq')."""
    num = r"(?=\s*-?\d)"
    year = r"(?=\s*(?:18|19|20)\d\d(?![\d-]))"
    words = [p if p[0].isascii() else re.escape(p) for p, _ in COMPARATORS]
    words = [rf"\b{w}\b" if w[0].isascii() else w for w in words]
    return "|".join(
        [
            *sorted(words, key=len, reverse=True),
            r">=|<=|!=|=>|=<|≥|≤|>|<|=",
            _alt(POST_COMPARATORS),
            rf"(?:{_alt(EQUAL_BEFORE_NUMBER)}){num}",
            rf"(?:{_alt(EQUAL_BEFORE_YEAR)}){year}",
            _alt(BETWEEN),
        ]
    )


def comparator_op(phrase: str) -> str:
    """The op of one matched comparator ('>' -> 'gt', '以上' -> 'ge', 'is' -> 'eq', 'between')."""
    p = re.sub(r"\s+", " ", phrase.strip().lower())
    if p in BETWEEN:
        return "between"
    if p in POST_COMPARATORS:
        return OPS[POST_COMPARATORS[p]]
    if p in EQUAL_BEFORE_NUMBER or p in EQUAL_BEFORE_YEAR:
        return "eq"
    sym = read_comparator(p)
    return OPS[sym] if sym else "eq"


def find_ranges(text: str) -> list[tuple[int, int, tuple[float, float]]]:
    """Every range of two numbers in a (lower-cased) text, with its between word and 之间:
    'between 10k and 50k' -> (10000, 50000). A date (2026-03, 2026-03-01) is no range."""
    n = AMOUNT_PIECE_RX
    between = rf"(?:(?:{_alt(BETWEEN)})\s*)"
    end = rf"(?:\s*(?:{_alt(RANGE_END)}))?"
    rx = re.compile(
        rf"(?:{between}?(?P<a>{n})\s*(?:{_alt(RANGE_JOINERS)})\s*(?P<b>{n}){end}"
        rf"|{between}(?P<c>{n})\s*(?:{_alt(RANGE_AND)})\s*(?P<d>{n}){end})"
    )
    out = []
    for m in rx.finditer(text):
        a, b = (m.group("a"), m.group("b")) if m.group("a") else (m.group("c"), m.group("d"))
        if re.fullmatch(r"\d{4}-\d{1,2}(?:-\d{1,2})?", m.group().strip()) or re.match(
            r"-\d", text[m.end() :]
        ):
            continue  # an ISO date or month
        lo, hi = read_number(a), read_number(b)
        if lo is None or hi is None or lo > hi:
            continue
        out.append((m.start(), m.end(), (lo, hi)))
    return out


def read_comparator(phrase: str) -> str | None:
    """The symbol of one comparator phrase ('at least' -> '>=', '不超过' -> '<='), or None."""
    t = write_comparators(phrase.strip().lower()).strip()
    return t if t in _SYMBOLS else None


def write_comparators(t: str) -> str:
    """Rewrite a (lower-cased) text's comparators as symbols, its "or more" / "+" as 以上/以下."""
    # post-comparators ("6 or below") before the comparator words they contain
    # ("over 50k and under 100k": a second bound, not a post-comparator)
    t = re.sub(
        r"\b(?:or|and)\s+(?:more|above|greater|higher|up|longer)\b(?!\s+than)(?!\s*\d)", " 以上 ", t
    )
    t = re.sub(
        r"\b(?:or|and)\s+(?:less|fewer|below|lower|under)\b(?!\s+than)(?!\s*\d)", " 以下 ", t
    )
    t = t.replace("≥", ">=").replace("≤", "<=").replace("＞", ">").replace("＜", "<")
    t = t.replace("=>", ">=").replace("=<", "<=").replace("!=", " != ")
    for rx, sym in _COMP_RE:
        t = rx.sub(f" {sym} ", t)
    t = re.sub(r"\s*(>=|<=|!=)\s*", r" \1 ", t)
    t = re.sub(r"(?<![<>!=])\s*([<>])\s*(?!=)", r" \1 ", t)
    # post-comparators after a number
    t = re.sub(r"(\d)\s*\+", r"\1 以上 ", t)
    t = re.sub(r"(及|或)(以上|以下)", r"\2", t)
    return t
