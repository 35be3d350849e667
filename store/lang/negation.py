"""Negation as people type it, in English and Chinese: no, not, never, without, dont, havent, isnt,
没, 没有, 未, 不, 无, 从未.

The table (`NEGATION`) is what the question parser's tagger reads as a negation; `write_negations`
rewrites the ways people type an English negation (haven't, havent, hvnt, didnt, wont, cant) as
one ("have not"), so every reader after it sees one surface; `EVENT_NEGATION` is what negates an
event in a question ("no login", "没登录"). `EXAMPLES` are groups of spellings every reader must
read alike (tests/test_lang.py).
"""

from __future__ import annotations

import re

# a negation of presence or of a value: "no EB", "without a TB", "dont have", "没有决策人", "不是"
NEGATION: tuple[str, ...] = (
    "no",
    "not",
    "never",
    "without",
    "zero",
    "none",
    "missing",
    "lacking",
    "lack",
    "lacks",
    "don't",
    "dont",
    "do not",
    "doesn't",
    "doesnt",
    "does not",
    "didn't",
    "didnt",
    "haven't",
    "havent",
    "hasn't",
    "hasnt",
    "have not",
    "has not",
    "isn't",
    "isnt",
    "aren't",
    "arent",
    "没有",
    "没",
    "无",
    "缺少",
    "缺失",
    "缺",
    "未",
    "尚未",
    "不带",
    "不是",
    "并非",
    "不",
    "不属于",
    "不算",
)
# leaving values out, said before them: "except Shanghai", "other than retail", "除了上海", "非制造业";
# a class too ("non-vip", "非VIP", "excluding high value": handlers/understand/topics/classes.py)
# (with NEGATION: "not in Shanghai", "不在上海"); a list after it shares it ("not in Boston or Chicago")
VALUE_EXCLUSION: tuple[str, ...] = (
    "except",
    "except for",
    "excluding",
    "exclude",
    "outside",
    "outside of",
    "other than",
    "apart from",
    "aside from",
    "anywhere but",
    "but not",
    "nor",
    "neither",
    "leaving out",
    "minus",
    "non",
    "除了",
    "除",
    "除去",
    "排除",
    "去掉",
    "去除",
    "不包括",
    "不含",
    "非",
)
# leaving values out, said after them: "上海以外的客户", "北京、上海之外", "北京外的客户" (外 alone is
# no exclusion: "上海外企" are foreign companies in Shanghai)
EXCLUSION_AFTER: tuple[str, ...] = (
    "以外",
    "之外",
    "除外",
    "外的",
    "以外地区",
    "之外地区",
    "以外的地区",
    "以外的地方",
)
# what negates an event right before it ("not logged in", "no purchases", "没登录", "从未购买")
EVENT_NEGATION: dict[str, tuple[str, ...]] = {
    "en": ("not", "never", "no", "without", "zero", "0"),
    "zh": ("没有", "没", "未", "无", "不曾", "从未", "尚未", "未曾", "零"),
}

# an English negation typed without its apostrophe or spelt short keeps its "not"
_SLOPPY: tuple[tuple[str, str], ...] = (
    (r"\bcan't\b", "can not"),  # not "ca not"
    (r"\bwon't\b", "will not"),
    (r"n't\b", " not"),
    (r"\b(have|has|had|did|do|does|is|are|was|were|could|should|would)(?:nt|n t)\b", r"\1 not"),
    (r"\b(?:havnt|hvnt|hav not)\b", "have not"),
    (r"\bwont\b", "will not"),
    (r"\bcant\b", "can not"),
)
_SLOPPY_RX = tuple((re.compile(rx), out) for rx, out in _SLOPPY)


def alternation(words: tuple[str, ...]) -> str:
    """One regex group of these words, longest first ("(?:没有|没|未)")."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


# the corpus: spellings that must read alike, each group with a sloppy or short form
# (tests/test_lang.py: write_negations gives one text, the question parser one spec)
EXAMPLES: tuple[tuple[str, ...], ...] = (
    (
        "accounts that haven't logged in for 30 days",
        "accounts that havent logged in for 30 days",
        "accounts that have not logged in for 30 days",
        "accounts that hvnt logged in for 30 days",
    ),
    (
        "accounts that didn't log in for 30 days",
        "accounts that didnt log in for 30 days",
        "accounts that did not log in for 30 days",
    ),
    (
        "accounts that don't have an EB",
        "accounts that dont have an EB",
        "accounts that do not have an EB",
        "accounts without an EB",
        "accounts with no EB",
    ),
    ("accounts whose EB isn't a supporter", "accounts whose EB isnt a supporter"),
    ("30天没登录的客户", "30天没有登录的客户", "30天未登录的客户"),
    ("没有决策人的客户", "无决策人的客户", "缺少决策人的客户"),
    ("can't lose them accounts", "cant lose them accounts", "can not lose them accounts"),
    (
        "non-high-value accounts",
        "accounts that are not high value",
        "accounts excluding high value",
    ),
    ("非流失风险客户", "不是流失风险的客户", "没有流失风险的客户"),
)

# spellings of leaving a value out that must read alike (tests/test_lang.py)
EXCLUSION_EXAMPLES: tuple[tuple[str, ...], ...] = (
    (
        "accounts not in Shanghai",
        "accounts outside Shanghai",
        "accounts except Shanghai",
        "accounts other than Shanghai",
        "不在上海的客户",
        "上海以外的客户",
        "除了上海以外的客户",
        "除上海之外的客户",
    ),
    ("accounts neither in Shanghai nor in Beijing", "accounts not in Shanghai or Beijing"),
    (
        "non-retail accounts",
        "accounts not in retail",
        "accounts excluding retail",
        "非零售客户",
        "不是零售的客户",
        "零售以外的客户",
    ),
)


def write_negations(text: str) -> str:
    """Rewrite sloppy English negations as written out ("havent" -> "have not", "dont" -> "do not")."""
    for rx, out in _SLOPPY_RX:
        text = rx.sub(out, text)
    return text
