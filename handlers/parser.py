"""The deterministic bilingual parser: a question (or a rule's condition) in, a query Spec out.

Pure: no database. What the database knows (its industries, cities, plans, owners, tags, account
names, custom fields) comes in as a `ParseContext`, so values of a book never seen before are
recognised too.

Conventions (PRODUCT.md "Default definitions"):
- "not logged in for 15 days" / "15天没登录" / "no login in the last 15 days": days_since_login ≥ 15
  (no login in the window (as-of − 15, as-of]); "more than 15 days" / "超过15天": > 15. An account
  that never logged in counts as inactive (the compiler matches NULL).
- "inactive" / "不活跃" with no number: days_since_login ≥ 30.
- "renewing in the next N days" / "未来N天内到期": contract_end in [as-of, as-of + N];
  "upcoming renewals" with no window: the next 90 days; "expired" / "已过期": contract_end < as-of.
- Event measures (logins, tickets, purchases, ...) without a window use the last 30 days.
- Sorting: inactivity lists most inactive first; renewals soonest first; top-N by the figure
  asked; anything else by ARR, largest first. A superlative with no number keeps 1 for a singular
  question ("which account has the highest ARR") and 10 otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from handlers import lexicon as lx
from handlers.textnorm import normalise
from handlers.understand import patterns
from handlers.understand.table import (
    Count,
    DefaultFilter,
    DefaultSort,
    Env,
    GroupBy,
    Item,
    Limit,
    Owner,
    Show,
)
from handlers.understand.topics import classes as classes_topic
from handlers.understand.topics import values as values_topic
from store import vocab
from store.identity import company_form, normalise_name
from store.lang import classes, dates, events, grammar
from store.lang.numbers import zh_int
from store.spec import Aggregate, Condition, Filter, RelativeDate, Sort, Spec

# ----------------------------------------------------------------------------- context


@dataclass(frozen=True)
class UserRef:
    handle: str
    name: str | None = None
    email: str | None = None
    role: str = "sales"


@dataclass(frozen=True)
class CustomRef:
    key: str
    label_en: str
    label_zh: str | None = None
    type: str = "text"
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()


@dataclass
class ParseContext:
    """What the database knows, so the parser recognises a book's own values."""

    values: dict[str, list[str]] = field(default_factory=dict)  # field -> distinct values
    tags: list[str] = field(default_factory=list)
    users: list[UserRef] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)  # account names
    account_norms: dict[str, str] = field(default_factory=dict)  # name -> normalised name
    custom: list[CustomRef] = field(default_factory=list)
    account_ids: dict[str, str] = field(default_factory=dict)  # lower-cased external id -> id
    domains: dict[str, str] = field(default_factory=dict)  # lower-cased domain -> domain
    me: str | None = None  # the asker's handle ("not mine")
    custom_values: dict[str, list[str]] = field(default_factory=dict)  # custom key -> values
    features: list[str] = field(default_factory=list)  # feature names the events carry
    event_types: list[str] = field(default_factory=list)  # event types the book stores


EMPTY_CONTEXT = ParseContext()


def book_tags(ctx: ParseContext) -> dict[str, dict[str, Any]]:
    """Tag tables only this book knows (kind -> lower-cased phrase -> value), for the pattern
    table's tagger (handlers/understand/tags.py), beside its fixed tables from the language layer:
    FIELD, a custom field's key, labels and aliases (a book's own field named like a built-in one
    is the one meant), its values (topics/values.py), its tags (topics/classes.py) and FEATURE,
    the features its events record. Built once per context: a context is
    rebuilt when the book changes (handlers/ask.py keys its cache on figures_state.data_version),
    and the sizes of what the tables read are checked so a context filled in after a first
    question is read again."""
    sizes = (
        tuple((k, len(v)) for k, v in ctx.values.items()),
        tuple((k, len(v)) for k, v in ctx.custom_values.items()),
        len(ctx.custom),
        len(ctx.users),
        len(ctx.tags),
        len(ctx.features),
    )
    held = ctx.__dict__.get("_book_tags")
    if held is None or held[0] != sizes:
        fields: dict[str, str] = {}
        for c in ctx.custom:
            for name in (c.key, c.key.replace("_", " "), c.label_en, c.label_zh or "", *c.aliases):
                if name:
                    fields[name.lower()] = c.key
        feature: dict[str, str] = {}  # FEATURE: the features its events record, alone or as one
        for word, name in vocab.feature_words(
            [f for f in ctx.features if f and len(f) >= 2]
        ).items():
            feature[word] = name
            for noun in events.FEATURE_NOUNS:  # "the API feature", "报表功能"
                feature[f"{word} {noun}" if noun.isascii() else f"{word}{noun}"] = name
        tables = {"FIELD": fields, "FEATURE": feature, **values_topic.book_tables(ctx)}
        held = (sizes, {**tables, **classes_topic.book_tables(ctx)})
        ctx.__dict__["_book_tags"] = held
    return held[1]


@dataclass
class Parsed:
    """The parser's answer: a spec (or None), whether it understood, and what it left over."""

    spec: Spec | None
    matched: bool
    unparsed: str = ""
    text: str = ""  # the normalised question
    problem: str = ""  # why it cannot be answered as asked (English), with a hint
    problem_zh: str = ""  # the same in Chinese
    sort_given: bool = False  # the question asked for an order (not the default one)
    account_ref: str = ""  # the words that named the account of a profile spec
    unknown_account: str = ""  # "tell me about X" where X is no account the asker can see

    @property
    def where(self) -> Condition:
        return self.spec.where if self.spec else Condition()


# ----------------------------------------------------------------------------- helpers

_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_RX = _CJK
NUM = r"\d+(?:\.\d+)?"


@lru_cache(maxsize=8192)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _phrase_rx(phrases: list[str] | tuple[str, ...]) -> str:
    """One alternation, longest first; ASCII phrases get word boundaries."""
    return _phrase_rx_cached(tuple(phrases))


@lru_cache(maxsize=4096)
def _phrase_rx_cached(phrases: tuple[str, ...]) -> str:
    parts = []
    for p in sorted({p.lower() for p in phrases if p}, key=len, reverse=True):
        e = re.escape(p)
        if p[0].isascii() and p[0].isalnum():
            e = r"(?<![a-z0-9_])" + e
        if p[-1].isascii() and p[-1].isalnum():
            e = e + r"(?![a-z0-9_])"
        parts.append(e)
    return "|".join(parts) if parts else r"(?!x)x"


class Rest:
    """The question with consumed spans blanked out (positions never shift)."""

    def __init__(self, text: str) -> None:
        self.s = text

    def take(self, start: int, end: int) -> None:
        self.s = self.s[:start] + " " * (end - start) + self.s[end:]

    def finditer(self, pattern: str | re.Pattern) -> list[re.Match]:
        rx = _compiled(pattern) if isinstance(pattern, str) else pattern
        return list(rx.finditer(self.s))

    def search(self, pattern: str | re.Pattern) -> re.Match | None:
        rx = _compiled(pattern) if isinstance(pattern, str) else pattern
        return rx.search(self.s)

    def leftover(self) -> str:
        return re.sub(r"\s+", " ", self.s).strip()


@dataclass
class Mention:
    start: int
    end: int
    key: str
    used: bool = False


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _num(s: str) -> float | int:
    f = float(s)
    return int(f) if f == int(f) else f


def _rel(days: int) -> RelativeDate:
    return RelativeDate(days=days)


OPS = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "=": "eq", "!=": "ne"}
FLIP = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge", "eq": "eq", "ne": "ne"}

# clauses: a window binds inside the clause of its predicate ("3 purchases in the last 30 days
# and no login for 15 days": 30 days for the purchases, 15 for the login)
_CLAUSE_SPLIT = re.compile(
    r"\s(?:"
    + "|".join(w for w in grammar.CONJUNCTIONS if w.isascii() and w.isalpha())
    + r")\s|"
    + "|".join(  # longest first: 并且 before 且
        re.escape(w)
        for w in sorted(grammar.CONJUNCTIONS, key=len, reverse=True)
        if not (w.isascii() and w.isalpha())
    )
)
_EVENT_WORD = re.compile(
    r"\blog(?:ged|ins?|ging)?\b|\bsign(?:ed)?[\s-]?ins?\b|purchas|\bbought\b|\borders?\b|\bbuy"
    r"|\bspen[dt]|tickets?|complain|\bfeatures?\b|\bused?\b|\busing\b|\bactive\b|\bapi\b"
    r"|登录|登陆|购买|采购|下单|买|工单|投诉|使用|用过|用了|功能|活跃|消费|订单|上线"
)
_DATE_FIELD_WORD = re.compile(
    r"renew|contract|expir|\bend(?:s|ing)?\b|found|establish|\bsigned|\bjoined|\bcreated"
    r"|\badded|\bonboard|到期|续约|续费|合同|成立|创立|签约|加入|新增|创建"
)
_LEGAL_SUFFIX = re.compile(
    r"(?:[\s,]+(?:co|inc|ltd|llc|corp|group|plc|gmbh|limited|company|corporation|holdings)\.?)+$"
    r"|(?:股份有限公司|有限责任公司|有限公司|集团)$"
)
# text fields a listing can show when named ("accounts with their city and plan")
SHOWABLE = frozenset(
    {"industry", "city", "province", "country", "plan", "stage", "tier", "status", "csm", "owner"}
    | {"price_sensitivity", "domain", "parent", "health_band", "nps_class", "rfm_segment"}
)


def _at_word_edges(text: str, word: str) -> bool:
    """Whether word occurs in text with no letter or digit glued to either ASCII edge."""
    start = 0
    while True:
        i = text.find(word, start)
        if i < 0:
            return False
        j = i + len(word)
        left_ok = i == 0 or not (
            word[0].isascii()
            and text[i - 1].isascii()
            and (text[i - 1].isalnum() or text[i - 1] == "_")
        )
        right_ok = j >= len(text) or not (
            word[-1].isascii() and text[j].isascii() and (text[j].isalnum() or text[j] == "_")
        )
        if left_ok and right_ok:
            return True
        start = i + 1


# what a Chinese company name starts with before its brand (地区) and ends with after it (行业)
_ZH_PLACES = tuple(
    sorted(
        {
            re.sub(r"(?:市|省|自治区|壮族|回族|维吾尔|特别行政区)+$", "", v)
            for table in (vocab.CITIES, vocab.PROVINCES)
            for variants in table.values()
            for v in variants
            if _CJK_RX.search(v)
        }
        | {"中国", "中华", "华东", "华南", "华北", "华中", "西南", "西北", "东北"},
        key=len,
        reverse=True,
    )
)


def _brand(norm: str) -> str:
    """The brand of a normalised Chinese company name: 上海云帆信息科技 -> 云帆."""
    core = norm
    for place in _ZH_PLACES:
        if len(place) >= 2 and core.startswith(place) and len(core) - len(place) >= 2:
            core = core[len(place) :]
            core = re.sub(r"^(?:市|省)", "", core)
            break
    return core[:2] if len(core) >= 4 else core


@lru_cache(maxsize=64)
def _brand_index(
    names: tuple[str, ...], norms_key: tuple[tuple[str, str], ...]
) -> dict[str, list[tuple[str, str]]]:
    norms = dict(norms_key)
    out: dict[str, list[tuple[str, str]]] = {}
    for name in names:
        nn = norms.get(name) or normalise_name(name)
        if not _CJK_RX.search(nn):
            continue
        b = _brand(nn)
        if len(b) >= 2 and _CJK_RX.fullmatch(b[0]):
            out.setdefault(b, []).append((name, nn))
    return out


@lru_cache(maxsize=16)
def _name_index(
    names: tuple[str, ...], norms: tuple[tuple[str, str], ...]
) -> dict[str, list[tuple[str, str]]]:
    """Every spelling an account goes by (full, normalised, without legal suffix), bucketed by
    its first two characters, so a question is matched in time of its own length."""
    norm_of = dict(norms)
    index: dict[str, list[tuple[str, str]]] = {}
    for name in names:
        short = _LEGAL_SUFFIX.sub("", name.lower()).strip()
        for cand in {name.lower(), norm_of.get(name) or normalise_name(name), short}:
            if len(cand) < 3 and not (_CJK.search(cand) and len(cand) >= 2):
                continue
            index.setdefault(cand[:2], []).append((cand, name))
    return index


@lru_cache(maxsize=64)
def _first_words(names: tuple[str, ...]) -> dict[str, str]:
    """First words of multi-word English names that name one account only (Northwind Health)."""
    seen: dict[str, list[str]] = {}
    for name in names:
        words = name.lower().split()
        if len(words) >= 2 and re.fullmatch(r"[a-z]{4,}", words[0]):
            seen.setdefault(words[0], []).append(name)
    common = set(lx.STOPWORDS_EN) | {
        v.lower() for table in vocab.BY_FIELD.values() for k, vs in table.items() for v in (k, *vs)
    }
    return {w: ns[0] for w, ns in seen.items() if len(ns) == 1 and w not in common}


# Words a Chinese company name is built of after its brand (同创|网络科技, 云帆|信息技术): text that
# goes on with one of them right after a matched name names another company, not this one.
_ZH_NAME_WORDS = re.compile(
    "(?:网络|科技|信息|电商|电子|技术|软件|贸易|实业|传媒|文化|教育|医疗|医药|物流|制造|咨询|"
    "服务|数据|智能|生物|能源|金融|互联|控股|商贸|工业|机械|汽车|化工|食品|建设|建筑|工程|设计|"
    "广告|环保|材料|数字|创新|发展|投资|餐饮|酒店|零售|百货|家居|纺织|服饰|半导体|光电|通信|"
    "游戏|娱乐|体育|健康|农业|地产|置业|物业|安全|系统|新能源|云计算|网讯|网科|信科|国际|实验室)"
)
# where a Chinese name said in a question ends (before 的, 是, a field word, Latin text…)
_ZH_ASKED_NAME = re.compile(r"[\u3400-\u9fff]+?(?=的|是|有|在|和|与|吗|呢|[^\u3400-\u9fff]|$)")
_EN_LEGAL_WORDS = frozenset(
    [
        "co",
        "inc",
        "ltd",
        "llc",
        "corp",
        "group",
        "plc",
        "gmbh",
        "limited",
        "company",
        "corporation",
        "holdings",
    ]
)


@lru_cache(maxsize=1)
def _en_not_name_words() -> frozenset[str]:
    """English words that may follow an account's name in a question without being part of
    another name: stopwords, field and value words, legal suffixes, account nouns."""
    words = set(lx.STOPWORDS_EN) | _EN_LEGAL_WORDS
    for table in (
        lx.FIELD_PHRASES,
        classes.TAG_WORDS,
        classes.HEALTH_WORDS,
        classes.NPS_CLASS_WORDS,
    ):
        for key, phrases in table.items():
            for phrase in (key, *phrases):
                words.update(re.findall(r"[a-z]+", str(phrase).lower()))
    for table in vocab.BY_FIELD.values():
        for key, variants in table.items():
            for v in (key, *variants):
                words.update(re.findall(r"[a-z]+", str(v).lower()))
    words |= {
        "account", "accounts", "customer", "customers", "client", "clients", "company", "firm",
        "profile", "card", "details", "summary", "doing", "going", "getting", "looking", "now",
        "today", "lately", "recently", "please", "info", "information", "overview", "status",
    }  # fmt: skip
    return frozenset(words)


