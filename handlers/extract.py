"""Read facts out of free text, deterministically, in English and Chinese.

`read_value` reads one answer for one typed question (integer, money, date, choice, city, person,
...) and raises `AnswerError` with a hint when it cannot. `extract` pulls every fact it recognises
from one free-text answer — "about 300 people in Hangzhou, logistics; the CFO Li Na signs off" gives
employees, city, industry and an economic buyer — so one answer can fill several profile fields.
No LLM is needed; when one is configured its output goes through `read_value` too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from store import vocab
from store.lang.dates import read_due_date
from store.lang.numbers import (  # noqa: F401 (Amount re-exported)
    NUM_RX,
    ZH_NUM_RX,
    Amount,
    find_amounts,
    first_number,
    read_number,
    zh_int,
)
from store.lang.people import ROLE_VERBS, TITLE_ROLES, attitude_in_text


class AnswerError(ValueError):
    """An answer that does not fit the question; `hint` says what would."""

    def __init__(self, hint_en: str, hint_zh: str) -> None:
        super().__init__(hint_en)
        self.hint_en = hint_en
        self.hint_zh = hint_zh

    def hint(self, language: str) -> str:
        return self.hint_zh if language == "zh" else self.hint_en


# --------------------------------------------------------------------------- numbers

# --------------------------------------------------------------------------- dates

# --------------------------------------------------------------------------- vocabulary


# words too common in free text to mean a city or an industry unless they are the whole answer
_AMBIGUOUS = {"it", "tech", "技术", "安全", "security", "health", "auto", "property", "games"}


def _find_vocab(field: str, text: str, strict: bool = True) -> tuple[str, int] | None:
    """The canonical value of the longest vocabulary word in the text, and where it starts.

    strict (free text): skip two-letter abbreviations (sh, it) and words in _AMBIGUOUS.
    """
    low = text.lower()
    best: tuple[int, int, str] | None = None  # (-len, pos, canon)
    for canon, variants in vocab.BY_FIELD[field].items():
        for word in (canon, *variants):
            w = word.lower()
            if strict and (w in _AMBIGUOUS or (w.isascii() and len(w) <= 2)):
                continue
            if len(w) <= 2 and w.isascii():
                pattern = rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])"
            elif w.isascii():
                pattern = rf"\b{re.escape(w)}\b"
            else:
                pattern = re.escape(w)
            m = re.search(pattern, low)
            if m and (best is None or (-len(w), m.start()) < best[:2]):
                best = (-len(w), m.start(), canon)
    return (best[2], best[1]) if best else None


def display_value(field: str, canon: str, language: str) -> str:
    """How a vocabulary value is stored: Chinese for a Chinese interview, else English."""
    if language == "zh":
        zh = next((v for v in vocab.BY_FIELD[field].get(canon, ()) if not v.isascii()), None)
        if zh:
            return zh
    if field == "industry" and canon in ("saas", "hr"):
        return {"saas": "SaaS", "hr": "HR"}[canon]
    return canon.title() if field != "industry" or canon != "ecommerce" else "E-commerce"


def find_city(text: str, language: str = "en", strict: bool = True) -> str | None:
    hit = _find_vocab("city", text, strict)
    return display_value("city", hit[0], language) if hit else None


def find_industry(text: str, language: str = "en", strict: bool = True) -> str | None:
    hit = _find_vocab("industry", text, strict)
    return display_value("industry", hit[0], language) if hit else None


# --------------------------------------------------------------------------- people


_COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容")
_SINGLE = set(
    "李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
    "魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹"
    "黎易常武乔贺赖龚文庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍韦申尤毕聂焦向柳邢骆岳齐梅莫庄"
)
# characters that end a Chinese name: verbs and particles right after it
_NAME_STOP = set(
    "是拍负评决说很比对支反用觉也和在的为主管等会要都还已就了做同每天一日目现认希想带参表不没有跟与"
    "提问让把被给最非，,。；;（(、 "
)
_EN_NAME = r"(?:[A-Z][a-z'’-]+|[A-Z]{2,}(?=\s+[A-Z][a-z]))(?:\s+[A-Z][a-z'’-]+){0,2}"
_EN_NOT_NAME = {"The", "Our", "Their", "They", "He", "She", "And", "But", "Who", "Is", "Signs"}


@dataclass
class Person:
    """A key person found in text."""

    name: str | None
    title: str | None = None
    role: str | None = None  # EB | TB | UB
    attitude: str | None = None

    def as_value(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


def _zh_name_after(text: str, pos: int) -> str | None:
    s = text[pos:].lstrip(" ：:是叫")
    for comp in _COMPOUND:
        if s.startswith(comp):
            rest = s[2:4]
            name = comp + "".join(_take_name_chars(rest, 2))
            return name if len(name) >= 3 else None
    if not s or s[0] not in _SINGLE:
        return None
    given = _take_name_chars(s[1:3], 2)
    return s[0] + "".join(given) if given else None


def _take_name_chars(s: str, limit: int) -> list[str]:
    out: list[str] = []
    for ch in s[:limit]:
        if not ("\u4e00" <= ch <= "\u9fff") or ch in _NAME_STOP:
            break
        out.append(ch)
    return out


def _zh_name_before(text: str, pos: int) -> str | None:
    s = text[:pos].rstrip(" ：:，,是（(")
    s = re.sub(r"(?:是|为|担任|作为)$", "", s)
    for size in (3, 2):
        cand = s[-size:]
        if len(cand) != size or not all("\u4e00" <= c <= "\u9fff" for c in cand):
            continue
        if cand[:2] in _COMPOUND or cand[0] in _SINGLE:
            if size == 3 and cand[1] in _SINGLE and cand[0] not in _SINGLE:
                continue
            if size == 3 and cand[0] in "的和与跟是":
                continue
            return cand
    return None


def _title_pattern() -> list[tuple[str, str]]:
    pairs = [(t, role) for role, titles in TITLE_ROLES.items() for t in titles]
    return sorted(pairs, key=lambda p: -len(p[0]))


_TITLES = _title_pattern()


def _clause_around(text: str, start: int, end: int) -> str:
    """The clause holding a span: split at ; . 。 ； and 'but'/'但'."""
    seps = re.compile(
        r"[;；。!！?？\n]|\.\s|\bbut\b|但是|但|不过|\band\b(?=\s+(?:the|our|their)\b)"
        r"|[，,](?=[^，,；;。]*?(?:总监|经理|负责人|CEO|CTO|CFO))"
    )
    left = 0
    for m in seps.finditer(text, 0, start):
        left = m.end()
    m = seps.search(text, end)
    right = m.start() if m else len(text)
    return text[left:right]


def _role_by_verbs(clause: str) -> str | None:
    low = clause.lower()
    for role, verbs in ROLE_VERBS.items():
        for v in verbs:
            if v in low if not v.isascii() else re.search(rf"\b{re.escape(v)}\b", low):
                return role
    return None


def find_people(text: str) -> list[Person]:
    """Key people named with a title ('the CFO Li Na', '财务总监李娜', 'Wang Bo (CTO)')."""
    people: list[Person] = []
    taken: list[tuple[int, int]] = []
    low = text.lower()
    for title, role in _TITLES:
        if title.isascii():
            pat = rf"(?<![A-Za-z]){re.escape(title)}(?![A-Za-z])"
        else:
            pat = re.escape(title)
        for m in re.finditer(pat, low):
            if any(a <= m.start() < b or a < m.end() <= b for a, b in taken):
                continue
            name, span_end, span_start = None, m.end(), m.start()
            if title.isascii():
                after = re.match(rf"\s*[,:]?\s*({_EN_NAME})", text[m.end() :])
                if after and after.group(1).split()[0] not in _EN_NOT_NAME:
                    name = after.group(1)
                    span_end = m.end() + after.end()
                else:
                    before = re.search(
                        rf"({_EN_NAME})\s*(?:,\s*(?:the|our|their|who is)?\s*|\(\s*|\s+is\s+"
                        r"(?:the|their|our)\s+|\s+-\s+|\s+as\s+(?:the\s+)?)$",
                        text[: m.start()],
                    )
                    if before and before.group(1).split()[0] not in _EN_NOT_NAME:
                        name = before.group(1)
                        span_start = before.start()
                zh_after = None if name else _zh_name_after(text, m.end())
                name = name or zh_after or _zh_name_before(text, m.start())
            else:
                name = _zh_name_after(text, m.end())
                if name:
                    span_end = m.end() + text[m.end() :].find(name[-1]) + 1
                else:
                    name = _zh_name_before(text, m.start())
            taken.append((span_start, span_end))
            clause = _clause_around(text, span_start, span_end)
            display = text[m.start() : m.end()]
            verb_role = _role_by_verbs(clause)
            people.append(
                Person(
                    name=name,
                    title=display
                    if not display.islower()
                    else display.upper()
                    if len(display) <= 4
                    else display.title(),
                    role=verb_role if verb_role and title in ("vp", "owner", "boss") else role,
                    attitude=attitude_in_text(clause),
                )
            )
    people.sort(key=lambda p: text.find(p.name or p.title or ""))
    return people


# --------------------------------------------------------------------------- choices


def match_choice(text: str, choices: list[dict[str, Any]]) -> str | None:
    """The choice a text means: by number, value, label or alias, whole or as a word."""
    t = text.strip().lower().rstrip(".。!！")
    if t.isdigit() and 1 <= int(t) <= len(choices):
        return choices[int(t) - 1]["value"]
    names = []
    for c in choices:
        words = [c["value"], c.get("en"), c.get("zh"), *c.get("aliases", ())]
        for w in words:
            if w:
                names.append((str(w).lower(), c["value"]))
    for w, value in names:
        if t == w:
            return value
    names.sort(key=lambda p: -len(p[0]))
    for w, value in names:
        if (w.isascii() and re.search(rf"\b{re.escape(w)}\b", t)) or (not w.isascii() and w in t):
            return value
    return None


# --------------------------------------------------------------------------- one answer

_EMPLOYEE_WORDS = r"(?:people|employees|staff|headcount|persons|人|名员工|个员工|员工|名|号人)"
_EMPLOYEES_AFTER = re.compile(
    rf"(?P<num>{NUM_RX}|{ZH_NUM_RX})\s*(?P<scale>k|K|千|万)?\s*(?:多|来|余)?\s*" + _EMPLOYEE_WORDS,
)
_EMPLOYEES_BEFORE = re.compile(
    rf"(?:employees|staff|headcount|员工|人数|规模)\s*(?:of|is|are|:|：|有|大约|约|大概|差不多|about)?\s*"
    rf"(?:about|around|roughly|大约|约|大概)?\s*(?P<num>{NUM_RX}|{ZH_NUM_RX})"
    r"\s*(?P<scale>k|K|千|万)?"
)
_UNKNOWN = re.compile(
    r"^(?:i\s+)?(?:don'?t know|do not know|dunno|not sure|no idea|unknown|n/?a|不知道|不清楚|"
    r"不确定|没问到|不了解|未知)[.!。！]*$",
    re.IGNORECASE,
)


def is_unknown(text: str) -> bool:
    """'don't know' / '不清楚': the interviewer has no answer (becomes an open hypothesis)."""
    return bool(_UNKNOWN.match(text.strip()))


