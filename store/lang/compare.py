"""Comparators as people write them: more than, at least, no more than, 超过, 不少于, 不到, ≥, 5+, or more.

One reader, `write_comparators`, rewrites every comparator of a text as a symbol (`>`, `>=`, `<`,
`<=`, `=`, `!=`) and a trailing "or more" / "or less" / "+" as 以上 / 以下, so the question parser
sees one surface in both languages. `read_comparator` gives the symbol of one phrase (a rule's
condition, a filter typed in a form). `EXAMPLES` is the corpus every reader must read alike
(tests/test_lang.py).
"""

from __future__ import annotations

import re

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