def goes_on_as_another_name(t: str, j: int, name: str, raw: str = "") -> bool:
    """Whether the text after a name matched at t[:j] goes on naming a company the name does not
    continue with ("同创网络科技" after 同创电商's brand, "acme analytics" after "acme"): then the
    question is about another account — one the asker may not see — never this lookalike."""
    rest = t[j:]
    if not rest:
        return False
    nl = name.lower()
    if _CJK.match(rest[0]):
        m = _ZH_NAME_WORDS.match(rest)
        return bool(m) and m.group() not in nl
    m = re.match(r"[ \t]+([a-z][a-z&\-]{2,})", rest)
    if m is None:
        return False
    word = m.group(1)
    if re.search(rf"\b{re.escape(word)}\b", nl):
        return False
    if word not in _en_not_name_words():
        return True
    # a field word written as a name's word ("Northwind Health", not "northwind health")
    said = re.search(
        re.escape(t[:j].split()[-1]) + r"[ \t]+(" + re.escape(word) + r")\b", raw, re.I
    )
    return bool(said) and said.group(1)[0].isupper() and not said.group(1).isupper()


def asked_name(t: str, i: int, j: int, raw: str = "") -> str:
    """The name a question says from t[i] on, past where a lookalike matched it (t[i:j])."""
    if _CJK.match(t[i : i + 1] or " "):
        m = _ZH_ASKED_NAME.match(t, i)
        return (m.group() if m and m.end() > j else t[i:j]).strip()
    end = j
    while True:  # the English name goes on while its words are name words (or Inc, Ltd…)
        m = re.match(r"[ \t]+([a-z][a-z&\-]*)", t[end:])
        if m is None:
            break
        if m.group(1) not in _EN_LEGAL_WORDS and not goes_on_as_another_name(t, end, "", raw):
            break
        end += m.end()
    return t[i:end].strip()


def _short_cjk_names(
    t: str, names: tuple[str, ...], norms: dict[str, str]
) -> list[tuple[str, tuple[int, int]]]:
    """Chinese names said by their brand and what follows or precedes it in the full name."""
    index = _brand_index(names, tuple(sorted(norms.items())))
    found: list[tuple[str, tuple[int, int]]] = []
    for brand, owners in index.items():
        start = 0
        while True:
            i = t.find(brand, start)
            if i < 0:
                break
            start = i + 1
            for name, nn in owners:
                k = nn.find(brand)
                a, b = i, i + len(brand)
                ka, kb = k, k + len(brand)
                while b < len(t) and kb < len(nn) and t[b] == nn[kb]:
                    b, kb = b + 1, kb + 1
                while a > 0 and ka > 0 and t[a - 1] == nn[ka - 1]:
                    a, ka = a - 1, ka - 1
                found.append((name, (a, b)))
    return found


def _fold_sep(s: str) -> str:
    return re.sub(r"[\s._\-]+", "", s.lower())


# ----------------------------------------------------------------------------- the parser


@dataclass(frozen=True)
class _Span:
    begin: int

    def start(self) -> int:
        return self.begin