def find_employees(text: str) -> int | None:
    for rx in (_EMPLOYEES_AFTER, _EMPLOYEES_BEFORE):
        m = rx.search(text)
        if m:
            n = read_number(m.group("num") + (m.group("scale") or ""))
            if n is None:
                continue
            if 1 <= n <= 10_000_000:
                return int(round(n))
    return None


def _number_hint(min_v: float | None, max_v: float | None) -> tuple[str, str]:
    rng_en = rng_zh = ""
    if min_v is not None and max_v is not None:
        rng_en = f" between {min_v:g} and {max_v:g}"
        rng_zh = f"（{min_v:g} 到 {max_v:g} 之间）"
    return rng_en, rng_zh


def read_value(
    type_: str,
    text: str,
    *,
    language: str = "en",
    today: dt.date,
    choices: list[dict[str, Any]] | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    field: str | None = None,
    role: str | None = None,
) -> Any:
    """One answer as a JSON-able value for a question of this type; AnswerError when it does not fit."""
    t = (text or "").strip()
    if not t:
        raise AnswerError("Please type an answer, or `skip`.", "请输入答案，或输入“跳过”。")
    if type_ in ("integer", "number"):
        value = find_employees(t) if field == "employees" else None
        if value is None:
            value = first_number(t)
        rng_en, rng_zh = _number_hint(min_value, max_value)
        if value is None:
            raise AnswerError(
                f"I need a number{rng_en}, e.g. 300 or 1.2k.",
                f"需要一个数字{rng_zh}，例如 300 或 1.2万。",
            )
        if (min_value is not None and value < min_value) or (
            max_value is not None and value > max_value
        ):
            raise AnswerError(
                f"{value:g} is out of range: give a number{rng_en}.",
                f"{value:g} 超出范围：请给出{rng_zh or '合理的'}数字。",
            )
        return int(round(value)) if type_ == "integer" else value
    if type_ == "money":
        amounts = find_amounts(t)
        if not amounts:
            raise AnswerError(
                "I need an amount, e.g. 50k, ¥120,000 or 12万.",
                "需要一个金额，例如 12万、¥120,000 或 50k。",
            )
        value = max(amounts, key=lambda a: (a.explicit, a.value)).value
        if value < 0 or (max_value is not None and value > max_value):
            raise AnswerError(
                "That amount looks wrong; try e.g. 50k.", "金额看起来不对，例如 12万。"
            )
        return value
    if type_ == "date":
        d = read_due_date(t, today)
        if d is None:
            raise AnswerError(
                "I need a date, e.g. 2027-03-31, March 2027 or 'next March'.",
                "需要一个日期，例如 2027-03-31、2027年3月 或 明年3月。",
            )
        return d.isoformat()
    if type_ == "choice":
        opts = choices or []
        value = match_choice(t, opts)
        if value is None:
            labels = " / ".join(
                str(c.get("zh") if language == "zh" and c.get("zh") else c.get("en") or c["value"])
                for c in opts
            )
            raise AnswerError(f"Please pick one of: {labels}.", f"请从这些选项中选一个：{labels}。")
        return value
    if type_ == "city":
        city = find_city(t, language, strict=False)
        if city:
            return city
        if re.search(r"\d", t) or len(t) > 40 or looks_like_question(t):
            raise AnswerError(
                "I need a city name, e.g. Hangzhou or 杭州.",
                "需要一个城市名，例如 杭州 或 Shanghai。",
            )
        return t.strip(" .。")
    if type_ == "industry":
        return find_industry(t, language, strict=False) or t.strip(" .。")
    if type_ == "person":
        return read_person(t, role=role).as_value()
    if type_ == "text":
        return t
    raise AnswerError(f"unknown question type '{type_}'", f"未知的问题类型 '{type_}'")


