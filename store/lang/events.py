"""Event types in words: which word of a question or of an import cell names which event type.

An event's `type` is `login`, `feature_use`, `ticket`, `purchase` or any other word a book stores
(a CRM's `meeting`, `email`, `call` rows). The types a book holds are data (SELECT DISTINCT type),
like its values; this table only says which common words, English and Chinese, name a type. A word
names its type only when the book holds that type (or the type is a built-in one): "accounts we
met with" in a book without meetings is a word the reader did not understand, never a condition
silently dropped.

Read by the question parser (`find_event_types`), the importer (`cell_type`: an events file whose
type column says "会议" or "Phone call") and the answers (`type_label`: the count column's name).
`EXAMPLES` is the corpus every reader must read alike (tests/test_lang.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

BUILTIN_TYPES = ("login", "feature_use", "ticket", "purchase")

# type -> (English words, Chinese words) naming it in a question. Verbs in their forms ("met",
# "called", "开过会", "打过电话"): a question says the event happened as often as it names it.
TYPE_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "meeting": (
        ("meeting", "meetings", "met", "meet", "meets", "meeting with", "in-person meeting"),
        ("会议", "开会", "开过会", "开了会", "开过会议", "见面", "见过面", "面谈", "会面", "碰面"),
    ),
    "email": (
        ("email", "emails", "emailed", "e-mail", "e-mails", "e-mailed", "mail exchange"),
        ("邮件", "邮件往来", "发邮件", "发过邮件", "发了邮件", "电邮", "邮件沟通"),
    ),
    "call": (
        ("call", "calls", "called", "phone call", "phone calls", "phoned"),
        ("电话", "通话", "打电话", "打过电话", "打了电话", "通过电话", "致电", "电话沟通"),
    ),
    "visit": (
        ("visit", "visits", "visited", "site visit", "site visits", "on-site visit"),
        ("拜访", "拜访过", "上门", "上门拜访", "走访", "实地拜访"),
    ),
    "demo": (
        ("demo", "demos", "demoed", "demonstration", "demonstrations", "product demo"),
        ("演示", "产品演示", "做过演示", "demo"),
    ),
    "training": (
        ("training", "trainings", "trained", "training session", "training sessions"),
        ("培训", "培训过", "做过培训", "培训课"),
    ),
}

# words that name an event only when said as one ("had a call", "打过电话", "email contact"):
# alone they are also a key person's phone or email, a verb of comparison or an industry
LOOSE_WORDS = frozenset({"meet", "meets", "call", "email", "e-mail", "training", "电话", "培训"})

# the count column of a type: (English plural, Chinese label)
TYPE_LABELS: dict[str, tuple[str, str]] = {
    "login": ("logins", "登录次数"),
    "feature_use": ("feature uses", "功能使用次数"),
    "ticket": ("tickets", "工单数"),
    "purchase": ("purchases", "购买次数"),
    "meeting": ("meetings", "会议次数"),
    "email": ("emails", "邮件次数"),
    "call": ("calls", "通话次数"),
    "visit": ("visits", "拜访次数"),
    "demo": ("demos", "演示次数"),
    "training": ("trainings", "培训次数"),
}

# words an events file's type cell may use for a built-in type: the importer stores the type
CELL_WORDS: dict[str, str] = {
    "登录": "login",
    "登陆": "login",
    "log in": "login",
    "sign in": "login",
    "signin": "login",
    "功能使用": "feature_use",
    "使用功能": "feature_use",
    "feature use": "feature_use",
    "工单": "ticket",
    "支持工单": "ticket",
    "support ticket": "ticket",
    "购买": "purchase",
    "采购": "purchase",
    "付款": "purchase",
    "订单": "purchase",
}
# further words a book may store for another type ("会议", "Phone Call", "电子邮件"). The importer
# keeps these as written (re-importing a file must add nothing, so a stored spelling never
# changes); questions count every spelling of the type (`spellings`).
OTHER_CELL_WORDS: dict[str, str] = {
    "会面": "meeting",
    "电子邮件": "email",
    "phone": "call",
    "上门拜访": "visit",
}


def cell_type(cell: str) -> str:
    """The stored type for an events file's type cell: a built-in type's word as that type, else
    the word itself (lower case, spaces and dashes as underscores)."""
    t = re.sub(r"[\s_]+", " ", cell.strip().lower())
    if t in CELL_WORDS:
        return CELL_WORDS[t]
    return re.sub(r"[\s\-]+", "_", t)


def _norm(word: str) -> str:
    return re.sub(r"[\s_\-]+", " ", word.strip().lower())


@lru_cache(maxsize=1)
def _canonical_table() -> dict[str, str]:
    out: dict[str, str] = {}
    for etype, (en, zh) in TYPE_WORDS.items():
        out.update({_norm(w): etype for w in (*en, *zh)})
    out.update({_norm(w): k for w, k in OTHER_CELL_WORDS.items()})
    out.update({_norm(w): k for w, k in CELL_WORDS.items()})
    return out


def canonical(stored: str) -> str:
    """The table's type for a type word a book stores ("会议", "Phone_Call" -> "meeting", "call");
    a word the table does not know is its own type."""
    t = _norm(stored)
    if not t:
        return t
    return _canonical_table().get(t) or t.replace(" ", "_")


def spellings(etype: str) -> tuple[str, ...]:
    """Every stored type word that counts as `etype` (a book's "会议" rows are meetings)."""
    t = etype.strip().lower()
    words = {t, *(w for w, k in (*CELL_WORDS.items(), *OTHER_CELL_WORDS.items()) if k == t)}
    if t in TYPE_WORDS and t not in BUILTIN_TYPES:
        en, zh = TYPE_WORDS[t]
        words |= {*en, *zh}
    return tuple(sorted({re.sub(r"[\s\-]+", "_", w) for w in words}))


def type_label(etype: str | None, lang: str) -> str:
    """The name of a type's count: 'meetings' / '会议次数'; a book's own word as it is."""
    zh = lang == "zh"
    if not etype:
        return "事件数" if zh else "events"
    if etype in TYPE_LABELS:
        return TYPE_LABELS[etype][1 if zh else 0]
    word = etype.replace("_", " ")
    return f"{word}次数" if zh else f"{word} events"


def _own_words(etype: str) -> tuple[str, ...]:
    """A book's own type word as a question may say it: 'demo_request' -> 'demo request(s)'."""
    w = etype.replace("_", " ").strip().lower()
    if not w or len(w) < 2:
        return ()
    if re.search(r"[\u3400-\u9fff]", w):
        return (w,)
    return (w, w + "s", w + "es") if not w.endswith("s") else (w,)


def word_table(known: Iterable[str]) -> dict[str, str | None]:
    """Every word naming an event type -> the type, or None when the book holds no such type
    (the word is known, the type is not: say so rather than drop it). Built-in types are words of
    their own readers (logins, purchases, …) and are not listed."""
    held = {canonical(k) for k in known if k and k.strip()}
    out: dict[str, str | None] = {}
    for etype, (en, zh) in TYPE_WORDS.items():
        has = etype in held or etype in BUILTIN_TYPES
        for w in (*en, *zh):
            out[w.lower()] = etype if has else None
    for etype in sorted(held - set(BUILTIN_TYPES)):
        for w in _own_words(etype):
            if out.get(w) is None:
                out[w] = etype
    return out


def _word_rx(words: Iterable[str]) -> str:
    parts = []
    for w in sorted(set(words), key=len, reverse=True):
        e = re.escape(w).replace(r"\ ", r"\s+")
        if w[0].isascii() and w[0].isalnum():
            e = r"(?<![a-z0-9_])" + e
        if w[-1].isascii() and w[-1].isalnum():
            e += r"(?![a-z0-9_])"
        parts.append(e)
    return "|".join(parts) if parts else r"(?!x)x"


@lru_cache(maxsize=64)
def _reader(known: tuple[str, ...]) -> tuple[dict[str, str | None], re.Pattern]:
    table = word_table(known)
    return table, re.compile(_word_rx(table))


def find_event_types(text: str, known: Iterable[str]) -> list[tuple[int, int, str, str | None]]:
    """Spans of `text` (lower case) naming an event type: (start, end, word, type or None)."""
    table, rx = _reader(tuple(sorted({canonical(k) for k in known if k and k.strip()})))
    return [
        (m.start(), m.end(), m.group(), table.get(re.sub(r"\s+", " ", m.group())))
        for m in rx.finditer(text)
    ]


# (text, types the book holds, the event types read, in order; None: a word for a type the book
# does not hold)
EXAMPLES: list[tuple[str, tuple[str, ...], list[str | None]]] = [
    ("accounts with a meeting in the last 14 days", ("meeting",), ["meeting"]),
    ("accounts we met with last month", ("meeting", "email"), ["meeting"]),
    ("上个月开过会的客户", ("meeting",), ["meeting"]),
    ("上季度有会议记录的客户", ("meeting",), ["meeting"]),
    ("还没开过会的客户", ("meeting",), ["meeting"]),
    ("见过面的客户", ("meeting",), ["meeting"]),
    ("which of my accounts had email contact since aug 15", ("email",), ["email"]),
    ("8月15号以来有邮件往来的客户", ("email", "meeting"), ["email"]),
    ("accounts we emailed this week", ("email",), ["email"]),
    ("最近30天打过电话的客户", ("call",), ["call"]),
    ("accounts we called in the last 7 days", ("call",), ["call"]),
    ("拜访次数超过3次的客户", ("visit",), ["visit"]),
    ("accounts with more than 3 site visits", ("visit",), ["visit"]),
    ("做过产品演示的客户", ("demo",), ["demo"]),
    ("accounts that had a demo", ("demo",), ["demo"]),
    ("培训过的客户", ("training",), ["training"]),
    ("accounts with a webinar last month", ("webinar",), ["webinar"]),
    ("accounts with a demo request", ("demo_request",), ["demo_request"]),
    # the word is known, the book holds no such events: not understood, never dropped
    ("accounts we met with last month", ("email",), [None]),
    ("打过电话的客户", ("meeting", "email"), [None]),
    ("accounts with meetings and emails this quarter", ("meeting", "email"), ["meeting", "email"]),
    # a book that stores the type in its own words ("会议", "Phone Call") holds that type
    ("上个月开过会的客户", ("会议",), ["meeting"]),
    ("accounts we called last week", ("phone_call",), ["call"]),
]