class _Parser:
    def __init__(self, text: str, language: str | None, ctx: ParseContext) -> None:
        self.raw = text or ""
        self.problem: tuple[str, str] | None = None
        self.t = self._exponents(normalise(self.raw))
        if re.search(r"(?<![A-Za-z])US(?![A-Za-z])", self.raw):
            # "show US accounts": written in capitals, the country, not the asker ("show us …")
            self.t = re.sub(r"(?<![a-z0-9_])us(?![a-z0-9_'])", "usa", self.t)
        self.lang = language or ("zh" if _CJK.search(self.raw) else "en")
        self.ctx = ctx
        self.rest = Rest(self.t)
        self.filters: list[Filter | Condition] = []
        self.spec_kw: dict[str, Any] = {}
        self.sort: list[Sort] = []
        self.limit: int | None = None
        self.group_by: str | None = None
        self.aggregate: Aggregate | None = None
        self.count = False
        self.show: list[str] = []
        self.default_sort: Sort | None = None
        self.found_something = False
        self.account_noun = False
        self.unseen_account: str | None = None  # a name asked that only a lookalike matched
        self.nested = False  # parsing the stem of a name (no further name checks)
        self.field_rx = self._build_field_rx()
        self.singular = bool(
            re.search(
                r"\b(?:which|what|the)\s+(?:\w+\s+)?(?:account|customer|company|client)\b(?!s)"
                r"|\bwho\s+(?:has|is)\b|哪个|哪家|哪一个|哪一家|哪位|谁",
                self.t,
            )
        )

    # ---- numbers and periods that must not be misread
    def _exponents(self, t: str) -> str:
        """Write "1e6" / "10^6" / "10**6" out in full; a number too large to compare is refused
        (never truncated to its first digits)."""

        def expand(m: re.Match) -> str:
            try:
                if m.group("base") is not None:
                    v = float(m.group("base")) ** int(m.group("exp2"))
                else:
                    v = float(m.group("mant") + "e" + m.group("exp"))
            except (OverflowError, ValueError):
                v = float("inf")
            if not v < 1e15:
                self._refuse(
                    f"the number '{m.group().strip()}' is too large to compare with; "
                    "use a number below 1,000,000,000,000,000",
                    f"数字“{m.group().strip()}”太大，无法比较；请使用小于 10^15 的数字",
                )
                return m.group()
            return str(int(v)) if v == int(v) else repr(v)

        return re.sub(
            r"(?<![\w.])(?:(?P<mant>\d+(?:\.\d+)?)e(?P<exp>[+-]?\d{1,6})"
            r"|(?P<base>\d+(?:\.\d+)?)\s*(?:\^|\*\*)\s*(?P<exp2>[+-]?\d{1,6}))(?![\w.])",
            expand,
            t,
        )

    def _refuse(self, en: str, zh: str) -> None:
        if self.problem is None:
            self.problem = (en, zh)

    def sanity(self) -> None:
        """Questions naming periods or sizes that do not exist are refused with a hint rather than
        silently read as some other period or number."""
        t = self.t
        m = re.search(r"\bq(?:[5-9]|0|\d{2,})\b|第\s*(?:[5-9]|[五六七八九十])\s*季度", t)
        if m:
            self._refuse(
                f"'{m.group()}' is not a quarter; quarters are Q1–Q4",
                f"“{m.group()}”不是有效的季度；季度只有第一至第四季度（Q1–Q4）",
            )
        m = re.search(
            r"\bmonth\s+(?:0|1[3-9]|[2-9]\d|\d{3,})\b"
            r"|(?<![\d个])(?:0|1[3-9]|[2-9]\d|\d{3,})\s*月(?!份?\s*\d|内)(?<!个月)"
            r"|(?<![\d-])\d{4}-(?:00|1[3-9]|[2-9]\d)(?:-\d{1,2})?(?![\d-])",
            t,
        )
        if m and "个月" not in t[m.start() : m.end() + 1]:
            self._refuse(
                f"'{m.group().strip()}' is not a month; months are 1–12",
                f"“{m.group().strip()}”不是有效的月份；月份为 1–12 月",
            )
        for m in re.finditer(r"(?<![\d.])(\d+)\s*天", t):
            if int(m.group(1)) > 36500:
                self._refuse(
                    f"a window of {m.group(1)} days is too long; use at most 36500 days (100 years)",
                    f"{m.group(1)} 天的时间范围太长；最多 36500 天（100 年）",
                )
        m = re.search(r"(?:[<>=]|\bthan\b|大于|小于|超过|低于|高于|等于)\s*(\d{16,})", t)
        if m:
            self._refuse(
                f"the number '{m.group(1)}' is too large to compare with",
                f"数字“{m.group(1)}”太大，无法比较",
            )
        m = re.search(
            r"\b(?:top|bottom|first|last|largest|biggest|smallest)\s+(-?0+|-\d+)\b"
            r"|(?:前|后|最大的|最小的)\s*(-?0+|-\d+)\s*(?:个|家|名|位)?",
            t,
        )
        if m:
            self._refuse(
                f"'{m.group().strip()}' asks for no accounts; the number to list must be at least 1",
                f"“{m.group().strip()}”没有要列出的客户；数量至少为 1",
            )

    # ---- lexicon with context
    def _build_field_rx(self) -> dict[str, str]:
        phrases: dict[str, list[str]] = {k: list(v) for k, v in lx.FIELD_PHRASES.items()}
        for c in self.ctx.custom:
            names = [c.key, c.key.replace("_", " "), c.label_en, c.label_zh or "", *c.aliases]
            own = {n.lower() for n in names if n}
            # a book's own field named like a built-in one ("客户等级") is the one meant
            for k, ps in phrases.items():
                if k != c.key:
                    phrases[k] = [x for x in ps if x not in own]
            phrases.setdefault(c.key, []).extend(n.lower() for n in names if n)
        return {k: _phrase_rx(v) for k, v in phrases.items()}

    def field_type(self, key: str) -> str:
        from store.fields import BUILTIN, EVENT_MEASURES

        if key in EVENT_MEASURES:
            return "measure"
        f = BUILTIN.get(key)
        if f is not None:
            return f.type
        for c in self.ctx.custom:
            if c.key == key:
                return {"number": "number", "date": "date"}.get(c.type, "text")
        return "text"

    def numeric(self, key: str) -> bool:
        return self.field_type(key) in ("number", "money", "integer", "percent", "measure")

    def add(self, f: Filter | Condition) -> None:
        self.filters.append(f)
        self.found_something = True

    # ---- steps
    def run(self) -> Parsed:
        if not self.t:
            return Parsed(None, False, "", self.t)
        self.sanity()
        if self.problem is not None:
            return Parsed(None, False, self.t, self.t, self.problem[0], self.problem[1])
        self.account_noun = bool(
            re.search(lx.ACCOUNT_NOUNS_EN + r"|" + lx.ACCOUNT_NOUNS_ZH, self.t)
        )
        related = self.parent_company()
        self.account_ref = ""
        self.unknown_account = ""
        self.unknown_company = ""
        profile = None if related else self.profile()
        if profile is not None:
            return Parsed(Spec(account=profile), True, "", self.t, account_ref=self.account_ref)
        if self.unknown_company:  # "介绍一下星河湾科技": one company, not the technology industry
            return Parsed(None, False, "", self.t, unknown_account=self.unknown_company)
        among = self.among_top()
        if among is not None:
            return among
        self.comment_search()  # quoted words first: "mentioned reports" is no team's reports
        self.note_search()
        self.understand(("open alerts",))  # before classes: 未处理预警 is no churn-warning tag
        self.understand(("key person", "question words"))
        self.perspective()
        self.event_windows()
        self.event_types()
        self.understand(("dates",))  # date fields and periods: renewals, new accounts, bounds
        self.trends()
        self.risk_superlative()
        self.understand(("events",))
        self.understand(("classes",))
        self.understand(("missing",))
        self.mentions = self.find_mentions()
        self.grouping()
        self.aggregates()
        self.superlatives()
        self.explicit_sort()
        self.comparisons()
        self.understand(("values",))  # industries, cities, plans, owners, custom values
        self.counting()
        self.leftover_mentions()
        return self.finish()

    def understand(self, topics: tuple[str, ...]) -> None:
        """Topics read by the pattern table (handlers/understand), called where the step they
        replaced stood: their rows add spec items and take the words they used."""
        env = Env(ctx=self.ctx, lang=self.lang, text=self.t)
        text = self.rest.s
        if "events" in topics:  # the windows event_windows kept for the events of their clause
            for start, end, _kw in getattr(self, "windows", ()):
                text = text[:start] + self.t[start:end] + text[end:]
        hits = patterns.find(text, self.t, topics, env, book_tags(self.ctx))
        self.defaults: list[Filter] = []
        for hit in hits:
            for item in hit.items:
                if isinstance(item, Limit) and item.n is None:  # the number said near the words
                    self._limit_near(hit.start, hit.end, default=True)
                else:
                    self.apply(item)
            for start, end in patterns.spans(hit, self.t):
                self.rest.take(start, end)
            self._use_mentions(hit.items)
        for joint in patterns.joints(self.rest.s, hits, self.t):
            self.rest.take(joint.start, joint.end)
        for f in self.defaults:  # a word's condition, unless the question said one on its field
            if not any(isinstance(g, Filter) and g.field == f.field for g in self.filters):
                self.add(f)

    def _use_mentions(self, items: tuple[Item, ...]) -> None:
        """A field named beside the values kept is used by them ("healthcare industry", "竞争对手是
        Salesforce"): not shown as a column, not reported as ignored. Beside values left out it
        is still shown ("not on the Enterprise plan": the plans the answer holds vary)."""
        fields = set()
        for item in items:
            flts = item.filters() if isinstance(item, Condition) else [item]
            fields |= {f.field for f in flts if isinstance(f, Filter) and f.op in ("eq", "in")}
        for mn in getattr(self, "mentions", ()):
            if mn.key in fields and not mn.used:
                mn.used = True
                self.rest.take(mn.start, mn.end)

    def apply(self, item: Item) -> None:
        """One item a pattern row built, into the spec being assembled."""
        if (
            isinstance(item, Filter)
            and item.field in classes_topic.ONE_VALUE
            and item.op in ("eq", "in")
        ):
            prev = next(
                (
                    f
                    for f in self.filters
                    if isinstance(f, Filter) and f.field == item.field and f.op in ("eq", "in")
                ),
                None,
            )
            if prev is not None:  # an account has one band: "red or yellow" is either
                values = [*_listed(prev.value), *_listed(item.value)]
                self.filters[self.filters.index(prev)] = Filter(
                    field=item.field, op="in", value=list(dict.fromkeys(values))
                )
                return
        if isinstance(item, (Filter, Condition)):
            self.add(item)
        elif isinstance(item, Sort):
            self.sort.append(item)
            self.found_something = True
        elif isinstance(item, Aggregate):
            self.aggregate = item
            self.found_something = True
        elif isinstance(item, Limit):
            self.limit = item.n
        elif isinstance(item, GroupBy):
            self.group_by = item.field
            self.found_something = True
        elif isinstance(item, Count):
            self.count = True
        elif isinstance(item, Show):
            if item.field not in self.show:
                self.show.append(item.field)
        elif isinstance(item, DefaultSort):
            self.default_sort = item.sort
        elif isinstance(item, Owner):
            if "owner" in self.spec_kw and not item.team:  # two users: the accounts of either
                first = self.spec_kw.pop("owner")
                self.add(Filter(field="owner", op="in", value=[first, item.handle]))
            elif "owner" not in self.spec_kw and "team" not in self.spec_kw:
                self.spec_kw["team" if item.team else "owner"] = item.handle
                self.found_something = True
        elif isinstance(item, DefaultFilter):
            self.defaults.append(item.filter)
        else:  # pragma: no cover - a new item kind must be applied here
            raise TypeError(f"unknown spec item {item!r}")

    # -- named account: "tell me about X", "X的客户画像"
    def profile(self) -> str | None:
        t = self.t
        explicit = [
            r"^(?:please\s+)?(?:tell me about|tell me more about|what about|how is|how's|"
            r"give me (?:an? )?(?:summary|brief(?:ing)?|overview|profile) (?:of|for|on)|"
            r"(?:show|open|get|pull up|display)(?: me)?(?: the)? (?:profile|card|details|summary)"
            r" (?:of|for|on)|profile (?:of|for)|summary (?:of|for)|summari[sz]e|brief(?:ing)? on|"
            r"(?:info|information|details) (?:on|about|for)|look up|lookup|about|"
            r"what(?:'?s| is) (?:up|new|going on|happening) with|how (?:are|is) things (?:at|with)|"
            r"check on)"
            r"\s+(?P<x>.+?)(?:'s)?(?:\s+(?:profile|card|account|customer))?"
            r"(?:\s+(?:doing|going|getting on|looking|performing|faring|holding up))?"
            r"(?:\s+(?:these days|lately|recently|now|right now|today|so far))?"
            r"(?:\s+before my call)?\s*$",
            r"^(?P<x>.+?)(?:'s)?\s+(?:profile|profile card|account profile|customer profile)\s*$",
            r"^(?:请|帮我|给我)?(?:查看|看看|看一下|介绍一下|介绍|说说|讲讲|查一下|打开|总结一下|总结)?"
            r"\s*(?P<x>.+?)\s*(?:的)?\s*(?:客户画像|画像|用户画像|档案|客户档案|概况|基本情况|详细信息|详情|资料)"
            r"\s*$",
        ]
        soft = [
            r"^(?:please\s+)?(?:show|open|view|check|profile|summary for|summary of|brief me on|"
            r"draft [a-z ]+ for|give me a summary for)\s+(?P<x>.+?)\s*(?:before my call)?$",
            r"^(?:请|帮我|给我)?(?:查看|看看|看一下|介绍一下|介绍|查一下|打开|分析|评估|说说|讲讲|"
            r"聊聊|了解一下|查查|"
            r"分析一下|评估一下)?\s*(?:客户)?\s*(?P<x>.+?)\s*(?:的)?\s*(?:(?:怎么样|如何|情况|近况|"
            r"最近互动|健康度|流失风险|最近怎么样)\s*)*$",
        ]
        ref = self.account_ref_in_text()
        if ref is not None:
            value, span = ref
            outside = (t[: span[0]] + " " + t[span[1] :]).strip()
            if not outside or self._profileish(outside):
                self.account_ref = t[span[0] : span[1]]
                return value
        names = self.ctx.accounts
        for pat in explicit:
            m = re.match(pat, t)
            if m:
                x = m.group("x").strip()
                hit = self.match_account(x)
                if hit:
                    self.account_ref = self.raw_ref(x)
                    return hit
                if self.unseen_account:  # "about 同创网络科技" when only 同创电商 is visible
                    return self.raw_ref(self.unseen_account)
                if not names and x and not self._generic_phrase(x):
                    return self.raw_ref(x)
                if names and x and not self._generic_phrase(x) and not self.unknown_account:
                    self.unknown_account = self.raw_ref(x)
                if self._unknown_company(x):
                    return None
        # an account name anywhere, with nothing else recognisable around it
        hit = self.account_in_text()
        if hit is None and self.unseen_account:
            asked = self.unseen_account.lower()
            k = t.find(asked)
            outside = (t[:k] + " " + t[k + len(asked) :]).strip() if k >= 0 else t
            soft_hit = any(re.match(pat, t) for pat in soft)
            if soft_hit or not outside or self._profileish(outside):
                return self.raw_ref(self.unseen_account)
        if hit is None:
            for pat in soft:
                m = re.match(pat, t)
                if m and self._unknown_company(m.group("x").strip(), framed=False):
                    return None
        if hit:
            name, span = hit
            outside = (t[: span[0]] + " " + t[span[1] :]).strip()
            for pat in soft:
                m = re.match(pat, t)
                if m and self.match_account(m.group("x").strip()):
                    self.account_ref = t[span[0] : span[1]]
                    return name
            if not outside or self._profileish(outside):
                self.account_ref = t[span[0] : span[1]]
                return name
        return None

    # -- parent company: "subsidiaries of X", "parent company is X", "X的子公司", "有母公司的客户"
    def parent_company(self) -> bool:
        """A named account next to a relation word is a filter on `parent`, not a profile card.

        "subsidiaries of X" / "whose parent company is X" / "X的子公司" / "母公司是X": parent = X
        (X as the book spells it among its parent values or account names); "have a parent
        company" / "有母公司" / "are subsidiaries": parent is not empty; "no parent company" /
        "没有母公司" / "independent": parent is empty.
        """
        r = self.rest
        child = (
            r"\bsubsidiar(?:y|ies)\b|\baffiliates?\b|\bchild\s+(?:companies|company|accounts?)\b"
            r"|\bdaughter\s+compan(?:y|ies)\b|\bsister\s+compan(?:y|ies)\b|\bgroup\s+compan(?:y|ies)\b"
            r"|子公司|分公司|附属公司|附属企业|关联公司|成员企业|成员公司|下属公司|下属企业|旗下"
        )
        parent_w = (
            r"\bparent(?:\s+(?:company|companies|org(?:anization)?|group|account|firm|"
            r"corporation))?\b|\bholding\s+company\b|母公司|上级公司|所属集团|控股公司|集团公司"
        )
        stored = [str(v).strip() for v in self.ctx.values.get("parent", []) if v and str(v).strip()]
        if stored:
            # "owned by X" / "part of X" / "隶属X" with X a parent company the book holds
            m = r.search(
                r"(?:\b(?:owned|held|controlled|acquired)\s+by|\bpart\s+of|\bbelong(?:s|ing)?\s+to"
                r"|隶属于?|属于)\s*(?:the\s+)?(?P<x>"
                + _phrase_rx(tuple(v.lower() for v in stored))
                + ")"
                r"(?:\s*(?:group|集团|旗下))?"
            )
            if m:
                value = next(v for v in stored if v.lower() == m.group("x"))
                self.add(Filter(field="parent", op="eq", value=value))
                r.take(*m.span())
                self.found_something = True
                self.show.append("parent")
                return True
        if not r.search(child + "|" + parent_w):
            return False
        # a name the book knows: one of its parent values, else an account name
        names: dict[str, str] = {}
        for v in self.ctx.values.get("parent", []):
            if v and len(str(v).strip()) >= 2:
                names[str(v).lower().strip()] = str(v).strip()
                short = _LEGAL_SUFFIX.sub("", str(v).lower()).strip()
                if len(short) >= 3 or (_CJK.search(short) and len(short) >= 2):
                    names.setdefault(short, str(v).strip())
        for a in self.ctx.accounts:
            short = _LEGAL_SUFFIX.sub("", a.lower()).strip()
            for k in (a.lower(), short, self.ctx.account_norms.get(a) or ""):
                if len(k) >= 3 or (_CJK.search(k) and len(k) >= 2):
                    names.setdefault(k, a)
        found = r.finditer(_phrase_rx(tuple(names))) if names else []
        # a relation word inside a name ("华信集团公司") is part of that name
        cues = [
            c
            for c in r.finditer(child + "|" + parent_w)
            if not any(c.start() < n.end() and n.start() < c.end() for n in found)
        ]
        if not cues:
            return False
        cue = cues[0]
        if re.search(
            r"\b(?:by|per|each)\s*$|(?:按|各|每个)\s*$", r.s[max(0, cue.start() - 8) : cue.start()]
        ):
            return False  # "accounts by parent company": a breakdown
        if re.match(r"\s*(?:的)?\s*(?:分布|breakdown|distribution)", r.s[cue.end() :]):
            return False
        hit = None
        if names:
            best = None
            for m in found:
                gap = max(cue.start() - m.end(), m.start() - cue.end(), 0)
                if best is None or gap < best[0]:
                    best = (gap, m)
            if best is not None and best[0] <= 40:
                hit = (best[1], names[best[1].group()])
        value = None
        if hit is not None:
            value = hit[1]
            r.take(*hit[0].span())
        elif not self.ctx.accounts and not self.ctx.values.get("parent"):
            m = r.search(
                r"(?:\b(?:of|is|=|under|to)\s+|(?:是|为|=)\s*)(?P<x>[a-z0-9&.\- ]{2,40}?|[\u4e00-\u9fff]"
                r"{2,12}?)(?:\s+(?:with|that|which|where|and|sorted|in|by)\b|的|$)"
            )
            if m and re.search(child + "|" + parent_w, r.s[max(0, m.start() - 40) : m.start() + 3]):
                value = m.group("x").strip()
                r.take(m.start("x"), m.end("x"))
        if value is not None:
            self.add(Filter(field="parent", op="eq", value=value))
            r.take(*cue.span())
            self._consume(
                r"\b(?:whose|where|with|having)\s+(?:the\s+)?(?=\s*(?:is|=)?\s*$)|\b(?:owned|held)\s+"
                r"by\b|\bbelong(?:s|ing)?\s+to\b|\bpart\s+of\b|\bunder\b|(?<![a-z])(?:is|of|'s)\b"
                r"|(?:是|为|属于|隶属于?|的|下属的?|控股的?)(?=\s|$|客户|公司|企业)"
            )
            self.found_something = True
            if "parent" not in self.show:
                self.show.append("parent")
            return True
        # no name: having a parent company, or not
        before = r.s[max(0, cue.start() - 24) : cue.start()]
        neg_before = re.search(
            r"(?:\bno|\bwithout|\bnot\s+(?:a|an|any)?|\bnone|\blacking|\bmissing|没有|无|不是|不属于|非)"
            r"\s*(?:a\s+|an\s+|any\s+)?$",
            before,
        )
        neg_after = re.match(
            r"\s*(?:is\s+|are\s+)?(?:empty|blank|missing|unknown|none|为空|空白|未知)",
            r.s[cue.end() :],
        )
        pos = re.search(
            r"(?:\b(?:with|have|has|having|had|are|is|that\s+are|which\s+are)\s+(?:a\s+|an\s+|any\s+)?"
            r"|有|是|属于|带)\s*$",
            before,
        ) or re.search(child, cue.group())
        if not (neg_before or neg_after or pos):
            return False
        neg = bool(neg_before or neg_after)
        self.add(Filter(field="parent", op="empty" if neg else "not_empty"))
        r.take(*cue.span())
        if neg_before:
            r.take(cue.start() - len(before) + neg_before.start(), cue.start())
        if neg_after:
            r.take(cue.end(), cue.end() + neg_after.end())
        self.found_something = True
        return True

    def among_top(self) -> Parsed | None:
        """ "among the top 10 accounts by ARR, which have no TB", "年合同额前10的客户里哪些没有TB",
        "前5大客户中有几个在上海": the condition is asked of the N ranked (Spec.within), not a new
        ranking of the accounts that meet it."""
        if self.nested:
            return None
        t = self.t
        m = re.match(
            r"^(?:among|of|in|from|within)\s+(?P<head>(?:the\s+|my\s+|our\s+)?(?:top|largest|"
            r"biggest|bottom|smallest)\s+\d+\b.*?)\s*(?:[,:;]\s*|\s+(?=which\b|how\s+many\b|"
            r"what\b|who\b|are\b|have\b|has\b|do\b|does\b|is\b))(?P<tail>.+)$",
            t,
        ) or re.match(
            r"^(?P<head>.*?(?:前|top\s*)\s*\d+\s*(?:名|个|家|位)?\s*(?:大)?[^，,。]*?)"
            r"(?:里面|里头|里|之中|当中|中)\s*[,，]?\s*(?P<tail>.+)$",
            t,
        )
        asked = ""
        if m is None:  # "which of my top 5 accounts have no EB", "how many of the 10 biggest …"
            m = re.match(
                r"^(?P<q>which|how\s+many)\s+of\s+(?P<head>(?:the\s+|my\s+|our\s+)?(?:top\s+\d+|"
                r"\d+\s+(?:biggest|largest|smallest|highest|lowest|top))\b.*?)\s+(?P<tail>(?:are|is"
                r"|have|has|had|do|does|did|were|was)\b.+)$",
                t,
            )
            asked = m.group("q") + " " if m else ""
        if m is None:
            return None
        parts = []
        for key in ("head", "tail"):
            sub = _Parser((asked if key == "tail" else "") + m.group(key), self.lang, self.ctx)
            sub.nested = True
            parts.append(sub.run())
        head, tail = parts
        if not (head.matched and head.spec and tail.matched and tail.spec):
            return None
        ranked, ask = head.spec, tail.spec
        if not ranked.limit or ranked.group_by or ranked.aggregate or ranked.account:
            return None
        if ask.account or (ask.where.is_empty() and ask.aggregate is None and not ask.group_by):
            return None
        spec = ask.model_copy(
            update={
                "sort": ask.sort if tail.sort_given or ask.group_by else ranked.sort,
                "limit": ask.limit if tail.sort_given else None,
                "within": ranked,
            }
        )
        left = " ".join(x for x in (head.unparsed, tail.unparsed) if x)
        return Parsed(spec, True, left, self.t, sort_given=tail.sort_given)

    def _unknown_company(self, x: str, framed: bool = True) -> bool:
        """Whether x, asked about as one account, is written like a company name ("华夏星辰科技",
        "Zenith Technologies") that no visible account has, its own part ("华夏星辰") being
        nothing the parser reads as a filter ("上海科技" stays Shanghai + technology). Keeps the
        name as written for "no account called X"."""
        given = re.sub(r"(?:'s|的)$", "", x.strip()).strip()
        x = self.raw_ref(given)
        if self.nested or not x or self._generic_phrase(x) or self.match_account(x):
            return False
        form = company_form(x)
        k = self.raw.lower().find(x.lower())
        words = re.findall(r"[A-Za-z][\w'&.-]*", self.raw[k : k + len(x)] if k >= 0 else x)
        named = all(w[0].isupper() or w.lower() in ("of", "and", "the", "&") for w in words)
        if form is None:
            # no legal form or trade word: still a name when written as one and asked about as
            # one ("show Scotfind", "看一下北京智造机械"), unless it reads whole as a question
            one_run = (
                "的" not in given
                and re.fullmatch(r"[\u3400-\u9fff]{4,}", given) is not None
                and not re.search(lx.ACCOUNT_NOUNS_ZH, given)
            )
            if not (one_run or (x.isascii() and k >= 0 and named and words)):
                return False
            if one_run:  # a Chinese run is a name when parts of it read as filters, not all
                part = _Parser(given, self.lang, self.ctx)
                part.nested = True
                read = part.run()
                sp = read.spec
                if not (read.matched and sp is not None and read.unparsed):
                    return False
                only_values = (
                    not read.sort_given
                    and not (sp.aggregate or sp.group_by or sp.limit or sp.mine or sp.team)
                    and not sp.where.any
                    and all(
                        isinstance(f, Filter) and f.op == "eq" and isinstance(f.value, str)
                        for f in sp.where.all
                    )
                )
                if not only_values:  # "按年合同额从高到低排": a question with a word unread
                    return False
            form = (x, "")
        if "的" in form[0]:
            return False
        if not framed and x.isascii() and not (k >= 0 and named):
            return False  # unframed, a name is written as one: "Zenith Tech", not "big tech"
        sub = _Parser(form[0], self.lang, self.ctx)
        sub.nested = True
        stem = sub.run()
        if stem.matched and stem.spec is not None and (stem.spec.account or not stem.unparsed):
            return False
        k = self.raw.lower().find(x.lower())
        self.unknown_company = self.raw[k : k + len(x)] if k >= 0 else x
        return True

    def _generic_phrase(self, x: str) -> bool:
        return bool(
            re.search(
                r"\b(?:my|our|all|accounts|customers|clients|companies)\b|我的|所有|客户$|"
                r"哪些|多少|行业|城市",
                x,
            )
        )

    def _profileish(self, s: str) -> bool:
        words = re.sub(
            r"\b(?:tell|me|about|the|profile|card|show|summary|summarize|of|for|how|is|what|"
            r"about|info|details|on|a|an|give|please|account|customer|open|before|my|call|"
            r"brief|briefing|doing|status|arr|nps|health|look|up|s|draft|cold|email|overview|"
            r"going|getting|looking|performing|faring|lately|recently|these|days|now|right|today|"
            r"so|far|what's|whats|with|things|at|are|check|find|view|pull|display|get|quick|"
            r"company|client|this|that|one|please|pls|plz|any|news|update|updates|new|going|"
            r"https?|www)\b"
            r"|'s|客户画像|画像|怎么样了|怎么样|怎样|咋样|如何了|如何|情况|的|客户|公司|企业|查看|看看|"
            r"看一下|查一下|查查|查|看|搜一下|搜索|找一下|找|介绍一下|介绍|详情|资料|档案|"
            r"最近|近况|近来|现在|目前|表现|状况|状态|啥情况|什么情况|好不好|吗|呢|吧|啊|"
            r"这个|这家|那个|那家|该|一下|下|请|帮我|帮忙|给我|我要|我想|生成|挽回方案|总结|"
            r"互动|健康度|流失风险|分析|评估|[?？。.!！,，:：/]",
            " ",
            s,
        )
        return not words.strip()

    def raw_ref(self, x: str) -> str:
        """The name as asked: no leading "the" / 客户, no trailing "的客户" (云帆的客户资料)."""
        x = re.sub(r"\s*的\s*(?:客户|公司)?$", "", x.strip())
        return re.sub(r"^(?:the|客户|公司)\s*", "", x).strip()

    def match_account(self, x: str) -> str | None:
        """An account name from the context that x names (exactly, normalised, or contained)."""
        if not x:
            return None
        xl = x.lower().strip()
        ref = self._id_or_domain(xl)
        if ref is not None:
            return ref
        if not self.ctx.accounts:
            return None
        xn = normalise_name(x)
        part_of = None  # x is part of a name: the shortest such name
        inside: tuple[int, str] | None = None  # a name inside x: the longest, at word edges
        norms = self.ctx.account_norms
        for name in self.ctx.accounts:
            nl = name.lower()
            nn = norms.get(name) or normalise_name(name)
            if nl == xl or (xn and nn == xn):
                return name
            if len(xn) >= 2 and xn in nn:
                if part_of is None or len(name) < len(part_of):
                    part_of = name
            elif len(nn) >= 3 and nn in xn:
                short = _LEGAL_SUFFIX.sub("", nl).strip()
                edges = any(_at_word_edges(xl, c) for c in (nl, short) if c) or _CJK.search(nn)
                hay, needle = (xn, nn) if _CJK.search(nn) else (xl, short or nl)
                k = hay.find(needle)
                if k >= 0 and self._another_name(hay, k, k + len(needle), name):
                    continue
                if edges and (inside is None or len(nn) > inside[0]):
                    inside = (len(nn), name)
        if inside is not None:
            return inside[1]
        if part_of is not None:
            return part_of
        hit = self.account_in_text(xl)
        return hit[0] if hit else None

    def _id_or_domain(self, token: str) -> str | None:
        """An external id or a domain of the book that a token is (case and www. folded)."""
        tok = token.strip().strip(".,;:!?'\"")
        if not tok:
            return None
        if tok in self.ctx.account_ids:
            return self.ctx.account_ids[tok]
        if "." in tok:
            from store.identity import normalise_domain

            dom = normalise_domain(tok)
            if dom and dom in self.ctx.domains:
                return self.ctx.domains[dom]
        return None

    def account_ref_in_text(self) -> tuple[str, tuple[int, int]] | None:
        """An external id or domain of the book written in the question (A-c4ea60, KH001, x.cn).

        With no book context, a token that looks like a domain is a reference too.
        """
        best: tuple[str, tuple[int, int]] | None = None
        for m in re.finditer(
            r"(?<![a-z0-9_@.\-])[a-z0-9][a-z0-9_.\-/:]*[a-z0-9](?![a-z0-9_\-])", self.t
        ):
            tok = m.group()
            ref = self._id_or_domain(tok)
            bare = not self.ctx.domains and not self.ctx.account_ids
            if (
                ref is None
                and bare
                and re.fullmatch(
                    r"(?:https?://)?(?:www\.)?[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}/?", tok
                )
            ):
                ref = tok
            if ref is None:
                continue
            if best is None or len(tok) > best[1][1] - best[1][0]:
                best = (ref, m.span())
        return best

    def account_in_text(self, text: str | None = None) -> tuple[str, tuple[int, int]] | None:
        """The account whose name (full, normalised, without legal suffix, or its Chinese short
        form: 云帆信息 for 上海云帆信息科技有限公司) the text holds; the longest match wins."""
        best: tuple[str, tuple[int, int]] | None = None
        t = self.t if text is None else text
        norms = self.ctx.account_norms
        if _CJK.search(t):
            values = self._book_values()
            for name, (i, j) in _short_cjk_names(t, tuple(self.ctx.accounts), norms):
                if t[i:j] in values:
                    continue  # "零售行业的客户": the trade, not 成都零售通科技 by a part of its name
                if self._another_name(t, i, j, name):
                    continue
                if best is None or (j - i) > (best[1][1] - best[1][0]):
                    best = (name, (i, j))
        index = _name_index(tuple(self.ctx.accounts), tuple(sorted(norms.items())))
        for start in range(len(t) - 1):
            for cand, name in index.get(t[start : start + 2], ()):
                i = t.find(cand, start)
                if i != start:
                    continue
                if cand[0].isascii() and i > 0 and t[i - 1].isascii() and t[i - 1].isalnum():
                    continue
                j = i + len(cand)
                if cand[-1].isascii() and j < len(t) and t[j].isascii() and t[j].isalnum():
                    continue
                if self._another_name(t, i, j, name):
                    continue
                if best is None or (j - i) > (best[1][1] - best[1][0]):
                    best = (name, (i, j))
        if best is None:
            # an English name by its first word when no other account shares it ("northwind")
            for word, name in _first_words(tuple(self.ctx.accounts)).items():
                m = re.search(r"(?<![a-z0-9_])" + re.escape(word) + r"(?![a-z0-9_])", t)
                if m and self._another_name(t, m.start(), m.end(), name):
                    continue
                if m and (best is None or len(word) > best[1][1] - best[1][0]):
                    best = (name, m.span())
        if best is not None:
            self.unseen_account = None
        return best

    def _book_values(self) -> frozenset[str]:
        """Every value the book holds for a field (industries, cities, plans …), lower-cased."""
        return frozenset(str(v).lower() for vs in self.ctx.values.values() for v in vs if v)

    def _another_name(self, t: str, i: int, j: int, name: str) -> bool:
        """Whether t[i:j] matched `name` only as a lookalike: the question goes on naming another
        company. The name asked is kept (unseen_account) so the answer can say it is not one the
        asker can see — never answer with the lookalike."""
        if not goes_on_as_another_name(t, j, name, self.raw):
            return False
        asked = asked_name(t, i, j, self.raw)
        k = self.raw.lower().find(asked)
        shown = self.raw[k : k + len(asked)] if k >= 0 else asked
        if self.unseen_account is None or len(shown) > len(self.unseen_account):
            self.unseen_account = shown
        return True

    # -- a manager's team: "Rocco's team", "team of Rocco", "周建国团队", "周建国手下"
    def team(self) -> None:
        r = self.rest
        mine = r.search(
            r"\b(?:my|our)\s+(?:own\s+)?(?:sales\s+)?(?:team|group|squad|reports|direct\s+reports)"
            r"(?:'s|s')?|(?:我的|我们的?|我|本)\s*(?:团队|小组|组员|下属|手下|部门)(?:的)?"
            # the team said alone: "整个团队", "the team's accounts", "across the team"
            r"|(?:整个|全)\s*(?:团队|部门)(?:的)?"
            r"|^(?:the\s+)?(?:whole\s+|entire\s+)?team(?:'s)?(?=\s+(?:accounts|customers|clients)\b)"
            r"|\b(?:across|for|in)\s+the\s+(?:whole\s+|entire\s+)?team\b(?!'s|\s+(?:of|led|run|managed|headed)\b)"
        )
        if mine:
            # a manager's own accounts are their team's (the scope says so); for anyone else
            # "my team" still means the accounts they may see as theirs
            self.spec_kw["mine"] = True
            self.found_something = True
            r.take(*mine.span())
            return
        team_en = (
            r"(?:'s|s')?\s+(?:sales\s+|cs\s+|whole\s+|entire\s+)?(?:team|group|squad|org|"
            r"organi[sz]ation|reports|direct\s+reports|people|reps|staff)\b"
        )
        team_zh = r"\s*(?:的)?\s*(?:团队|小组|组|手下|下属|部门|带的|带领的|管的)"
        before_en = (
            r"\b(?:team|group|squad|reports|reps|people)\s+(?:of|led\s+by|managed\s+by|run\s+by|"
            r"headed\s+by|reporting\s+to|that\s+reports?\s+to|who\s+reports?\s+to)\s+"
            r"|\breporting\s+to\s+|\breports?\s+(?:of|to)\s+"
        )
        before_zh = r"(?:向|汇报给|隶属于?)\s*"
        after_zh_rep = r"\s*(?:汇报|管理)的?"
        if self.ctx.users:
            for u in self.ctx.users:
                names = values_topic.user_names(u)
                if u.name and " " in u.name.strip():
                    first = u.name.lower().split()[0]
                    if len(first) >= 3:
                        names.add(first)
                for cand in sorted(names - {""}, key=len, reverse=True):
                    if len(cand) < 2 or (len(cand) < 3 and not _CJK.search(cand)):
                        continue
                    c = _phrase_rx([cand])
                    pats = [f"(?:{c}){team_en}", f"(?:{before_en})(?:{c})"]
                    if _CJK.search(cand):
                        pats += [
                            f"(?:{c}){team_zh}",
                            f"(?:{before_zh})(?:{c}){after_zh_rep}",
                        ]
                    for pat in pats:
                        m = r.search(pat)
                        if m:
                            negm = self._person_neg(m)
                            if negm is not None:  # "不归张三管的": not theirs
                                key = "csm" if u.role == "csm" else "owner"
                                self.add(Filter(field=key, op="ne", value=u.handle))
                                r.take(negm.start(), m.end())
                                return
                            self.spec_kw["team"] = u.handle
                            self.found_something = True
                            r.take(*m.span())
                            self._consume(r"\b(?:in|of|from|on)\b(?=\s*$)")
                            return
            # 团队 with no one's name before it: the asker's own ("团队的客户", "10月1日以来团队的…")
            bare = r.search(r"(?<![a-z0-9])(?:团队|部门)(?:的)?(?!建设|管理|协作|规模|人数)")
            before = self.t[: bare.start()] if bare else ""
            if (
                bare
                and re.search(r"[\u3400-\u9fff]{2}$", before)
                and not re.search(
                    r"(?:^|以来|以后|之后|之前|的|我|我们|本|看看|看一下|查看|列出|显示|给我|统计|里|中|在|今年|本月"
                    r"|本季度?|上个?月|上季度?|去年)$",
                    before,
                )
            ):
                bare = None  # "张伟团队": someone's team, a name not on file — not the asker's
            if bare:
                self.spec_kw["mine"] = True
                self.found_something = True
                r.take(*bare.span())
            return
        who = r"(?P<who>[a-z0-9_.@\-]+(?: [a-z]+)?|[\u4e00-\u9fff]{2,4}?)"
        for pat in (
            r"(?<![a-z0-9])" + who + team_en,
            r"(?:" + before_en + r")" + who,
            who + r"\s*(?:的)?\s*(?:团队|小组|手下|下属)",
        ):
            m = r.search(pat)
            words = m.group("who").split() if m else []
            while words and words[0] in lx.STOPWORDS_EN:
                words.pop(0)
            if words and re.fullmatch(r"used?|uses|using|tried|opened|viewed|ran|run", words[-1]):
                continue  # "used reports": the reports feature, nobody's team
            if words:
                self.spec_kw["team"] = " ".join(words)
                self.found_something = True
                r.take(*m.span())
                return

    # -- perspective: my accounts, owned by X, X's accounts, CSM X
    def perspective(self) -> None:
        self.team()
        r = self.rest
        for m in r.finditer(
            r"\bmy\b|\bmine\b|我的|我负责的?|我名下的?|我跟进的?|我管理的?|我手上的?"
            r"|我服务的?|我维护的?|我对接的?|我手里的?|归我(?:管|负责)?的?"
            # "the accounts I serve / look after / am responsible for"
            r"|\b(?:that\s+|which\s+|whom\s+)?i(?:'m|\s+am)?\s+(?:own|serve|manage|handle|cover"
            r"|look\s+after|take\s+care\s+of|support|work\s+with|work\s+on|run|responsible\s+for"
            r"|in\s+charge\s+of|assigned\s+to)\b"
        ):
            negm = self._person_neg(m)
            if negm is not None:
                # "not mine" / "不是我负责的": neither owned nor served by the asker
                # (owner ≠ me AND csm ≠ me: an empty owner/csm is "not me", which a NOT over
                # an SQL "= me" would lose)
                me = self.ctx.me or "me"
                self.add(
                    Condition(
                        all=[
                            Filter(field="owner", op="ne", value=me),
                            Filter(field="csm", op="ne", value=me),
                        ]
                    )
                )
                r.take(negm.start(), m.end())
                self._consume(r"(?:以外|之外)的?")
                continue
            self.spec_kw["mine"] = True
            self.found_something = True
            r.take(*m.span())
        users = self.ctx.users
        who = r"(?P<who>[a-z0-9_.@\-]+(?: [a-z]+)?|[\u4e00-\u9fff]{2,4}?)"
        pats = [
            (r"\b(?:owned|managed|handled|run)\s+by\s+" + who, "owner"),
            (r"\b(?:belonging|assigned)\s+to\s+" + who, "owner"),
            (r"\b(?:owner|rep|sales rep|account manager|am)\s+(?:is\s+|=\s*)?" + who, "owner"),
            (r"\b(?:served|supported|covered)\s+by\s+" + who, "csm"),
            (r"\b(?:csm|customer success manager)\s+(?:is\s+|=\s*)?" + who, "csm"),
            (
                r"(?<![a-z0-9])" + who + r"'s\s+(?:accounts?|customers?|clients?|book|portfolio)",
                "auto",
            ),
            (
                r"(?:负责人|客户经理|销售|owner)\s*(?:是|为|=)?\s*" + who + r"(?=的|$|\s|且|和)",
                "owner",
            ),
            (
                r"(?:客户成功经理|客户成功|csm)\s*(?:是|为|=)?\s*" + who + r"(?=的|$|\s|且|和)",
                "csm",
            ),
            (who + r"\s*(?:名下|负责|跟进|管理|手上)的?", "auto"),
            (who + r"\s*(?:服务)的", "csm"),
        ]
        for pat, kind in pats:
            for m in r.finditer(pat):
                if self._in_book_value(m.start(), m.end()):
                    continue  # "竞争对手是销售易": 销售 inside a value the book holds
                name = m.group("who").strip()
                user = self.find_user(name)
                if user is None and (
                    users or kind == "auto" or _CJK.search(name) is None and name in lx.STOPWORDS_EN
                ):
                    continue
                handle = user.handle if user else name
                negm = self._person_neg(m)
                if kind == "auto":
                    kind = "csm" if user and user.role == "csm" else "owner"
                    if user and user.role == "manager" and negm is None:
                        kind = "team"  # a manager's accounts are their team's
                if negm is not None:
                    # "not owned by X" / "不是X负责的": every account but X's
                    self.add(
                        Filter(field="csm" if kind == "csm" else "owner", op="ne", value=handle)
                    )
                    r.take(negm.start(), m.end())
                    self._consume(r"(?:以外|之外)的?")
                    continue
                if kind == "team":
                    self.spec_kw["team"] = handle
                    self.found_something = True
                elif kind == "csm":
                    self.add(Filter(field="csm", op="eq", value=handle))
                else:
                    self.spec_kw["owner"] = handle
                    self.found_something = True
                r.take(*m.span())

    def _in_book_value(self, start: int, end: int) -> bool:
        """Whether t[start:end] overlaps a value a custom text field of the book holds."""
        for vals in self.ctx.custom_values.values():
            for v in vals:
                vl = str(v).lower().strip()
                if len(vl) < 2:
                    continue
                k = self.t.find(vl)
                while k >= 0:
                    if k < end and start < k + len(vl):
                        return True
                    k = self.t.find(vl, k + 1)
        return False

    _PERSON_NEG = (
        r"(?:\bnot\b|\bnever\b|\bexcept(?:\s+for)?\b|\bexcluding\b|\bother\s+than\b"
        r"|\bbesides\b|\bapart\s+from\b|不是|并非|非|除了|除去|除|排除|不归|不由)"
        r"\s*(?:been\s+|those\s+|ones\s+|accounts?\s+|customers?\s+)?$"
    )

    def _person_neg(self, m: re.Match) -> re.Match | None:
        """The negation word right before a person phrase ("not owned by", "不是…负责的"), if any."""
        before = self.rest.s[max(0, m.start() - 16) : m.start()]
        negm = re.search(self._PERSON_NEG, before)
        if negm is None:
            return None
        return _Span(m.start() - len(before) + negm.start())

    def find_user(self, name: str) -> UserRef | None:
        n = name.strip().lower()
        if not n:
            return None
        for u in self.ctx.users:
            cands = {u.handle.lower()}
            if u.name:
                cands |= {u.name.lower(), u.name.lower().split(" ")[0]}
            if u.email:
                cands |= {u.email.lower(), u.email.lower().split("@")[0]}
            if n in cands:
                return u
        folded = _fold_sep(n)
        if len(folded) >= 4:  # li wei = li.wei = li_wei = liwei
            for u in self.ctx.users:
                if folded in {_fold_sep(c) for c in values_topic.user_names(u)}:
                    return u
        return None

    # -- clauses and the windows of events
    def _clause(self, pos: int) -> tuple[int, int]:
        """The clause of the question around a position (split at and / but / 且 / 但 …, but
        not at the 'and' of 'between X and Y')."""
        lo, hi = 0, len(self.t)
        for m in _CLAUSE_SPLIT.finditer(self.t):
            if re.search(r"\bbetween\s+\S+(?:\s+\S+){0,3}\s*$", self.t[: m.start()]):
                continue
            if self._event_list(m.start(), m.end()):
                continue  # "meetings and emails this quarter": one list of events, one window
            if m.end() <= pos:
                lo = m.end()
            elif m.start() >= pos:
                hi = m.start()
                break
        return lo, hi

    def _event_list(self, start: int, end: int) -> bool:
        """Whether the conjunction at [start, end) joins two event types ("meetings and emails",
        "会议和邮件"): a list, so a window said of it binds to every type of the list."""
        spans = events.find_event_types(self.t, self.ctx.event_types)
        before = len(self.t[:start].rstrip())
        after = end + len(self.t[end:]) - len(self.t[end:].lstrip())
        return any(e == before for _s, e, _w, _t in spans) and any(
            s_ == after for s_, _e, _w, _t in spans
        )

    def _claimed(self, m: re.Match, cue_start: int) -> bool:
        """A duration in another clause that names an event of its own belongs to that clause."""
        lo, hi = self._clause(m.start())
        if (lo, hi) == self._clause(cue_start):
            return False
        rest = self.t[lo : m.start()] + " " + self.t[m.end() : hi]
        return bool(_EVENT_WORD.search(rest) or self._type_word_in(rest))

    def event_windows(self) -> None:
        """Calendar and absolute windows said about events ("上个月有购买", "purchases this
        quarter", "logins since October 1", "between Dec 1 and Jan 31"), kept with their clause
        for the event measure of that clause (dates of contracts and foundings are left alone)."""
        self.windows: list[tuple[int, int, dict[str, Any]]] = []
        r = self.rest
        found = dates.find_windows(r.s, rolling=False)
        for start, end, kw in sorted(found, key=lambda x: (x[0], -(x[1] - x[0]))):
            if any(start < e and s_ < end for s_, e, _ in self.windows):
                continue
            lo, hi = self._clause(start)
            clause = self.t[lo:start] + " " + self.t[end:hi]
            if not (_EVENT_WORD.search(clause) or self._type_word_in(clause)) or (
                _DATE_FIELD_WORD.search(clause)
            ):
                continue
            if re.search(
                r"(?:比|较|相比|对比|环比|同比|\bthan|\bvs\.?|\bversus|\bcompared\s+(?:to|with))\s*$",
                self.t[max(0, start - 14) : start],
            ) or re.match(r"\s*(?:相比|比|下降|增长|减少|上升|翻倍|的一半)", self.t[end : end + 6]):
                continue  # a trend's baseline ("比上月下降一半"), not a window
            self.windows.append((start, end, kw))
            r.take(start, end)

    def _window_at(self, start: int, end: int) -> dict[str, Any] | None:
        """The calendar or absolute window of the clause around [start, end), if one was said."""
        clause = self._clause(start)
        for s_, _e, kw in self.windows:
            if self._clause(s_) == clause:
                return kw
        return None

    def _window_kw(self, mn: Mention) -> dict[str, Any]:
        """A measure filter's window: the nearest 'last N days' of its clause, else a calendar
        or absolute window of its clause, else the last 30 days."""
        days = self._rolling_window(mn)
        if days is not None:
            return {"window_days": days}
        kw = self._window_at(mn.start, mn.end)
        if kw is not None:
            return dict(kw)
        return {"window_days": self._window_for(mn)}

    # -- events of a type beyond the built-in four: "accounts we met with last month",
    # "had email contact since Aug 15", "还没开过会的客户", "拜访次数超过3次的客户"
    def _type_word_in(self, text: str) -> bool:
        """Whether a text names an event type the book stores (beyond the built-in four)."""
        return any(
            t is not None and t not in events.BUILTIN_TYPES
            for _s, _e, _w, t in events.find_event_types(text, self.ctx.event_types)
        )

    def _held_types(self) -> list[str]:
        return sorted({*events.BUILTIN_TYPES, *(t.lower() for t in self.ctx.event_types if t)})

    def _event_frame(self, start: int, end: int, word: str) -> bool:
        """Whether a type word is said as an event (had / no / with / a window / a count /
        a verb with its subject), not as a field or a value ("the EB's email", "培训行业")."""
        t = self.t
        before, after = t[max(0, start - 24) : start], t[end : end + 16]
        if re.search(
            r"(?:'s|的|关键人|决策人|联系人|contact|key\s+person)\s*$", before
        ) or re.match(
            r"\s*(?:address|addresses|domain|number|号码|地址|行业|机构|公司|是多少)", after
        ):
            return False
        if re.match(r"\s*(?:notes?|minutes|纪要)", after):
            return False
        if re.search(
            r"\b(?:accounts?|customers?|compan(?:y|ies)|clients?|firms?|one)\s+$", before
        ) and (word in ("called", "call")):
            return False  # "the account called Acme"
        verb = re.search(r"(?:ed|met|rang)$|^(?:开|打|发|做|见|拜访过|培训过|通过)", word)
        subject = re.search(
            r"\b(?:we|i|you|they|he|she|team|sales|rep|csm|has|have|had|been|not|never)"
            r"(?:\s+(?:not|never|already|ever|recently|last))?\s*$",
            before,
        )
        if verb and (subject or not word.isascii()):
            return True
        if re.search(
            r"(?:\b(?:had|has|have|having|with|without|no|any|zero|a|an|one|some|held|hold|booked"
            r"|scheduled|sent|received|made|did|logged|recent|last|fewer|more|most|least|fewest"
            r"|got|get|gets|attended|attend|attends|took|joined)"
            r"|\b(?:contacted|reached(?:\s+out)?|touched\s+base|followed\s+up)\s+(?:by|via|through"
            r"|over|with)|>=|<=|>|<|=|\d|有|有过|没有|没|未|无|从未|从没|还没|尚未|不曾|开|打|发|做|做过|进行|进行过"
            r"|安排|安排过|过)\s*$",
            before,
        ):
            return True
        if re.match(
            r"\s*(?:contacts?|exchanges?|correspondence|interactions?|activit(?:y|ies)|records?"
            r"|history|count|times|sessions?|记录|往来|沟通|次数|次|过|了|>=|<=|>|<|=|最多|最少)",
            after,
        ):
            return True
        if not word.isascii() and word not in events.LOOSE_WORDS:
            return True  # 会议 / 拜访 / 面谈 name the event itself
        lo, hi = self._clause(start)
        clause = t[lo:start] + " " + t[end:hi]
        said = bool(re.search(r"\d+天", clause)) or any(
            self._clause(s_) == (lo, hi) for s_, _e, _kw in getattr(self, "windows", ())
        )
        if said:
            return True
        return word not in events.LOOSE_WORDS and not self._field_word_at(start, end)

    def _field_word_at(self, start: int, end: int) -> bool:
        """Whether a field phrase of the catalogue covers the word (contact_email's "email")."""
        for rx in self.field_rx.values():
            for m in _compiled(rx).finditer(self.t):
                if m.start() <= start and m.end() >= end:
                    return True
        return False

    def event_types(self) -> None:
        """Events of a type the book stores beyond the built-in four: a count over any window
        ("accounts with a meeting in the last 14 days", "上个月开过会的客户", "拜访次数超过3次的
        客户", "no meetings this quarter"); no window said counts every such event up to as-of
        ("还没开过会的客户": none ever). A word for a type the book does not hold is kept, so
        the answer says it did not understand it (finish)."""
        r = self.rest
        self.unheld_types: list[tuple[int, int, str]] = []
        self.clause_days: dict[tuple[int, int], int] = {}
        for start, end, word, etype in events.find_event_types(r.s, self.ctx.event_types):
            if etype in events.BUILTIN_TYPES or not r.s[start:end].strip():
                continue
            if not self._event_frame(start, end, word):
                continue
            if etype is None:
                self.unheld_types.append((start, end, word))
                continue
            before = r.s[max(0, start - 24) : start]
            after = r.s[end : end + 24]
            cmp_after = re.match(
                r"\s*(?:的)?(?:次数|数量|count|number)?\s*(?:is\s+|为\s*)?(>=|<=|>|<|=)\s*(\d+)"
                r"\s*(?:次|个|场|封|通|回|times\b)?",
                after,
            )
            cmp_before = re.search(
                r"(>=|<=|>|<|=)\s*(\d+)\s*(?:次|个|场|封|通|回)?\s*(?:的)?\s*(?:[a-z\-]+\s+)?$"
                r"|(?<![\d.])(\d+)\s*(?:次|个|场|封|通|回)?\s*(以上|以下)\s*(?:的)?\s*(?:[a-z\-]+\s+)?$"
                r"|\b(zero|0)\s+$",
                before,
            )
            neg = re.search(
                r"(?:\bno|\bnot|\bnever|\bwithout|\bzero|没有|没|未|无|从未|从没|还没|尚未|不曾)"
                r"\s*(?:(?:any|ever|yet|been|had|have|has|held|a|an|single|one)\s+){0,2}"
                r"(?:(?:contacted|reached(?:\s+out)?|followed\s+up)\s+(?:by|via|through|over"
                r"|with)\s+)?(?:过|任何|再|有|开|打|发|做|做过|进行过?)?\s*$",
                before,
            )
            sup = re.search(r"\b(?:the\s+)?(most|fewest|least)\s+$", before) or re.match(
                r"\s*(?:次数)?(?:的)?\s*(最多|最少)", after
            )
            mn = Mention(start, end, "events")
            if sup is not None:  # "the most meetings", "拜访最多的客户": a ranking
                desc = sup.group(1) in ("most", "最多")
                kw = self._type_window(mn)  # "the most meetings last month": over that month
                self.sort.append(Sort(field="events", desc=desc, event_type=etype, **kw))
                self.found_something = True
                self._limit_near(start, end, True)
                off = end if sup.re is not None and sup.string == after else start - len(before)
                r.take(off + sup.start(), off + sup.end())
                r.take(start, end)
                if "events" not in self.show:
                    self.show.append("events")
                continue
            if cmp_after is not None:
                op, value = OPS[cmp_after.group(1)], int(cmp_after.group(2))
                r.take(end, end + cmp_after.end())
            elif cmp_before is not None and cmp_before.group(1):
                op, value = OPS[cmp_before.group(1)], int(cmp_before.group(2))
                r.take(start - len(before) + cmp_before.start(), start)
            elif cmp_before is not None and cmp_before.group(3):
                op = "ge" if cmp_before.group(4) == "以上" else "le"
                value = int(cmp_before.group(3))
                r.take(start - len(before) + cmp_before.start(), start)
            elif cmp_before is not None or neg is not None:
                op, value = "eq", 0
                m_ = cmp_before or neg
                assert m_ is not None
                r.take(start - len(before) + m_.start(), start)
            else:
                op, value = "ge", 1
            kw = self._type_window(mn)
            self.add(Filter(field="events", op=op, value=value, event_type=etype, **kw))
            if "events" not in self.show:
                self.show.append("events")
            r.take(start, end)
            self._consume_near(
                start,
                end,
                r"\s*(?:contacts?|exchanges?|correspondence|interactions?|activit(?:y|ies)"
                r"|records?|history|with|sent|received|held|booked|scheduled)\b"
                r"|\s*(?:记录|往来|沟通|过|了)+",
                r"(?:\b(?:had|has|have|having|with|held|booked|scheduled|sent|received|made|did|got"
                r"|get|attended|took|joined|contacted\s+(?:by|via|through|over)"
                r"|reached(?:\s+out)?\s+(?:by|via|through|over))(?:\s+(?:a|an|any|some))?"
                r"|\b(?:any|a|an|some)|有过|有|开过|开|打过|打|发过|发|做过|做|进行过|进行)\s*$",
            )

    def _type_window(self, mn: Mention) -> dict[str, Any]:
        """A typed event count's window: its clause's 'last N days', else its calendar or
        absolute window, else every event up to as-of."""
        clause = self._clause(mn.start)
        days = self._rolling_window(mn)
        if days is not None:  # kept for the other types of its clause ("meetings and emails …")
            self.clause_days[clause] = days
            return {"window_days": days}
        if clause in self.clause_days:
            return {"window_days": self.clause_days[clause]}
        kw = self._window_at(mn.start, mn.end)
        return dict(kw) if kw is not None else {}

    def _consume_near(self, start: int, end: int, after_rx: str, before_rx: str) -> None:
        """Take the filler words right around a span ("email *contact*", "*有*会议*记录*")."""
        r = self.rest
        m = re.match(after_rx, r.s[end : end + 20])
        if m and m.group().strip():
            r.take(end, end + m.end())
        lo = max(0, start - 16)
        m = re.search(before_rx, r.s[lo:start])
        if m:
            r.take(lo + m.start(), lo + m.end())

    def comment_search(self) -> None:
        """Words in NPS comments: "accounts whose NPS comments mention price", "feedback about
        onboarding", "NPS评论里提到价格的客户", "反馈中提到竞品的客户"."""
        r = self.rest
        pats = (
            r"\b(?:nps\s+)?(?:comments?|feedback|reviews?|survey\s+answers?)\s+(?:that\s+|which\s+)?"
            r"(?:mentions?|mentioning|mentioned|about|says?|saying|said|contains?|containing"
            r"|includes?|including|talks?\s+about|talking\s+about|complains?\s+about"
            r"|complaining\s+about|refers?\s+to|referring\s+to)\s+"
            r"(?P<x>[a-z0-9][a-z0-9\-]*(?:\s+[a-z0-9][a-z0-9\-]*){0,2}?)"
            r"(?=\s+(?:and|or|with|sorted|in|by|who|that)\b|\s*$)",
            r"\bmention(?:s|ed|ing)?\s+(?P<x>[a-z0-9][a-z0-9\-]*(?:\s+[a-z0-9\-]+){0,2}?)\s+in\s+"
            r"(?:their\s+|the\s+|an?\s+)?(?:nps\s+)?(?:comments?|feedback|reviews?)\b",
            r"(?:nps)?\s*(?:评论|评价|反馈|留言|意见)(?:里|中|内|里面)?\s*(?:提到|提及|说到|谈到|包含|含有|涉及"
            r"|抱怨|说)(?:了|过)?\s*(?P<x>[^\s的]{1,12}?)(?:的)?(?=客户|公司|企业|账户|\s|$)",
        )
        for pat in pats:
            for m in r.finditer(pat):
                word = re.sub(r"^(?:an?|the|any|some)\s+", "", m.group("x").strip().strip("'\""))
                if not word:
                    continue
                self.add(Filter(field="nps_comment", op="contains", value=self._said_words(word)))
                r.take(*m.span())
                self._consume(r"\b(?:whose|where|with|that\s+have|having)\b(?=\s*$)")

    def note_search(self) -> None:
        """Words in the account's notes: quick notes, interview answers filed on the profile and
        key people's notes. "accounts whose notes mention price", "which customers mentioned
        budget in the interview", "访谈里提到预算的客户", "备注中提到竞品的客户"."""
        r = self.rest
        where = (
            r"(?:(?:quick\s+|interview\s+|meeting\s+|call\s+|visit\s+)?notes?"
            r"|interview\s+(?:answers?|responses?|records?)|interviews?)"
        )
        verb = (
            r"(?:mentions?|mentioning|mentioned|contains?|containing|says?|said|saying"
            r"|talks?\s+about|talked\s+about|talking\s+about|are\s+about|is\s+about|about"
            r"|includes?|including|refers?\s+to|referring\s+to)"
        )
        term = (
            r"['\"“]?(?P<x>[^\s'\"”?]+(?:\s+[^\s'\"”?]+){0,2}?)['\"”]?"
            r"(?=\s+(?:and|or|with|sorted|in|by|who|that)\b|\s*[?？]?\s*$)"
        )
        pats = (
            rf"\b(?:whose\s+|where\s+(?:the\s+|their\s+)?|with\s+|in\s+(?:their\s+|the\s+)?)?"
            rf"{where}\s+(?:that\s+|which\s+)?{verb}\s+{term}",
            rf"\bmention(?:s|ed|ing)?\s+(?P<x>[^\s'\"”?]+(?:\s+[^\s'\"”?]+){{0,2}}?)\s+(?:in|during)\s+"
            rf"(?:their\s+|the\s+|an?\s+|our\s+)?{where}\b",
            r"(?:备注|随手记|笔记|访谈记录|访谈回答|访谈答案|访谈|拜访记录|面谈记录|沟通记录|会议纪要)"
            r"(?:里|中|内|里面|上)?\s*(?:提到|提及|说到|谈到|包含|含有|涉及|写了|记了|有)(?:了|过)?\s*"
            r"[“\"']?(?P<x>[^\s的“”\"'？?]{1,12}?)[”\"']?(?:的)?(?=客户|公司|企业|账户|\s|[？?]|$)",
        )
        for pat in pats:
            for m in r.finditer(pat):
                word = m.group("x").strip().strip("'\"“”")
                if not word:
                    continue
                self.add(Filter(field="note_text", op="contains", value=word))
                r.take(*m.span())

    def _said_words(self, word: str) -> str | list[str]:
        """What to look for in a comment: the word, and when it names a text field of the book
        ("a competitor", "竞争对手") also the values that field holds (Salesforce, 销售易…), so
        "mentioned a competitor" finds comments naming one; the answer lists every word."""
        singular = re.sub(r"(?<=[a-z]{3})s$", "", word)
        for c in self.ctx.custom:
            if c.type not in ("text", "choice"):
                continue
            rx = self.field_rx.get(c.key)
            if rx and (re.fullmatch(rx, word) or re.fullmatch(rx, singular)):
                known = [*c.choices, *self.ctx.custom_values.get(c.key, [])]
                words = list(dict.fromkeys([singular, *(str(v) for v in known if v)]))
                return words if len(words) > 1 else word
        return word

    # -- durations near a cue
    def _duration_near(
        self, start: int, end: int, before: bool = True
    ) -> tuple[re.Match, str] | None:
        r = self.rest
        best = None
        pat = (
            r"(?P<pre>(?:(?:in|for|within|over|during|since|of|the|last|past|previous|recent|"
            r"prior|at least|about)\s+)*)(?P<op>>=|<=|>|<)?\s*"
            r"(?P<pre2>(?:(?:in|for|the|last|past|近|最近|过去|长达|已经|已|达|连续|有)\s*)*)"
            r"(?P<n>\d+)天(?P<post>\s*(?:以上|以下|以内|之内|多|内|以来|里|中|或更久|ago|前|了|之久)*)"
        )
        for m in r.finditer(pat):
            if not before and m.end() <= start:
                continue
            if self._claimed(m, start):
                continue  # another clause's window ("… in the last 30 days and no login …")
            gap = m.start() - end if m.start() >= end else start - m.end()
            if gap > 25:
                continue
            if best is None or abs(gap) < best[0]:
                best = (abs(gap), m)
        if best is None:
            return None
        m = best[1]
        op = m.group("op") or ""
        post = m.group("post") or ""
        if "以上" in post or "多" in post or "或更久" in post:
            op = op if op else ">="
        if "以下" in post or "以内" in post or "之内" in post:
            op = op if op else "<="
        return m, op

    # -- login trend: "logins dropped by half", "登录次数下降一半以上", "usage increased"
    def trends(self) -> None:
        """login_trend = (logins 30d − logins previous 30d) / logins previous 30d.

        "dropped by half" / "下降一半以上": ≤ −0.5; "fell by more than 40%": < −0.4; "dropped" with
        no amount: < 0; "increased by 50%": ≥ 0.5; "doubled" / "翻倍": ≥ 1; "increased": > 0.
        """
        r = self.rest
        subj = (
            r"(?:(?:the\s+)?(?:number\s+of\s+logins|login\s+count|login\s+activity|log-?ins?"
            r"|sign-?ins?|logins?|product\s+usage|usage|activity|engagement)"
            r"|登录次数|登陆次数|登录量|登录数|登录频率|登录|登陆|活跃度|活跃次数|活跃|使用频率"
            r"|使用次数|使用量|用量)"
        )
        down_en = (
            r"(?:dropped|drop|dropping|drops|fell|fall|falling|falls|fallen|declined|decline|"
            r"declining|declines|decreased|decrease|decreasing|decreases|(?:went|gone|going)\s+down"
            r"|down|shrank|shrunk|shrinking|shrinks|plummeted|plunged|slid|slipped|sank|halved"
            r"|(?:been\s+)?cut\s+in\s+half|waning|waned)"
        )
        up_en = (
            r"(?:rose|rise|rising|risen|rises|increased|increase|increasing|increases|grew|grow|"
            r"growing|grown|grows|(?:went|gone|going)\s+up|up|climbed|climbing|jumped|doubled|"
            r"spiked|improved|improving)"
        )
        one = r"(?=了|的|\s|$|\d|>|<|一|半|超|幅)"  # a one-character verb ends there
        down_zh = (
            rf"(?:大幅)?(?:下降|下滑|减少|降低|下跌|减半|腰斩|萎缩|走低|变少|(?:降|减|跌){one})"
        )
        up_zh = rf"(?:大幅)?(?:上升|上涨|增加|增长|提升|提高|翻倍|翻番|变多|走高|(?:升|涨){one})"
        amount = (
            r"(?:\s*(?:by|了|达|达到|幅度)?\s*(?P<op>>=|<=|>|<)?\s*(?:(?P<half>(?:a\s+)?half|一半|"
            r"半数)|(?P<pct>\d+(?:\.\d+)?)\s*(?:%|percent\b|pct\b)|(?P<cheng>[一二三四五六七八九\d])成)"
            r"(?P<post>\s*(?:以上|或更多|还多|多|or\s+more)?))?"
        )
        aux = (
            r"(?:\s+(?:in|over|during)\s+(?:the\s+)?(?:last|past|recent)\s+30天)?"
            r"(?:\s*(?:环比|同比|在?近30天|(?:较|比|相比)(?:上个?月|前30天)|与(?:上个?月|前30天)相比))?"
            r"(?:\s+(?:have|has|had|were|was|are|is|got|get)(?:\s+been)?)?"
        )
        forms = [
            rf"(?P<s>{subj}){aux}\s*(?P<v>{down_en}|{up_en}|{down_zh}|{up_zh}){amount}",
            rf"(?P<v>declining|falling|decreasing|dropping|shrinking|waning|sliding|growing|rising"
            rf"|increasing|climbing|improving)\s+(?P<s>{subj})",
            rf"(?:(?:a|an)\s+)?(?:(?P<pct2>\d+(?:\.\d+)?)\s*%\s*)?(?P<v>drop|decline|decrease|fall"
            rf"|increase|rise|growth|jump)\s+(?:in|of)\s+(?P<s>{subj})",
            rf"(?P<s>{subj})\s+(?P<v>drop|decline|decrease|fall|growth|increase)\b",
        ]
        for pat in forms:
            m = r.search(pat)
            if m is None:
                continue
            verb = m.group("v")
            up = bool(
                re.fullmatch(
                    rf"{up_en}|{up_zh}|growing|rising|increasing|climbing|improving"
                    r"|increase|rise|growth|jump",
                    verb,
                )
            )
            g = m.groupdict()
            frac: float | None = None
            if g.get("half"):
                frac = 0.5
            elif g.get("pct") or g.get("pct2"):
                frac = float(g.get("pct") or g.get("pct2")) / 100
            elif g.get("cheng"):
                c = g["cheng"]
                frac = (int(c) if c.isdigit() else zh_int(c) or 0) / 10
            elif re.search(r"halved|cut\s+in\s+half|减半|腰斩", verb):
                frac = 0.5
            elif re.search(r"doubled|翻倍|翻番", verb):
                frac = 1.0
            op = g.get("op") or ""
            post = (g.get("post") or "").strip()
            if frac is None:
                flts = [Filter(field="login_trend", op="gt" if up else "lt", value=0)]
            elif op == "<":
                # "fell by less than 30%": a fall, but a small one
                lo, hi = (0, frac) if up else (-frac, 0)
                flts = [
                    Filter(field="login_trend", op="gt", value=lo),
                    Filter(field="login_trend", op="lt", value=hi),
                ]
            else:
                strict = op == ">" and not post
                if up:
                    flts = [Filter(field="login_trend", op="gt" if strict else "ge", value=frac)]
                else:
                    flts = [Filter(field="login_trend", op="lt" if strict else "le", value=-frac)]
            for f in flts:
                self.add(f)
            r.take(*m.span())
            self.default_sort = Sort(field="login_trend", desc=up)
            # the trend compares the last 30 days with the 30 before: the window is implied
            self._consume(
                r"\b(?:compared\s+(?:to|with)|vs\.?|versus|against|from)\s+(?:the\s+)?"
                r"(?:previous|prior|last|preceding)\s+(?:30天|month|period)\b"
                r"|\bmonth[- ]over[- ]month\b|\bmom\b|环比|(?:较|比|相比)(?:上个?月|前30天)"
                r"|(?:与|和|跟)(?:上个?月|前30天)相比"
                r"|(?:(?:in|over|during)\s+)?(?:the\s+)?(?:last|past|recent)\s+30天|(?:近|最近)30天"
            )
            if "login_trend" not in self.show:
                self.show.append("login_trend")
            return

    def _amount_sized(self, mn: Mention, m: re.Match) -> bool:
        """'purchases/bought/购买 + a number' is money, not a count, unless said to be a count.

        A count says so: a count unit (times, 次, 笔) or a count word (number of purchases, 购买
        次数). Otherwise the number is money when the question marks money (¥, $, 元, k, 万) or,
        with no unit word at all, when it is larger than 100 (nobody buys 5000 times a month).
        """
        word = self.t[mn.start : mn.end]
        if re.search(r"count|number|次数|订单数|笔数", word):
            return False
        if (m.group("unit") or "").strip():
            return False
        if re.match(r"\s*(?:次|笔|单|times?\b|orders?\b|purchases?\b)", self.t[m.end() :]):
            return False
        try:
            num = float(m.group("num"))
        except (TypeError, ValueError):
            return False
        return num in self._money_numbers() or num > 100

    def _money_numbers(self) -> set[float]:
        """The numbers the question marks as money (¥5,000, $2k, 1.2万, 300元)."""
        out: set[float] = set()
        raw = unicodedata.normalize("NFKC", self.raw).lower()
        for x in re.finditer(
            r"[¥￥$€£]\s*\d[\d,.]*(?:\s*(?:k|m|万|千|thousand|million)\b)?"
            r"|\d[\d,.]*\s*(?:k\b|m\b|万|千|元|块|rmb\b|cny\b|usd\b|dollars?\b|yuan\b|bucks\b)",
            raw,
        ):
            n = re.search(r"\d+(?:\.\d+)?", normalise(x.group()))
            if n:
                out.add(float(n.group()))
        return out

    def _consume(self, pat: str) -> None:
        for m in self.rest.finditer(pat):
            self.rest.take(*m.span())

    # -- "highest churn risk", "least healthy", "unhappiest": rankings by a word, not a field
    def risk_superlative(self) -> None:
        r = self.rest
        rankings = [
            (  # most at risk = least healthy first
                r"(?:流失)?风险最(?:高|大)|最(?:高|大)的?(?:流失)?风险|最(?:可能|容易)流失|最危险"
                r"|\b(?:highest|most|greatest|biggest)\s+(?:churn\s+)?risk\b|\briskiest\b"
                r"|\bmost\s+likely\s+to\s+churn\b|\bmost\s+at[\s-]risk\b"
                r"|\bat\s+(?:the\s+)?(?:highest|greatest|most)\s+risk\b|\bmost\s+endangered\b",
                "health_score",
                False,
            ),
            (
                r"\b(?:least|less)\s+healthy\b|\bunhealthiest\b|\bsickest\b"
                r"|\b(?:lowest|worst|poorest|weakest)\s+(?:account\s+)?health(?:\s+scores?)?\b"
                r"|\bin\s+the\s+worst\s+(?:shape|health)\b|\bmost\s+unhealthy\b"
                r"|健康(?:度|分|分数|评分|值)?最(?:低|差)|最不健康|最(?:低|差)的?健康(?:度|分|评分)?",
                "health_score",
                False,
            ),
            (
                r"\bhealthiest\b|\bmost\s+healthy\b|\bin\s+the\s+best\s+(?:shape|health)\b"
                r"|\b(?:highest|best|strongest)\s+(?:account\s+)?health(?:\s+scores?)?\b"
                r"|健康(?:度|分|分数|评分|值)?最(?:高|好)|最健康|最(?:高|好)的?健康(?:度|分|评分)?",
                "health_score",
                True,
            ),
            (
                r"\b(?:least|less)\s+(?:satisfied|happy)\b|\bunhappiest\b|\bmost\s+(?:unhappy|"
                r"dissatisfied|unsatisfied)\b|最不满意|满意度最(?:低|差)|最(?:低|差)的?满意度",
                "nps_latest",
                False,
            ),
            (
                r"\bmost\s+(?:satisfied|happy|loyal)\b|\bhappiest\b|最满意|满意度最(?:高|好)"
                r"|最(?:高|好)的?满意度",
                "nps_latest",
                True,
            ),
            (  # least active = longest without a login first (never logged in: first of all)
                r"\b(?:least|less)\s+(?:engaged|active)\b|\bmost\s+(?:disengaged|inactive|idle|"
                r"dormant)\b|最不(?:积极|投入|活跃)|活跃度最(?:低|差)|最(?:低|差)的?活跃度"
                r"|最久没(?:有)?(?:登录|登陆)|最长时间没(?:有)?(?:登录|登陆)",
                "days_since_login",
                True,
            ),
            (
                r"\bmost\s+(?:engaged|active)\b|最(?:积极|投入|活跃)|活跃度最(?:高|好)"
                r"|最(?:高|好)的?活跃度",
                "logins",
                True,
            ),
        ]
        for pat, key, desc in rankings:
            m = r.search(pat)
            if m:
                r.take(*m.span())
                window: dict[str, Any] = {}
                if self.field_type(key) == "measure":
                    window = self._window_kw(Mention(m.start(), m.end(), key))
                self.sort.append(Sort(field=key, desc=desc, **window))
                self.found_something = True
                self._limit_near(m.start(), m.end(), default=True)
                self._consume(r"\b(?:score|scores)\b(?=\s*$)")
                return

    # -- field mentions
    def find_mentions(self) -> list[Mention]:
        spans: list[Mention] = []
        for key, rx in self.field_rx.items():
            for m in self.rest.finditer(rx):
                spans.append(Mention(m.start(), m.end(), key))
        spans.sort(key=lambda x: (-(x.end - x.start), x.start))
        out: list[Mention] = []
        taken: list[tuple[int, int]] = []
        for sp in spans:
            if any(sp.start < e and s < sp.end for s, e in taken):
                continue
            taken.append((sp.start, sp.end))
            out.append(sp)
        out.sort(key=lambda x: x.start)
        return out

    def _mention_at(self, start: int, end: int) -> Mention | None:
        for mn in self.mentions:
            if mn.start >= start and mn.end <= end:
                return mn
        return None

    # -- group by
    def grouping(self) -> None:
        r = self.rest
        # a score grouped is grouped by its band ("按健康度分布": green / yellow / red)
        banded = {"health_score": "health_band", "nps_latest": "nps_class"}
        for mn in self.mentions:
            key = banded.get(mn.key, mn.key) if mn.key not in lx.GROUPABLE else mn.key
            if key not in lx.GROUPABLE and not self._custom_groupable(key):
                continue
            before = r.s[max(0, mn.start - 22) : mn.start]
            after = r.s[mn.end : mn.end + 32]
            b = re.search(
                r"(?:\bper|\bby|\bfor\s+each|\beach|\bevery|\bacross(?:\s+all)?|\bgrouped\s+by|"
                r"\bbroken\s+down\s+by|\bbreak\s*down\s+by|\bbreakdown\s+by|\bsplit\s+by|"
                r"\bin\s+each|\bacross\s+different|按照?|各个?|每一?个?|分|根据|不同)\s*"
                r"(?:the\s+|their\s+|account\s+|customer\s+)?$",
                before,
            )
            a = re.match(
                r"\s*(?:breakdown|distribution|split|mix|counts?\b|totals?\b|分布|构成|占比|维度|分组)",
                after,
            )
            if (
                key != mn.key
                and not a
                and not re.search(
                    r"按照?\s*$|(?:broken\s+down|grouped|breakdown|break\s*down|split)\s+by\s*$"
                    r"|\b(?:per|each)\s*$|各个?\s*$",
                    before,
                )
            ):
                continue  # a score by its band only when grouping is said outright
            if not (b or a):
                # "which industry has the most accounts", "哪个城市的客户最多": the top group
                most = re.match(
                    r"\s*(?:has|have|had)\s+(?:the\s+)?(?:most|fewest|least)\s+"
                    r"(?:accounts|customers|clients)\b|\s*的?\s*(?:客户|账户)(?:数量?)?最(?:多|少)",
                    after,
                )
                which = re.search(r"(?:\bwhich|\bwhat|哪个|哪一个|哪些)\s*$", before)
                if most and which:
                    self.group_by = key
                    self.limit = 1
                    fewest = re.search(r"fewest|least|最少", most.group())
                    self.sort.append(Sort(field="count", desc=not fewest))
                    mn.used = True
                    self.found_something = True
                    r.take(mn.start - len(before) + which.start(), mn.end + most.end())
                    return
            if not (b or a):
                continue
            if (
                b
                and re.search(r"by\s*$", b.group())
                and re.search(r"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?)\s+by\s*$", before)
            ):
                continue
            if b and re.search(
                r"\b(?:oldest|newest|earliest|latest)(?:\s+\d+)?\s+(?:[a-z]+\s+){0,2}by\s*"
                r"(?:the\s+|their\s+)?$",
                r.s[max(0, mn.start - 48) : mn.start],
            ):
                continue  # "5 oldest companies by founding year": a sort on it, not a breakdown
            self.group_by = key
            mn.used = True
            self.found_something = True
            if b:
                r.take(mn.start - len(before) + b.start(), mn.end)
            if a:
                r.take(mn.start, mn.end + a.end())
            r.take(mn.start, mn.end)
            return

    def _custom_groupable(self, key: str) -> bool:
        return any(c.key == key and c.type in ("choice", "text", "region") for c in self.ctx.custom)

    # -- sum / average
    def aggregates(self) -> None:
        r = self.rest
        for mn in self.mentions:
            if mn.used or not self.numeric(mn.key):
                continue
            before = r.s[max(0, mn.start - 16) : mn.start]
            after = r.s[mn.end : mn.end + 8]
            func = None
            b = re.search(
                r"(?:\b(?:total|sum\s+of(?:\s+the)?|sum|combined|overall|aggregate)|总的?|合计|累计|总计)\s*(?:the\s+)?$",
                before,
            )
            if b:
                func, span = "sum", (mn.start - len(before) + b.start(), mn.start)
            money = self.field_type(mn.key) == "money"
            # "how much ARR renews in Q4", "Q4到期的年合同额有多少": money asked "how much" is a sum
            hm = re.search(r"\bhow\s+much\s+(?:in\s+|of\s+)?(?:the\s+)?$", before)
            if money and hm and not func:
                func, span = "sum", (mn.start - len(before) + hm.start(), mn.start)
            # "一共多少年合同额", "总共有多少ARR": the amount asked for is a sum, not a count
            hb = re.search(r"(?:一共|总共|合计|共计|加起来|总)?\s*(?:有|是|为)?\s*多少\s*$", before)
            if money and hb and not func:
                func, span = "sum", (mn.start - len(before) + hb.start(), mn.start)
            hz = re.match(
                r"\s*(?:的)?\s*(?:一共|总共|共|合起来)?\s*(?:有|是|为)?\s*多少(?:钱)?",
                r.s[mn.end :],
            )
            if money and hz and not func:
                func, span = "sum", (mn.end, mn.end + hz.end())
            b2 = re.search(
                r"(?:\b(?:average|avg|mean|typical)(?:\s+of)?(?:\s+the)?|平均的?"
                r"|平均(?:每家|每个客户)?\s*(?:有|是|为)?\s*多少)\s*$",
                before,
            )
            if b2:
                func, span = "avg", (mn.start - len(before) + b2.start(), mn.start)
            a = re.match(r"\s*(?:的)?(?:总额|总计|合计|总和|之和|总量|总值|加起来|一共)", after)
            if a:
                func, span = "sum", (mn.end, mn.end + a.end())
            a2 = re.match(r"\s*(?:的)?(?:平均值|平均数|均值|平均)", after)
            if a2:
                func, span = "avg", (mn.end, mn.end + a2.end())
            b3 = re.search(r"(?:\b(?:max(?:imum)?|min(?:imum)?)(?:\s+of)?(?:\s+the)?)\s*$", before)
            if b3 and not func:
                func = "max" if b3.group().strip().startswith("max") else "min"
                span = (mn.start - len(before) + b3.start(), mn.start)
            if func:
                self.aggregate = Aggregate(func=func, field=mn.key)
                mn.used = True
                self.found_something = True
                r.take(*span)
                r.take(mn.start, mn.end)
                return
        # "到期的合同总共值多少钱", "how much money is that worth": the contracts' value, ARR
        worth = r.search(
            r"(?:总共|一共|合计|加起来)?\s*(?:值|是|有)?\s*多少钱|\bhow\s+much\s+(?:money|are\s+"
            r"(?:they|those|these)\s+worth|is\s+(?:that|it)\s+worth)\b"
        )
        if worth and not any(mn.used and self.numeric(mn.key) for mn in self.mentions):
            self.aggregate = Aggregate(func="sum", field="arr")
            self.found_something = True
            r.take(*worth.span())

    # -- top-N and superlatives
    def _limit_near(self, start: int, end: int, default: bool) -> None:
        r = self.rest
        pats = [
            r"\b(?:top|first|bottom|best|worst)\s*(\d+)\b",
            r"(?:前|后|倒数|排名前|top)\s*(\d+)\s*(?:名|个|家|位|条)?",
            r"(?<![\d.])(\d+)\s*(?:名|个|家|位|条)",
            r"(?<![\d.])(\d+)\s+(?:\w+\s+)?(?:"
            + lx.ACCOUNT_NOUNS_EN
            + r"|contracts?\b|renewals?\b)",
            r"(?<![\d.-])(\d+)\s+(?=largest|biggest|highest|smallest|lowest|most|least|top|oldest"
            r"|newest|earliest|latest|longest|shortest)",
        ]
        for pat in pats:
            m = r.search(pat)
            if m and 0 < int(m.group(1)) <= 1000:
                self.limit = int(m.group(1))
                r.take(*m.span(1))
                self._consume(r"\b(?:top|bottom|first)\b|排名前|前(?=\s)|(?<!\S)名(?=\s|$)")
                # "前5大客户": the N biggest
                self._consume(r"(?<=\s)(?:个|家)?大(?=\s*(?:客户|公司|企业|账户|$))")
                return
        if default and self.limit is None:
            self.limit = 1 if self.singular else 10

    def superlatives(self) -> None:
        r = self.rest
        desc_en = r"\b(?:top|largest|biggest|highest|most|greatest|best|heaviest|leading)\b"
        asc_en = r"\b(?:bottom|smallest|lowest|least|fewest|worst)\b"
        desc_zh = r"最(?:高|大|多|好|长|久|重要|活跃)|排名前|前(?=\s*\d)|top(?=\s*\d)|(?:由|从)高到低|降序"
        asc_zh = r"最(?:低|小|少|差|短|不活跃)|倒数|后(?=\s*\d)|(?:由|从)低到高|升序"
        special = [
            (
                r"\bmost\s+(?:recently\s+)?inactive\b|最不活跃|最久没(?:有)?登录|最长时间没登录",
                "days_since_login",
                True,
            ),
            (r"\bleast\s+active\b", "days_since_login", True),
            (r"\bmost\s+active\b|最活跃", "logins", True),
            (
                r"\b(?:logged|log|logging|signed|sign)\s*(?:in|on)\s+(?:the\s+)?most(?:\s+often)?\b"
                r"|\bmost\s+(?:often\s+)?(?:logged|signed)\s+in\b|\bmost\s+frequent(?:ly)?\b"
                r"|(?:登录|登陆)(?:得)?最(?:多|频繁|勤)",
                "logins",
                True,
            ),
            (
                r"\b(?:logged|log|logging|signed|sign)\s*(?:in|on)\s+(?:the\s+)?(?:least|fewest)\b"
                r"|(?:登录|登陆)(?:得)?最少",
                "logins",
                False,
            ),
            (
                r"\b(?:spent|spend|spends|bought|buy|buys|purchased|paid)\s+(?:the\s+)?most\b"
                r"|\bbiggest\s+(?:spenders?|buyers?)\b|\btop\s+(?:spenders?|buyers?)\b"
                r"|(?:消费|购买|采购|花)(?:得|了)?最多",
                "purchase_amount",
                True,
            ),
            (
                r"\b(?:opened|filed|raised|submitted|logged|created)\s+(?:the\s+)?most\s+"
                r"(?:support\s+)?(?:tickets|cases)\b|(?:提交|提|开)(?:了)?(?:的)?工单最多",
                "tickets",
                True,
            ),
            (r"\bmost\s+recent(?:ly)?\s+(?:active|login|logged\s+in)\b", "last_login_at", True),
            (r"\bhealthiest\b", "health_score", True),
            (r"\b(?:newest|latest|most\s+recent)\b|最新", "contract_start", True),
            (r"\boldest\b", "contract_start", False),
            (r"\b(?:renewing|expiring)\s+soonest\b|最早到期|最快到期", "contract_end", False),
        ]
        if self._earliest_latest():
            return
        for pat, key, desc in special:
            m = r.search(pat)
            if m:
                window: dict[str, Any] = {}
                if self.field_type(key) == "measure":
                    for mn in self.mentions:  # "logged in the most" names the measure itself
                        if mn.start < m.end() and m.start() < mn.end:
                            mn.used = True
                    window = self._window_kw(Mention(m.start(), m.end(), key))
                self.sort.append(Sort(field=key, desc=desc, **window))
                self._limit_near(m.start(), m.end(), default=True)
                r.take(*m.span())
                self.found_something = True
                return
        for rx, desc in ((desc_en, True), (asc_en, False), (desc_zh, True), (asc_zh, False)):
            m = r.search(rx)
            if not m:
                continue
            mn = self._superlative_field(m)
            key = mn.key if mn else "arr"
            if mn:
                mn.used = True
                r.take(mn.start, mn.end)
            word = m.group()
            if word in ("top", "排名前", "前", "bottom", "倒数", "后") and mn is None:
                by = r.search(r"\bby\s+(?:the\s+)?(\w+)")
                if by:
                    r.take(*by.span())
            self._limit_near(m.start(), m.end(), default=True)  # "前3", "top 5": the number
            r.take(*m.span())
            window: dict[str, Any] = {}
            if self.field_type(key) == "measure" and mn is not None:
                window = self._window_kw(mn)
            self.sort.append(Sort(field=key, desc=desc, **window))
            self.found_something = True
            self._consume(r"\bby\b(?=\s*$)|\bwith\s+the\b|\bin\s+terms\s+of\b")
            return

    def _earliest_latest(self) -> bool:
        """ "成立最早的5家公司", "最早成立的", "5 oldest companies by founding year", "founded
        most recently": earliest / latest of a date or year field beside the word is a sort on
        that field (ascending for earliest), with the number asked for as its limit."""
        r = self.rest
        # a duration superlative of a year or date is its age: "成立最久" / "longest
        # established" is the earliest year, "成立时间最短" the latest
        rows = (
            (r"\b(?:earliest|oldest|first|longest)\b|最早|最老|最久|最长(?!\s*时间\s*没)", False),
            (r"\b(?:latest|newest|most\s+recently|shortest)\b|最晚|最新|最短", True),
        )
        for rx, desc in rows:
            for m in r.finditer(rx):
                for mn in self.mentions:
                    timed = self.field_type(mn.key) in ("date", "datetime") or self._year_field(
                        mn.key
                    )
                    if mn.used or not timed:
                        continue
                    gap_before = r.s[mn.end : m.start()] if mn.end <= m.start() else None
                    gap_after = r.s[m.end() : mn.start] if mn.start >= m.end() else None
                    near = (
                        gap_before is not None and re.fullmatch(r"\s*(?:得|的)?\s*", gap_before)
                    ) or (
                        gap_after is not None
                        and re.fullmatch(
                            r"\s*(?:(?:[a-z]+\s+){0,2}by\s+(?:the\s+|their\s+)?)?", gap_after
                        )
                        and m.group() != "first"
                    )
                    if not near:
                        continue
                    mn.used = True
                    self.sort.append(Sort(field=mn.key, desc=desc))
                    self._limit_near(min(m.start(), mn.start), max(m.end(), mn.end), default=True)
                    r.take(*m.span())
                    r.take(mn.start, mn.end)
                    self.found_something = True
                    self._consume(r"\b(?:were|was)\b(?=\s+$)")
                    return True
        return False

    def _superlative_field(self, m: re.Match) -> Mention | None:
        cands = [mn for mn in self.mentions if not mn.used and self.numeric_or_date(mn.key)]
        if not cands:
            return None
        zh = bool(_CJK.search(m.group()))
        after = [mn for mn in cands if mn.start >= m.end() and mn.start - m.end() <= 40]
        before = [mn for mn in cands if mn.end <= m.start() and m.start() - mn.end <= 12]
        if zh:
            pick = before[-1] if before else (after[0] if after else None)
        else:
            by = [mn for mn in after if re.search(r"\bby\s*(?:the\s+)?$", self.rest.s[: mn.start])]
            pick = by[0] if by else (after[0] if after else (before[-1] if before else None))
        return pick

    def numeric_or_date(self, key: str) -> bool:
        return self.numeric(key) or self.field_type(key) in ("date", "datetime")

    def explicit_sort(self) -> None:
        r = self.rest
        for mn in self.mentions:
            if mn.used:
                continue
            before = r.s[max(0, mn.start - 26) : mn.start]
            after = r.s[mn.end : mn.end + 14]
            b = re.search(
                r"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?|arranged)\s+by\s+(?:the\s+)?$", before
            )
            zb = re.search(r"(?:按照?|根据)\s*$", before)
            za = re.match(
                r"\s*(?:的)?\s*(?:排序|排列|排名|降序|升序|从高到低|从低到高|从大到小|从小到大|由高到低|由低到高)",
                after,
            )
            if not (b or (zb and za)):
                continue
            tail = r.s[mn.end : mn.end + 30]
            desc = not re.search(
                r"\b(?:asc(?:ending)?|lowest\s+first|smallest\s+first)\b|升序|从低到高|从小到大|由低到高",
                tail,
            )
            self.sort.insert(0, Sort(field=mn.key, desc=desc))
            mn.used = True
            self.found_something = True
            if b:
                r.take(mn.start - len(before) + b.start(), mn.end)
            if zb:
                r.take(mn.start - len(before) + zb.start(), mn.end)
            if za:
                r.take(mn.end, mn.end + za.end())
            self._consume(r"\b(?:asc(?:ending)?|desc(?:ending)?|lowest\s+first|highest\s+first)\b")
            return

    # -- comparisons: FIELD OP NUMBER / OP NUMBER FIELD / between
    def comparisons(self) -> None:
        r = self.rest
        qpat = (
            r"(?P<between>\bbetween\s+|介于\s*|在\s*)?(?P<op>>=|<=|!=|>|<|=)?\s*(?P<num>-?"
            + NUM
            + r")"
            r"(?P<pct>\s*%)?(?P<dur>天)?"
            r"(?:\s*(?:and|to|-|~|–|到|至|和)\s*(?P<num2>"
            + NUM
            + r")(?P<pct2>\s*%)?天?\s*(?:之间|间)?)?"
            r"(?P<unit>\s*(?:人|名|个|家|次|笔|张|分|条|位|points?\b|pts?\b))?"
            r"(?P<post>\s*(?:以上|以下|以内|之内))?"
        )
        quals = []
        for m in r.finditer(qpat):
            if re.match(r"\d{4}-\d{2}", r.s[m.start("num") :]):
                continue
            has_range = m.group("num2") is not None and (
                m.group("between") or re.search(r"-|~|–|到|至|之间", m.group())
            )
            if not (m.group("op") or m.group("post") or has_range):
                # "NPS is 9", "0 logins", "tier = A"
                eq_before = re.search(
                    r"(?:\bis|\bof|=|为|是|等于)\s*$", r.s[max(0, m.start() - 6) : m.start()]
                ) or (
                    # "founded in 2015", "成立于2015年": a year said with in/于/在
                    re.fullmatch(r"(?:18|19|20)\d\d", m.group("num") or "")
                    and re.search(r"(?:\bin|于|在)\s*$", r.s[max(0, m.start() - 4) : m.start()])
                )
                zero = m.group("num") == "0"
                if not (eq_before or zero):
                    continue
            quals.append(m)
        for m in quals:
            mn = self._field_for_quantity(m)
            if mn is None:
                continue
            key = mn.key
            if key == "purchase_count" and self._amount_sized(mn, m):
                key = "purchase_amount"  # "bought more than 5000": money, not 5000 purchases
            if m.group("dur") and self._year_field(key) and not m.group("num2"):
                # "founded more than 10 years ago" / "成立超过10年": an age, i.e. a year before
                n = int(float(m.group("num")))
                op = m.group("op") or {"以上": ">=", "以下": "<=", "以内": "<=", "之内": "<="}.get(
                    (m.group("post") or "").strip(), ">="
                )
                mn.used = True
                self.add(Filter(field=key, op=FLIP[OPS[op]], value=_rel(-n)))
                r.take(*m.span())
                r.take(mn.start, mn.end)
                self._consume(r"\bago\b|\bold\b|之前|以前|了")
                if key not in self.show:
                    self.show.append(key)
                continue
            if m.group("dur") and not self._days_field(key):
                continue
            mn.used = True
            scale = 0.01 if (m.group("pct") and self.field_type(key) == "percent") else 1
            a = _num(m.group("num"))
            a = a * scale if scale != 1 else a
            num2 = m.group("num2")
            has_range = num2 is not None and (
                m.group("between") or re.search(r"-|~|–|到|至|之间", m.group())
            )
            if has_range:
                b = _num(num2) * scale if scale != 1 else _num(num2)
                flt_kw: dict[str, Any] = {"op": "between", "value": [a, b]}
            else:
                op = m.group("op") or ""
                post = (m.group("post") or "").strip()
                if not op:
                    op = {"以上": ">=", "以下": "<=", "以内": "<=", "之内": "<="}.get(post, "=")
                flt_kw = {"op": OPS[op], "value": a}
            flt = self._measure_filter(key, mn, flt_kw)
            self.add(flt)
            r.take(m.start(), m.end() if num2 is None or has_range else m.end("num"))
            r.take(mn.start, mn.end)
            if key not in self.show:
                self.show.append(key)
        # "no tickets", "没有购买", "zero purchases" -> measure = 0
        for mn in self.mentions:
            if mn.used or self.field_type(mn.key) != "measure":
                continue
            before = r.s[max(0, mn.start - 14) : mn.start]
            negm = re.search(
                r"(?:\bno\b|\bwithout\b|\bzero\b|\bnot\s+\w+\s+any\b|\bnot\s+any\b|没有|无|未|没)\s*(?:any\s+)?$",
                before,
            )
            if negm:
                mn.used = True
                self.add(self._measure_filter(mn.key, mn, {"op": "eq", "value": 0}))
                r.take(mn.start - len(before) + negm.start(), mn.end)

    def _year_field(self, key: str) -> bool:
        from store.fields import BUILTIN

        f = BUILTIN.get(key)
        return f is not None and f.unit == "year"

    def _days_field(self, key: str) -> bool:
        return key in ("days_since_login", "days_to_renewal", "rfm_recency_days")

    def _field_for_quantity(self, m: re.Match) -> Mention | None:
        """The field a number compares: the one right before it, else right after it, else near.

        A field a comparison already took is a candidate only when no other one is as close
        ("ARR over 50k and under 100k" gives ARR both; "founded before 1990 with more than 1000
        employees" gives 1000 to employees).
        """
        every = [mn for mn in self.mentions if self.numeric_or_date(mn.key) or self._custom(mn.key)]
        if not every:
            return None
        s = self.rest.s
        glue = r"\s*(?:is|are|was|of|at|with|having|has|:|的|为|是|在|达到|达)?\s*"
        fresh = [mn for mn in every if not mn.used]
        for cands in (fresh, every):
            before = [
                mn
                for mn in cands
                if mn.end <= m.start() and re.fullmatch(glue, s[mn.end : m.start()])
            ]
            if before:
                return before[-1]
            after = [
                mn
                for mn in cands
                if mn.start >= m.end() and re.fullmatch(r"\s{0,2}", s[m.end() : mn.start])
            ]
            if after:
                return after[0]
        for cands in (fresh, every):
            before = [mn for mn in cands if mn.end <= m.start() and m.start() - mn.end <= 30]
            if before:
                return before[-1]
            after = [mn for mn in cands if mn.start >= m.end() and mn.start - m.end() <= 20]
            if after:
                return after[0]
        return None

    def _custom(self, key: str) -> bool:
        return any(c.key == key for c in self.ctx.custom)

    def _rolling_window(self, mn: Mention) -> int | None:
        """The nearest "last N days" of the measure's clause (taken), or None."""
        best = None
        for m in self.rest.finditer(dates.ROLLING_RX):
            if self._claimed(m, mn.start):
                continue
            gap = min(abs(m.start() - mn.end), abs(mn.start - m.end()))
            if best is None or gap < best[0]:
                best = (gap, m)
        if best is None:
            return None
        self.rest.take(*best[1].span())
        return int(best[1].group("n"))

    def _window_for(self, mn: Mention) -> int:
        """A measure's window: the nearest 'last N days' / period, else 30 days."""
        r = self.rest
        days = self._rolling_window(mn)
        if days is not None:
            return days
        for period, pat in dates.PERIOD_WORDS.items():
            m = r.search(pat)
            if m:
                self.rest.take(*m.span())
                unit = period.rsplit("_", 1)[-1]  # a period's length in days: last_month -> 30
                return 1 if period == "today" else dates.DURATION_UNITS.get(unit, 30)
        return 30

    def _measure_filter(self, key: str, mn: Mention, kw: dict[str, Any]) -> Filter:
        if self.field_type(key) == "measure":
            return Filter(field=key, **self._window_kw(mn), **kw)
        if self.field_type(key) in ("date", "datetime"):
            v = kw["value"]
            if isinstance(v, int) and 1900 <= v <= 2100:
                if kw["op"] in ("eq",):
                    return Filter(field=key, op="between", value=[f"{v}-01-01", f"{v}-12-31"])
                if kw["op"] in ("gt", "le"):
                    return Filter(field=key, op=kw["op"], value=f"{v}-12-31")
                return Filter(field=key, op=kw["op"], value=f"{v}-01-01")
        return Filter(field=key, **kw)

    # -- how many
    def counting(self) -> None:
        m = self.rest.search(
            r"\bhow\s+many\b|\bnumber\s+of\b|\bcount(?:\s+of)?\b|\btotal\s+number\b|多少|几个|几家|几位|数量|总数|个数|家数|计数|有几"
        )
        if m:
            self.count = True
            self.found_something = True
            self.rest.take(*m.span())

    def leftover_mentions(self) -> None:
        for mn in self.mentions:
            if mn.used or mn.key in self.show:
                continue
            if not self.rest.s[mn.start : mn.end].strip():
                continue  # a field word inside a value already read ("销售" in 销售易)
            if self.numeric_or_date(mn.key):
                # a figure named without a condition is shown ("ARR of fintech accounts")
                self.show.append(mn.key)
                self.rest.take(mn.start, mn.end)
            elif mn.key in SHOWABLE or self._custom_groupable(mn.key):
                # a field named in a listing is shown ("list accounts and industries")
                self.show.append(mn.key)
                self.rest.take(mn.start, mn.end)

    # -- assemble
    def finish(self) -> Parsed:
        left = self.leftover_clean()
        for start, end, word in getattr(self, "unheld_types", ()):
            if self.rest.s[start:end].strip():  # no other reader took the word
                return Parsed(
                    None,
                    False,
                    left,
                    self.t,
                    f"I did not understand '{word}': this book records no such events "
                    f"(event types on file: {', '.join(self._held_types())})",
                    f"没有理解“{word}”：本客户库没有这类事件记录"
                    f"（已有的事件类型：{'、'.join(self._held_types())}）",
                )
        if not self.found_something:
            if self.account_noun and not left:
                pass  # "all accounts"
            elif not (self.show and not left):
                return Parsed(None, False, left, self.t, unknown_account=self.unknown_account)
        sort_given = bool(self.sort)
        sort = list(self.sort)
        if not sort and self.default_sort is not None:
            sort = [self.default_sort]
        if self.group_by:
            nums = [k for k in self.show if self.numeric(k) and self.field_type(k) != "measure"]
            if self.aggregate is None and nums:
                self.aggregate = Aggregate(func="sum", field=nums[0])
            sort = [Sort(field="count", desc=sort[0].desc)] if sort and self.limit else []
            if self.aggregate is None:
                pass
        elif self.count and self.aggregate is None:
            self.aggregate = Aggregate(func="count")
            sort, self.limit = [], None
        elif not sort and self.aggregate is None:
            dsl = any(
                isinstance(f, Filter) and f.field == "days_since_login" and f.op in ("gt", "ge")
                for f in self.filters
            )
            sort = [Sort(field="days_since_login" if dsl else "arr", desc=True)]
        show = [k for k in self.show if k not in ("count",)]
        where = Condition(all=self.filters)
        try:
            spec = Spec(
                where=where,
                sort=[s for s in sort if (s.field == "count") == bool(self.group_by)],
                limit=self.limit,
                group_by=self.group_by,
                aggregate=self.aggregate,
                show=show,
                **self.spec_kw,
            )
        except ValueError:
            return Parsed(None, False, left, self.t)
        if self.group_by and self.limit:
            spec = spec.model_copy(update={"limit": self.limit})
        return Parsed(spec, True, left, self.t, sort_given=sort_given)

    def leftover_clean(self) -> str:
        s = self.rest.leftover()
        for w in sorted(lx.STOPWORDS_ZH, key=len, reverse=True):
            s = s.replace(w, " ")
        words = [w for w in re.split(r"[\s'\-/.]+", s) if w and w not in lx.STOPWORDS_EN]
        words = [w for w in words if not re.fullmatch(lx.ACCOUNT_NOUNS_EN, w)]
        return " ".join(words)


def parse(text: str, language: str | None = None, context: ParseContext | None = None) -> Parsed:
    """Understand a question or a condition phrase; `matched` is False when it cannot."""
    return _Parser(text, language, context or EMPTY_CONTEXT).run()


def parse_condition(text: str, context: ParseContext | None = None) -> Condition | None:
    """Only the filter part of a phrase ("no login for 15 days"), for rules."""
    p = parse(text, None, context)
    return p.spec.where if p.matched and p.spec and not p.spec.where.is_empty() else None