def read_person(text: str, role: str | None = None) -> Person:
    """A key person from an answer: 'Li Na, CFO', '财务总监李娜，很支持', or just a name."""
    found = find_people(text)
    if found:
        person = next((p for p in found if p.role == role), found[0])
        if person.name:
            person.role = role or person.role
            return person
    t = text.strip().strip(".。")
    parts = [p.strip() for p in re.split(r"[,，(（)）/、;；]|\s+-\s+", t) if p.strip()]
    if not parts or looks_like_question(t):
        raise AnswerError(
            "Give the person's name and title, e.g. 'Li Na, CFO'.",
            "请给出姓名和职位，例如“李娜，财务总监”。",
        )
    name = parts[0]
    if re.search(r"\d", name) or len(name) > 60 or attitude_in_text(name) or is_unknown(name):
        raise AnswerError(
            "That doesn't look like a name: try 'Li Na, CFO'.",
            "这看起来不像姓名：例如“李娜，财务总监”。",
        )
    title = None
    attitude = attitude_in_text(t)
    for p in parts[1:]:
        if attitude_in_text(p):
            continue
        title = p
        break
    if found and found[0].title and not title:
        title = found[0].title
    return Person(name=name, title=title, role=role, attitude=attitude)


# --------------------------------------------------------------------------- questions to the bot

