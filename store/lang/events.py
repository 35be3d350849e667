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


# logging in as a question says it: word -> what it names. "login" a login said as a verb or a
# record ("logged in", "登录过"); "logins" the events counted ("logins", "sign-ins"); "active" a
# state ("active", "活跃"); "activity" any sign of use, which counts as a login when it is missing
# ("not contacted in 30 days", "没有任何动静")
LOGIN_WORDS: dict[str, tuple[str, ...]] = {
    "login": (
        "log in", "logged in", "logging in", "log on", "logged on", "log into", "logged into",
        "login", "log-in", "sign in", "signed in", "signing in", "sign on", "signed on",
        "sign-in", "signin", "登录", "登陆", "登入", "上线", "登录过", "登陆过", "登录了", "登陆了",
        "登录记录", "登陆记录", "登录过的",
    ),
    "logins": ("logins", "log-ins", "sign-ins", "signins"),
    "active": ("active", "been active", "活跃", "活跃的", "活跃过"),
    "activity": (
        "activity", "engaged", "engagement", "touched", "contacted",
        "interaction", "interactions", "follow up", "follow-up", "followed up", "follow-ups",
        "visited", "访问", "跟进", "互动", "联系", "打开", "动静",
    ),
}  # fmt: skip
# using a feature the events record: "used the API", "API usage", "用过报表功能"; value: whether the
# word also says activity of any kind ("not used in 30 days": no login either)
FEATURE_USE_WORDS: dict[str, bool] = {
    "used": True, "usage": True, "使用": True, "使用过": True, "用过": True, "use": False,
    "uses": False, "using": False, "tried": False, "adopted": False, "使用了": False,
    "用了": False, "用量": False, "使用次数": False, "使用量": False,
}  # fmt: skip
# what a feature is called after its name: "the API feature", "报表功能", "SSO module"
FEATURE_NOUNS: tuple[str, ...] = ("feature", "module", "function", "functionality", "功能", "模块")
# a word saying an account is not active at all: no login for a while (30 days when no number)
IDLE_WORDS: tuple[str, ...] = (
    "inactive", "idle", "dormant", "gone quiet", "gone dark", "quiet", "silent", "unengaged",
    "不活跃", "沉默", "失联", "没动静", "零登录", "不登录", "不用",
)  # fmt: skip
# all time, said with a negation: "never", "not even once", "从来没", "一次都没"; value: whether the
# phrase is itself negative ("从未", "还没") or only widens one ("ever", "从来")
EVER_WORDS: dict[str, bool] = {
    "ever": False, "even once": False, "once": False, "at all": False, "not ever": True,
    "从来": False, "至今": False, "压根": False, "始终": False, "1次都": False, "1次也": False,
    "从未": True, "从没": True, "从没有": True, "从来没": True, "从来没有": True, "还没": True,
    "还没有": True, "尚未": True, "未曾": True, "不曾": True,
}  # fmt: skip
# the last login as a moment: "last login more than 30 days ago", "最后登录在30天前"
LAST_LOGIN_WORDS: tuple[str, ...] = (
    "last logged in", "last login", "last log in", "last active", "last seen", "last signed in",
    "最后登录", "最后一次登录", "最后1次登录", "上次登录", "最近一次登录", "最近1次登录",
    "最后活跃",
)  # fmt: skip
# the built-in events as a question says they happened: type -> (nouns, verbs in their forms). A
# noun needs a frame to say the event happened ("with tickets", "no orders", "tickets this
# quarter"); a verb says it ("bought", "购买过"); a verb before a noun (EVENT_VERBS: "made a
# purchase", "提交过工单") only joins them
EVENT_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "purchase": (
        (
            "purchase", "purchases", "order", "orders", "buy", "buys",
            "购买", "采购", "下单", "订单", "消费", "成交",
        ),
        (
            "purchased", "ordered", "bought", "bought anything", "bought something",
            "purchased anything", "ordered anything", "bought again", "purchased again",
            "ordered again", "购买过", "购买了", "采购过", "采购了", "买过", "买了", "下过单",
            "下了单", "下过订单", "消费过", "买过东西", "有买",
        ),
    ),
    "ticket": (
        (
            "ticket", "tickets", "support ticket", "support tickets", "help ticket", "help tickets",
            "service ticket", "service tickets", "case", "cases", "support case", "support cases",
            "complaint", "complaints", "工单", "支持工单", "投诉", "客诉", "支持请求", "报修",
        ),
        ("complained", "contacted support", "投诉过", "报修过", "投诉了"),
    ),
    "feature_use": (
        (),
        (
            "used a feature", "used any feature", "used any features", "used features",
            "used the feature", "used some features", "tried a feature", "uses a feature",
            "用过功能", "使用过功能", "用了功能", "使用了功能",
        ),
    ),
}  # fmt: skip
EVENT_VERBS: tuple[str, ...] = (
    "made", "make", "makes", "making", "placed", "place", "places", "did", "completed",
    "opened", "open", "opens", "filed", "file", "files", "raised", "raise", "raises",
    "submitted", "submit", "submits", "created", "create", "logged", "sent", "reported",
    "提交", "提交过", "提交了", "提", "提过", "提了", "开过", "创建", "创建过", "发起", "发起过",
    "报过",
)  # fmt: skip
# the count of each built-in type's events (a spec's measure)
MEASURES: dict[str, str] = {
    "login": "logins",
    "purchase": "purchase_count",
    "ticket": "tickets",
    "feature_use": "feature_uses",
}
# words after an event word that make it a figure's name ("登录天数", "login count"): compared as a
# figure, not said as an event
FIGURE_WORDS: tuple[str, ...] = (
    "天数", "次数", "频率", "数", "量", "金额", "总额", "count", "counts", "days", "day",
    "frequency", "rate", "trend", "amount", "amounts", "value", "total", "totaling", "totalling",
    "totaled", "worth", "amounting",
)  # fmt: skip
# how each is read, the corpus of the pattern table's events topic (tests/test_lang.py): the
# question and the conditions it says (handlers/understand/topics/events.py notation)
ACTIVITY_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("accounts that havent logged in for 30 days", "days_since_login>=30"),
    ("accounts that hvnt logged in for 30 days", "days_since_login>=30"),
    ("accounts that dont log in for 30 days", "days_since_login>=30"),
    ("30天没登录的客户", "days_since_login>=30"),
    ("30天未登录的客户", "days_since_login>=30"),
    ("which accounts have never logged in", "days_since_login empty"),
    ("从未登录过的客户", "days_since_login empty"),
    ("一次都没登录过的客户", "days_since_login empty"),
    ("dormant accounts", "days_since_login>=30"),
    ("沉默客户", "days_since_login>=30"),
    ("active accounts", "days_since_login<30"),
    ("活跃客户", "days_since_login<30"),
    ("last login more than 45 days ago", "days_since_login>45"),
    ("上次登录超过45天的客户", "days_since_login>45"),
)

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