_QUESTION_START = re.compile(
    r"^(?:what|which|who|how|when|where|why|show|list|tell me|give me|find|count|top\s+\d+|"
    r"can you|could you|do we|does|is there|are there|哪些|哪个|多少|有没有|有哪些|什么|怎么|"
    r"为什么|显示|列出|查一下|查询|帮我查|给我看|谁|是否)",
    re.IGNORECASE,
)


def starts_like_question(text: str) -> bool:
    """Starts with a question word or a request to show something."""
    return bool(_QUESTION_START.match(text.strip()))


# a question word anywhere together with a word for accounts: "上海有多少客户", "张三的客户有哪些",
# "accounts in Shanghai how many" — asked of the book, not an answer about one account
_QUESTION_INSIDE = re.compile(
    r"(?:多少|哪些|哪几|几个|几家|有没有|是不是|排名|前\s*\d+\s*[个家名])"
    r".{0,12}(?:客户|账户|公司|企业)|(?:客户|账户|公司|企业).{0,12}(?:多少|哪些|哪几|几个|几家|有没有)"
    r"|\b(?:how many|which ones|what accounts|which accounts|which customers)\b"
    r"|\b(?:accounts?|customers?|clients?)\b.{0,40}\b(?:how many|which)\b",
    re.IGNORECASE,
)


def looks_like_question(text: str) -> bool:
    """A question to the bot rather than an answer: ends with ?/？, starts like one, or asks
    about accounts with a question word inside ("上海有多少客户")."""
    t = text.strip()
    return (
        t.endswith(("?", "？"))
        or bool(_QUESTION_START.match(t))
        or t.endswith(("吗", "呢"))
        or bool(_QUESTION_INSIDE.search(t))
    )


# --------------------------------------------------------------------------- many facts


_BUDGET_WORDS = re.compile(r"budget|预算", re.IGNORECASE)
_ARR_WORDS = re.compile(
    r"\barr\b|per year|a year|annual|contract value|pay(?:s|ing)?|年费|每年|一年|年合同额|合同额",
    re.IGNORECASE,
)
_REVENUE_WORDS = re.compile(r"revenue|turnover|营收|营业额|收入", re.IGNORECASE)
_RENEWAL_WORDS = re.compile(r"renew|expire|contract end|ends|到期|续约|续费|合同", re.IGNORECASE)
_FOUNDED = re.compile(
    r"(?:founded|established|since|成立于?|创立于?|创办于?)\s*(?:in\s*)?(\d{4})\s*年?"
    r"|(\d{4})\s*年\s*(?:成立|创立|创办|注册|建立)"
)
_APPROVED = re.compile(
    r"already approved|been approved|is approved|approved already|signed off|已经?批(?:了|准|下来)?|"
    r"批下来了|批了|已审批|审批通过|已通过|已到位",
    re.IGNORECASE,
)
_NOT_APPROVED = re.compile(
    r"not (?:yet )?approved|awaiting approval|pending approval|还没批|没批|未批|待审批|还在审批|没有批",
    re.IGNORECASE,
)


def budget_text(amount: float, text: str, language: str) -> str:
    """A budget as filed: the amount and, when the answer says so, whether it is approved."""
    shown = f"¥{amount:,.0f}"
    if _NOT_APPROVED.search(text):
        return shown + ("（未批）" if language == "zh" else " (not yet approved)")
    if _APPROVED.search(text):
        return shown + ("（已批）" if language == "zh" else " (approved)")
    return shown


def extract(
    text: str,
    language: str,
    known_fields: set[str] | None = None,
    *,
    today: dt.date,
    focus: str | None = None,
) -> dict[str, Any]:
    """Every fact recognised in one answer, by field binding ('employees', 'contact:EB', ...).

    `known_fields` limits the result to the fields the caller can use (None: all); `focus` is the
    field the question was about, which decides where a bare amount or date goes.
    """
    want = (lambda f: True) if known_fields is None else (lambda f: f in known_fields)
    out: dict[str, Any] = {}
    employees = find_employees(text)
    if employees is not None and want("employees"):
        out["employees"] = employees
    if want("city") and (city := find_city(text, language)):
        out["city"] = city
    if want("industry") and (industry := find_industry(text, language)):
        out["industry"] = industry
    if want("plan"):
        hit = _find_vocab("plan", text)
        if hit and re.search(r"plan|版|edition|tier|套餐", text, re.IGNORECASE):
            out["plan"] = hit[0]
    if (m := _FOUNDED.search(text)) and want("founded"):
        year = int(m.group(1) or m.group(2))
        if 1800 <= year <= today.year:
            out["founded"] = year
    # money: the question's field, else whichever the words around it say
    amounts = [a for a in find_amounts(text) if a.explicit]
    if amounts:
        amount = max(amounts, key=lambda a: a.value).value
        if _BUDGET_WORDS.search(text) and want("budget"):
            out["budget"] = budget_text(amount, text, language)
        elif _REVENUE_WORDS.search(text) and want("annual_revenue"):
            out["annual_revenue"] = amount
        elif _ARR_WORDS.search(text) and want("arr"):
            out["arr"] = amount
        elif focus in ("arr", "budget", "annual_revenue") and want(focus):
            out[focus] = amount
    if _RENEWAL_WORDS.search(text) or focus == "contract_end":
        d = read_due_date(text, today)
        if d is not None and want("contract_end"):
            out["contract_end"] = d.isoformat()
    for person in find_people(text):
        if person.role and person.name and want(f"contact:{person.role}"):
            out.setdefault(f"contact:{person.role}", person.as_value())
    if focus == "price_sensitivity" or re.search(r"price|价格", text, re.IGNORECASE):
        low = text.lower()
        level = None
        if re.search(
            r"very price|highly price|price.sensitive|很在意价格|价格敏感|砍价|非常敏感", low
        ):
            level = "high"
        if re.search(r"not (?:very )?price|不敏感|不在意价格|不太在意", low):
            level = "low"
        if level and want("price_sensitivity"):
            out["price_sensitivity"] = level
    return out
