"""A conversation that remembers: follow-ups refine the previous answer, ambiguous names get a
numbered choice, two accounts are compared side by side, and a question about one fact of one
account ("who is the EB at X", "X的健康度怎么样", "X的竞争对手是什么") gets that fact, not the card.

The context is the previous answer's spec, kept per user and platform in the database
(handlers/chat_state.py). A follow-up ("of those…", "其中…", "only the…", "sort them by ARR",
"再按城市分一下", "what about Beijing", "那北京呢") is parsed on its own and merged into that spec,
so it refines the whole result, not the page shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from handlers import answer_text as at
from handlers import ask, chat_state
from handlers import lexicon as lx
from handlers.messages import IncomingMessage, Reply
from handlers.parser import Parsed, parse
from handlers.profile import profile_card, profile_ref, profile_reply
from handlers.services import Services
from store.identity import normalise_name
from store.lang.numbers import zh_numeral
from store.lang.people import ROLE_LABELS, ROLE_WORDS, role_label
from store.models import Account
from store.query import LOCAL_OPERATOR, Scope, account_candidates, load_catalogue
from store.spec import Condition, Filter, Spec

MAX_CHOICES = 9

# ----------------------------------------------------------------------------- follow-ups

# a follow-up marker at the start: removed, and what is left is parsed on its own
_REFINE = [
    re.compile(p)
    for p in (
        r"^(?:and\s+|so\s+|ok(?:ay)?[,\s]+|now[,\s]+|then[,\s]+)*(?:of|among|from|out\s+of|within)"
        r"\s+(?:(?:those|these|the)\s+\d+(?:\s+(?:accounts|customers|clients|companies))?"
        r"|those|these|them|that\s+list|this\s+list|the\s+list|the\s+result|that)\b[,\s]*",
        r"^(?:and\s+|so\s+|now\s+)*(?:only|just)\s+(?:show\s+(?:me\s+)?)?(?:the\s+)?(?=\S)",
        r"^(?:and\s+|so\s+|now\s+)*(?:keep|filter\s+(?:them|those|to))\s+(?:only\s+)?(?:the\s+)?",
        r"^(?:那|那么|好的?[，,]?|然后|再)?(?:其中|这些(?:客户|公司)?(?:里面|里|中间|中|当中|之中)?"
        r"|这里面|里面|它们|他们|上面(?:的)?(?:客户)?(?:里|中)?|刚才(?:的)?(?:客户|那些)?(?:里|中)?"
        r"|在这些(?:客户)?(?:里|中)|这批(?:客户)?(?:里|中)?"
        r"|这\s*(?:\d+|几|[两二三四五六七八九十]+)\s*(?:个|家|位)(?:客户|公司)?"
        r"(?:里面|里|中间|中|当中|之中)?)(?:的|中的|里的)?[，,\s]*",
        r"^(?:那|那么|然后)?(?:只看|只要|仅看|只显示|只留|只列出?|筛选出?)\s*",
        r"^(?:and\s+)?(?:what(?:'s|\s+is|\s+are|\s+was)|show(?:\s+me)?|give\s+me|tell\s+me)\s+"
        r"their\s+",
    )
]
# a bare "how many?" / "有多少个" right after an answer counts that answer
_COUNT_ONLY = re.compile(
    r"^\s*(?:and\s+)?(?:how\s+many(?:\s+(?:are\s+there|is\s+that|in\s+total))?|count(?:\s+them)?"
    r"|(?:一共|总共|共)?(?:有)?(?:多少|几)(?:个|家)?(?:客户)?(?:呢)?)\s*[?？。.!]*\s*$",
    re.I,
)
# pronouns that point back at the previous answer, never at an account
_PRONOUN = re.compile(
    r"^(?:them|they|those|these|their|it|its|它们|他们|她们|这些|那些|这些客户|那些客户|其中|上面的?)$",
    re.I,
)
# "list them" / "show them" / "列出来": the previous accounts as a list
_LIST_ONLY = re.compile(
    r"^\s*(?:list|show|show\s+me|display|name|which\s+are\s+they|who\s+are\s+they|列出来?|列一下|"
    r"看看|显示|是哪些|有哪些|都有谁|具体是哪些)\s*(?:all|all\s+of|全部|一下)?\s*[?？。.!]*\s*$",
    re.I,
)
# "them / those" inside: "how many of them are in Shanghai", "sort them by ARR", "list those"
_THEM = re.compile(
    r"\b(?:of\s+)?(?:them|those(?!\s+(?:who|that|which|with|whose))|these(?!\s+\w+s\b))\b"
)
# a re-grouping or re-sorting said as a continuation: "再按城市分一下", "now by city", "sort by ARR"
_AGAIN = re.compile(
    r"^(?:再|那就?|然后|那再|接着)\s*(?=按|根据|以|分|排)|^(?:and\s+|now\s+|then\s+)+(?=by\b|per\b|sort|order|rank|break|group|split)"
)
_SORT_ONLY = re.compile(r"^(?:(?:please\s+)?(?:sort|order|rank)\b|按|根据|以)")
# "what about Beijing", "how about fintech", "and in Beijing?", "那北京呢", "北京的呢"
_INSTEAD_EN = re.compile(
    r"^(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*[?.!]*$|^and\s+(?P<y>.+?)\s*\?$"
)
_INSTEAD_ZH = re.compile(r"^(?:那|那么|换成|如果是)?\s*(?P<x>.+?)\s*(?:的)?呢\s*[?？。]*$")
_LIST_WORDS = re.compile(
    r"\b(?:which|list|show|what|who|top|bottom|only\s+the|just\s+the)\b|哪些|哪几|列出|列一下|看看|显示|是哪"
    r"|前\s*\d|最|只看|只要|仅看|只显示|只列"
)


def _strip_marker(text: str) -> tuple[str, bool]:
    """(the question without its follow-up marker, whether it had one)."""
    t = text.strip()
    low = t.lower()
    for rx in _REFINE:
        m = rx.match(low)
        if m and m.end() < len(low):
            return t[m.end() :].strip(" ,，"), True
    m = _AGAIN.match(low)
    if m:
        return t[m.end() :].strip(), True
    if _THEM.search(low) and len(low) <= 80:
        rest = _THEM.sub(" ", t if t.isascii() else low)
        return re.sub(r"\s+", " ", rest).strip(), True
    return t, False


def _items(cond: Condition) -> list[Filter | Condition]:
    if cond.is_empty():
        return []
    if cond.negate or cond.any:
        return [cond]
    return list(cond.all)


def refine(prev: Spec, new: Spec, *, sort_given: bool, instead: bool, listing: bool) -> Spec:
    """The previous spec narrowed (or, `instead`, re-pointed) by a follow-up's spec."""
    if prev.limit and not instead and not prev.group_by and prev.aggregate is None:
        # a top-N answer: "which of those …" / "sort them by …" is about the N shown
        shown = prev.model_copy(update={"show": []})
        return Spec(
            where=new.where,
            mine=new.mine,
            owner=new.owner,
            team=new.team,
            sort=new.sort if sort_given or new.group_by else prev.sort,
            limit=new.limit,
            group_by=new.group_by,
            aggregate=new.aggregate,
            show=list(dict.fromkeys([*prev.show, *new.show])),
            within=shown,
        )
    base = _items(prev.where)
    if instead:
        fields = {f.field for f in new.where.filters()}
        base = [x for x in base if not (isinstance(x, Filter) and x.field in fields)]
    where = Condition(all=[*base, *_items(new.where)])
    aggregate = new.aggregate
    group_by = new.group_by
    if aggregate is None and group_by is None:
        if prev.group_by and not listing:
            group_by, aggregate = prev.group_by, prev.aggregate
        elif prev.aggregate is not None and not listing:
            aggregate = prev.aggregate
    sort = new.sort if sort_given or new.group_by else prev.sort
    if group_by and not new.group_by:
        sort = prev.sort
    return Spec(
        where=where,
        mine=new.mine or prev.mine,
        owner=new.owner or prev.owner,
        team=new.team or prev.team,
        sort=sort,
        limit=new.limit or (prev.limit if not new.group_by else None),
        group_by=group_by,
        aggregate=aggregate,
        show=list(dict.fromkeys([*prev.show, *new.show])),
        within=prev.within,
    )


# ----------------------------------------------------------------------------- choices

_EN_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "last": -1}
_PICK = re.compile(
    r"^\s*(?:#|no\.?\s*|number\s+|option\s+|选\s*|就\s*|要\s*)?(?:第\s*)?"
    r"(?P<n>\d{1,2}|[一二两三四五六七八九])\s*(?:个|家|号|项)?\s*(?:吧|的)?\s*[.。!！]?\s*$"
    r"|^\s*(?:the\s+)?(?P<o>first|second|third|fourth|fifth|sixth|last)(?:\s+one)?\s*[.!]?\s*$"
)


def _pick(text: str, n_choices: int) -> int | None:
    """The 0-based index a reply picks among n choices, or None."""
    m = _PICK.match(text.strip().lower())
    if not m:
        return None
    if m.group("o"):
        k = _EN_ORD[m.group("o")]
        k = n_choices if k == -1 else k
    else:
        raw = m.group("n")
        k = int(raw) if raw.isdigit() else int(zh_numeral(raw) or 0)
    return k - 1 if 1 <= k <= n_choices else None


def _choice_reply(
    session: Session, msg: IncomingMessage, ref: str, accounts: list[Account], pending: dict
) -> Reply:
    services_now = pending.pop("_now")
    shown = accounts[:MAX_CHOICES]
    lines = [f"{i}. {a.name}" + (f" ({a.city})" if a.city else "") for i, a in enumerate(shown, 1)]
    if msg.zh:
        text = (
            f"有 {len(accounts)} 个客户的名称包含“{ref}”，你指的是哪个？回复编号即可：\n"
            + "\n".join(lines)
        )
    else:
        text = (
            f"{len(accounts)} accounts you can see match '{ref}' — which one do you mean? "
            "Reply with its number:\n" + "\n".join(lines)
        )
    chat_state.update(
        session,
        msg,
        services_now,
        choices=[{"id": a.id, "name": a.name} for a in shown],
        pending=pending,
    )
    data = {
        "text": text,
        "understood": None,
        "accounts": [{"id": a.id, "account_id": a.external_id, "name": a.name} for a in shown],
        "choice": True,
    }
    return Reply(text=text, kind="answer", language=msg.language, data=data, private=True)


def _no_account(msg: IncomingMessage, ref: str) -> Reply:
    return ask.unknown_account(msg, ref)


# ----------------------------------------------------------------------------- direct answers


@dataclass(frozen=True)
class Fact:
    """One thing people ask about one account: its words and how to read it from the card."""

    key: str  # a field key, or one of: role:EB, people, health, tags, nps, rfm, completeness
    words: tuple[str, ...]


_FACTS_EXTRA = (
    Fact("role:EB", ROLE_WORDS["EB"] + ("economic buyers", "decision makers", "拍板的人")),
    Fact("role:TB", ROLE_WORDS["TB"]),
    Fact("role:UB", ROLE_WORDS["UB"]),
    Fact(
        "people",
        (
            "key people",
            "key persons",
            "key contacts",
            "contacts",
            "stakeholders",
            "关键人",
            "联系人",
            "对接人",
        ),
    ),
    Fact(
        "health",
        (
            "health",
            "health score",
            "healthy",
            "health band",
            "健康度",
            "健康分",
            "健康状况",
            "健康",
        ),
    ),
    Fact("tags", ("tags", "labels", "标签")),
    Fact("nps", ("nps", "nps score", "net promoter score", "满意度", "nps分", "推荐值")),
    Fact("rfm", ("rfm", "rfm segment", "rfm分群", "rfm分层", "客户分层")),
    Fact("completeness", ("completeness", "profile completeness", "完整度", "画像完整度")),
    Fact(
        "owner",
        ("owner", "account owner", "account manager", "sales rep", "负责人", "客户经理", "销售"),
    ),
    Fact(
        "contract_end",
        (
            "renewal date",
            "renew",
            "renewal",
            "contract end",
            "到期日",
            "续约时间",
            "合同到期日",
            "到期时间",
            "什么时候到期",
            "何时续约",
        ),
    ),
)
# words that only frame the question ("who is the … at X", "X的…是什么")
_FRAME_WORDS = (
    r"\b(?:who|what|what's|whats|which|when|how|is|are|was|the|a|an|of|at|for|in|on|does|do|"
    r"did|please|tell|me|show|give|'s|s|current|currently|their|its|it|there|account|customer|"
    r"company|client|value|score|level|status|now|today|much|many|will|we|our|about|with)\b"
    r"|的|是|谁|什么|啥|多少|几|哪个|哪位|哪些|怎么样|怎样|如何|咋样|情况|目前|现在|当前|客户|请问|"
    r"一下|查|看看|告诉我|吗|呢|了|为|有|[?？。.!！,，:：'\"“”「」]"
)
_FRAME_START = re.compile(rf"^\s*(?:{_FRAME_WORDS})\s*", re.I)
_FRAME_END = re.compile(rf"\s*(?:{_FRAME_WORDS})\s*$", re.I)


def _trim(text: str) -> str:
    """The words left once the question's frame is taken off both ends ("who is the … at X" ->
    "X"; "X的…是多少" -> "X"), keeping the middle of a name whole (天合金融科技有限公司)."""
    t = re.sub(r"\s+", " ", text).strip()
    while True:
        cut = _FRAME_END.sub("", _FRAME_START.sub("", t, count=1), count=1).strip()
        if cut == t:
            return t
        t = cut


_STRONG_EN = re.compile(
    r"^(?:who|what|when)(?:'s|\s+is|\s+are|\s+does)\s+(?:the\s+)?(?P<f>.+?)\s+(?:at|of|for|in)\s+"
    r"(?P<x>.+?)\s*\??$|^(?:what|when)(?:'s|\s+is|\s+are)\s+(?P<x2>.+?)'s\s+(?P<f2>.+?)\s*\??$"
    r"|^how\s+(?:many|much)\s+(?P<f3>.+?)\s+(?:does|do|has)\s+(?P<x3>.+?)\s+(?:have|got|hold|own)"
    r"\s*\??$"
)
_STRONG_ZH = re.compile(
    r"^(?P<x>.+?)的(?P<f>.+?)(?:是谁|是什么|是多少|是哪[个位些]|怎么样|如何|有哪些|[?？])"
)


def _facts(fields: dict[str, Any]) -> list[Fact]:
    out = list(_FACTS_EXTRA)
    for key, phrases in lx.FIELD_PHRASES.items():
        if key in fields:
            out.append(Fact(key, tuple(phrases)))
    for f in fields.values():
        if f.source == "custom":
            words = [f.key, f.key.replace("_", " "), f.label_en, f.label_zh or ""]
            out.append(Fact(f.key, tuple(w.lower() for w in words if w)))
    return out


def _find_facts(text: str, fields: dict[str, Any]) -> list[tuple[Fact, tuple[int, int]]]:
    """Every fact word in the text (ASCII words at word edges), longest first."""
    out: list[tuple[Fact, tuple[int, int]]] = []
    low = text.lower()
    for fact in _facts(fields):
        for w in fact.words:
            if not w or len(w) < 2:
                continue
            pat = re.escape(w)
            if w[0].isascii():
                pat = r"(?<![a-z0-9_])" + pat + r"(?![a-z0-9_])"
            out += [(fact, m.span()) for m in re.finditer(pat, low)]
    out.sort(key=lambda x: (-(x[1][1] - x[1][0]), x[1][0]))
    return out


def _fact_answer(
    services: Services, session: Session, msg: IncomingMessage, acc: Account, fact: Fact
) -> Reply:

    zh = msg.zh
    lang = msg.language
    as_of = services.today(msg.as_of)
    card = profile_card(session, acc, as_of, ask.scope_of(session, msg.user), lang)
    fields = load_catalogue(session)
    name = acc.name
    value: Any = None
    key = fact.key
    if key.startswith("role:") or key == "people":
        role = key.split(":")[1] if ":" in key else None
        people = [p for p in card["key_people"] if role is None or (p.get("role") or "") == role]
        what = (
            role_label(role, "zh" if zh else "en", code=True)
            if role in ROLE_LABELS
            else ("关键人" if zh else "key people")
        )

        def person(p: dict) -> str:
            bits = [p.get("title"), p.get("role") if role is None else None, p.get("attitude")]
            extra = (
                "，".join(str(b) for b in bits if b) if zh else ", ".join(str(b) for b in bits if b)
            )
            return (
                f"{p['name']}（{extra}）"
                if zh and extra
                else f"{p['name']} ({extra})"
                if extra
                else p["name"]
            )

        value = [p["name"] for p in people]
        if not people:
            text = f"{name} 还没有记录{what}。" if zh else f"{name} has no {what} on file."
        elif zh:
            text = f"{name} 的{what}：" + "；".join(person(p) for p in people) + "。"
        else:
            verb = "is" if len(people) == 1 else "are"
            text = f"The {what} at {name} {verb} " + "; ".join(person(p) for p in people) + "."
    elif key == "health":
        h = card["health"]
        value = h["score"]
        if h["score"] is None:
            text = f"{name} 还没有健康分。" if zh else f"{name} has no health score yet."
        else:
            comps = sorted(
                (c for c in h["components"].values() if c.get("score") is not None),
                key=lambda c: c["score"],
            )
            weak = (
                "；".join(c["why"] for c in comps[:2] if c.get("why"))
                if zh
                else "; ".join(c["why"] for c in comps[:2] if c.get("why"))
            )
            band = h.get("band") or "—"
            text = (
                f"{name} 的健康度为 {h['score']:.0f}/100（{band}）。"
                + (f"最弱的方面：{weak}。" if weak else "")
                if zh
                else f"{name}'s health is {h['score']:.0f}/100 ({band})."
                + (f" Weakest: {weak}." if weak else "")
            )
    elif key == "tags":
        value = [t["tag"] for t in card["tags"]]
        shown = "、".join(value) if zh else ", ".join(value)
        text = f"{name} 的标签：{shown or '无'}。" if zh else f"{name}'s tags: {shown or 'none'}."
    elif key == "nps":
        nps = card.get("nps")
        value = nps["score"] if nps else None
        if not nps:
            text = f"{name} 还没有 NPS 记录。" if zh else f"{name} has no NPS answer yet."
        else:
            c = f"“{nps['comment']}”" if nps.get("comment") else ""
            text = (
                f"{name} 最近的 NPS 为 {nps['score']}（{nps['date']}）{c}。"
                if zh
                else f"{name}'s latest NPS is {nps['score']} ({nps['date']}) {c}".rstrip() + "."
            )
    elif key == "rfm":
        r = card["rfm"]
        value = r.get("segment")
        seg = (r.get("segment_zh") or value) if zh else value
        text = (
            f"{name} 的 RFM 分群：{seg or '—'}（R{r.get('r')} F{r.get('f')} M{r.get('m')}）。"
            if zh
            else f"{name}'s RFM segment is {seg or '—'} (R{r.get('r')} F{r.get('f')} M{r.get('m')})."
        )
    elif key == "completeness":
        c = card["completeness"]
        value = c.get("all")
        text = (
            f"{name} 的画像完整度：关键字段 {c['key'] * 100:.0f}%，全部字段 {c['all'] * 100:.0f}%。"
            if zh
            else f"{name}'s profile is {c['key'] * 100:.0f}% complete on key fields, "
            f"{c['all'] * 100:.0f}% on all fields."
        )
    else:
        for part in ("fields", "figures", "custom_fields"):
            if key in (card.get(part) or {}):
                value = card[part][key]
                break
        label = at.label(key, lang, fields)
        shown = at.format_value(key, value, lang) if value not in (None, "") else None
        if shown is None:
            text = f"{name} 还没有记录{label}。" if zh else f"{name} has no {label} on file."
        else:
            text = f"{name} 的{label}：{shown}。" if zh else f"{name}'s {label}: {shown}."
    data = {
        "text": text,
        "understood": {"account": name, "fact": key},
        "accounts": [{"id": acc.id, "account_id": acc.external_id, "name": name}],
        "value": value,
        "total": 1,
    }
    ask._audit(session, msg, [acc.id], Spec(account=name), action="view_profile")
    return Reply(text=text, kind="answer", language=lang, data=data, private=True)


# ----------------------------------------------------------------------------- compare

_COMPARE = [
    re.compile(p)
    for p in (
        r"^(?:please\s+|can you\s+)?(?:compare|contrast)\s+(?P<a>.+?)\s+(?:and|with|vs\.?|versus|to|against|&)\s+(?P<b>.+?)\s*[?.!]*$",
        r"^(?P<a>.+?)\s+(?:vs\.?|versus)\s+(?P<b>.+?)\s*[?.!]*$",
        r"^(?:how\s+(?:does|do)\s+)(?P<a>.+?)\s+compare\s+(?:to|with)\s+(?P<b>.+?)\s*[?.!]*$",
        r"^(?:请|帮我|帮忙)?(?:对比|比较|比一比|比一下|对照)(?:一下)?\s*(?P<a>.+?)\s*(?:和|与|跟|同|及|、|vs)\s*(?P<b>.+?)"
        r"\s*(?:的情况|的区别|的差异|有什么不同|有何不同|有什么区别|哪个好)?\s*[?？。!！]*$",
        r"^(?P<a>.+?)\s*(?:和|与|跟)\s*(?P<b>.+?)\s*(?:对比|比较|相比|的对比|的比较|哪个好|有什么区别|有什么不同|的区别|的差异)(?:一下)?\s*[?？。!！]*$",
    )
]
_COMPARE_ROWS = (
    ("industry", "fields"),
    ("city", "fields"),
    ("employees", "fields"),
    ("plan", "fields"),
    ("arr", "fields"),
    ("contract_end", "fields"),
    ("owner", "fields"),
    ("days_since_login", "figures"),
    ("logins_30d", "figures"),
    ("health", None),
    ("nps", None),
    ("tier", "fields"),
    ("EB", None),
)


def _compare_reply(
    services: Services, session: Session, msg: IncomingMessage, accs: list[Account]
) -> Reply:

    zh = msg.zh
    lang = msg.language
    as_of = services.today(msg.as_of)
    scope = ask.scope_of(session, msg.user)
    fields = load_catalogue(session)
    cards = [profile_card(session, a, as_of, scope, lang) for a in accs]
    rows: list[tuple[str, list[str]]] = []
    for key, part in _COMPARE_ROWS:
        vals: list[str] = []
        for c in cards:
            if key == "health":
                h = c["health"]
                vals.append(
                    f"{h['score']:.0f} ({h.get('band') or '—'})" if h["score"] is not None else "—"
                )
            elif key == "nps":
                vals.append(str(c["nps"]["score"]) if c.get("nps") else "—")
            elif key == "EB":
                ebs = [p["name"] for p in c["key_people"] if p.get("role") == "EB"]
                vals.append(", ".join(ebs) if ebs else "—")
            else:
                v = (c.get(part) or {}).get(key)
                if v is None and key == "tier":
                    v = (c.get("figures") or {}).get(key)
                vals.append(at.format_value(key, v, lang) if v not in (None, "") else "—")
        if key == "EB":
            label = role_label("EB", "zh", code=True) if zh else "EB"
        elif key == "health":
            label = "健康度" if zh else "Health"
        elif key == "nps":
            label = "NPS"
        elif key == "logins_30d":
            label = at.label("logins", lang, fields, 30)
        else:
            label = at.label(key, lang, fields)
        if any(v != "—" for v in vals):
            rows.append((label, vals))
    names = [a.name for a in accs]
    head = f"{names[0]} 与 {names[1]} 对比：" if zh else f"{names[0]} vs {names[1]}:"
    body = "\n".join(f"• {label}: " + " | ".join(vals) for label, vals in rows)
    text = head + "\n" + body
    data = {
        "text": text,
        "understood": {"compare": names},
        "accounts": [{"id": a.id, "account_id": a.external_id, "name": a.name} for a in accs],
        "rows": [{"key": label, "values": vals} for label, vals in rows],
    }
    ask._audit(session, msg, [a.id for a in accs], Spec(account=names[0]), action="view_profile")
    return Reply(
        text=head, sections=[("", body)], kind="answer", language=lang, data=data, private=True
    )


# ----------------------------------------------------------------------------- resolving names


def _resolve(session: Session, scope: Scope, ref: str) -> list[Account]:
    """The visible accounts a reference may mean (as written, else without 'the' / 客户 / account)."""
    ref = ref.strip(" \"'“”「」?？。")
    if not ref:
        return []
    found = account_candidates(session, ref, scope)
    if found:
        return found
    bare = re.sub(r"^(?:the\s+|客户\s*)|\s*(?:\baccount|\bcustomer|客户)$", "", ref).strip()
    return account_candidates(session, bare, scope) if bare and bare != ref else []


def _exact(acc: Account, ref: str) -> bool:
    """The reference names this account itself (id, domain or whole name), not a part of it."""
    r = ref.strip().lower()
    return bool(
        r
        and (
            r == (acc.external_id or "").lower()
            or r == (acc.domain or "").lower()
            or normalise_name(ref) == acc.name_norm
            or r == str(acc.id)
        )
    )


def _looks_like_filter(text: str, parsed_ctx: Any, lang: str) -> bool:
    p = parse(text, lang, parsed_ctx)
    return bool(p.matched and p.spec is not None and not p.spec.account and not p.unparsed)


# ----------------------------------------------------------------------------- the handler


def _run_pending(
    services: Services, session: Session, msg: IncomingMessage, acc: Account, pending: dict
) -> Reply:
    kind = pending.get("kind")
    if kind == "fact":
        fields = load_catalogue(session)
        fact = next((f for f in _facts(fields) if f.key == pending.get("fact")), None)
        if fact is not None:
            return _fact_answer(services, session, msg, acc, fact)
    if kind == "compare":
        other = session.get(Account, int(pending.get("other") or 0))
        if other is not None:
            pair = [other, acc] if pending.get("first") == "other" else [acc, other]
            return _compare_reply(services, session, msg, pair)
    spec = Spec(account=acc.name)
    scope = ask.scope_of(session, msg.user)

    reply = profile_reply(services, session, acc, msg, scope)
    data = dict(reply.data or {})
    data.setdefault("text", reply.plain())
    data["understood"] = spec.model_dump(mode="json")
    data["accounts"] = [{"id": acc.id, "account_id": acc.external_id, "name": acc.name}]
    reply.data = data
    return reply


def try_handle(
    services: Services, msg: IncomingMessage, *, conversation: bool = True
) -> list[Reply] | None:
    """Choices, compares, one-fact questions and follow-ups; None for anything else.

    `conversation=False` (one-off questions: `ask`, `ask -`) answers each message on its own:
    no follow-ups and no picks, so a line never leans on the line before it.
    """
    text = (msg.text or "").strip()
    if not text or msg.file_path or not msg.user:
        return None
    with services.session_factory.begin() as s:
        scope = ask.scope_of(s, msg.user)
        if scope.kind == "none" and msg.user != LOCAL_OPERATOR:
            return None
        now = services.clock()
        state = chat_state.load(s, msg, now) if conversation else {"live": False}
        reply = _answer(services, s, msg, text, state, scope, now)
        return [reply] if reply is not None else None


def _answer(
    services: Services,
    s: Session,
    msg: IncomingMessage,
    text: str,
    state: dict,
    scope: Scope,
    now: Any,
) -> Reply | None:
    # 1. a number picking one of the offered accounts
    choices = state.get("choices") or []
    if choices:
        k = _pick(text, len(choices))
        if k is not None:
            acc = s.get(Account, int(choices[k]["id"]))
            chat_state.update(s, msg, now, choices=[], pending={})
            if acc is not None and ask.find_account(s, str(acc.id), scope) is not None:
                return _run_pending(services, s, msg, acc, dict(state.get("pending") or {}))
    # 2. compare two accounts
    for rx in _COMPARE:
        m = rx.match(text.lower() if text.isascii() else text)
        if not m:
            continue
        a_ref = text[m.start("a") : m.end("a")]
        b_ref = text[m.start("b") : m.end("b")]
        a, b = _resolve(s, scope, a_ref), _resolve(s, scope, b_ref)
        if not a and not b:
            break  # two segments, not two accounts: personas and ask take it
        if not a or not b:
            return _no_account(msg, (b_ref if a else a_ref).strip())
        if len(a) > 1:
            pending = {"kind": "compare", "other": b[0].id, "first": "this", "_now": now}
            if len(b) == 1:
                return _choice_reply(s, msg, a_ref.strip(), a, pending)
        if len(b) > 1:
            other = a[0].id
            pending = {"kind": "compare", "other": other, "first": "other", "_now": now}
            return _choice_reply(s, msg, b_ref.strip(), b, pending)
        if len(a) > 1:
            break
        return _compare_reply(services, s, msg, [a[0], b[0]])
    # 3. one fact of one account
    reply = _direct(services, s, msg, text, scope, now)
    if reply is not None:
        return reply
    # 4. a follow-up on the previous answer
    if state.get("live", True):
        reply = _follow_up(services, s, msg, text, state, scope)
        if reply is not None:
            return reply
    # 5. a name that several accounts share
    return _ambiguous_profile(s, msg, text, scope, now)


def _ref_around(text: str, span: tuple[int, int]) -> str:
    """The words left once the fact word and the question's frame are taken out."""
    i, j = span
    return _trim(text[:i] + " " + text[j:])


def _strong(text: str, fields: dict[str, Any]) -> tuple[Fact, str, str] | None:
    """ "who is the EB at X" / "what is X's ARR" / "X的决策人是谁": (the fact, X as written with
    the frame taken off, X as written)."""
    m = _STRONG_EN.match(text.lower())
    groups = (("f", "x"), ("f2", "x2"), ("f3", "x3"))
    if m is None:
        m = _STRONG_ZH.match(text)
        groups = (("f", "x"),)
    if m is None:
        return None
    for gf, gx in groups:
        if m.group(gf) is None:
            continue
        facts = _find_facts(text[m.start(gf) : m.end(gf)], fields)
        whole = text[m.start(gx) : m.end(gx)]
        ref = _trim(whole)
        if facts and ref:
            return facts[0][0], ref, whole
    return None


def _direct(
    services: Services, s: Session, msg: IncomingMessage, text: str, scope: Scope, now: Any
) -> Reply | None:
    fields = load_catalogue(s)
    found = _find_facts(text, fields)
    if not found:
        return None

    whole = profile_ref(text)
    if whole is not None and any(_exact(a, whole) for a in _resolve(s, scope, whole)):
        return None  # "tell me about Harbor Pay": a card, though "pay" is a field word
    ctx = ask.cached_context(s, scope, msg.user or None)
    strong = _strong(text, fields)
    if strong is not None and _PRONOUN.match(strong[1]):
        return None  # "它们的年合同额总和是多少": about the previous answer, a follow-up
    if strong is not None:
        fact, ref, whole = strong
        if len(ref) > 60 or any(_looks_like_filter(x, ctx, msg.language) for x in {ref, whole}):
            return None  # "who is the EB at fintech accounts", "所有客户的…": over many accounts
        cands = _resolve(s, scope, ref)
        if not cands:
            return _no_account(msg, ref)
    else:
        # "Harbor Pay ARR", "River Pay health": the reading whose leftover names one account
        # exactly ("EB at River Pay" is not about "pay"); a partial name only offers a choice
        fact, cands, ref = found[0][0], [], ""
        for f_, sp in found:
            r = _ref_around(text, sp)
            c = _resolve(s, scope, r) if r and len(r) <= 60 else []
            if len(c) == 1 and _exact(c[0], r):
                fact, ref, cands = f_, r, c
                break
            if len(c) > 1 and not ref and not _looks_like_filter(r, ctx, msg.language):
                fact, ref, cands = f_, r, c
        if not cands:
            return None
    if len(cands) > 1:
        return _choice_reply(s, msg, ref, cands, {"kind": "fact", "fact": fact.key, "_now": now})
    return _fact_answer(services, s, msg, cands[0], fact)


def _follow_up(
    services: Services, s: Session, msg: IncomingMessage, text: str, state: dict, scope: Scope
) -> Reply | None:
    prev_raw = state.get("spec")
    low = text.lower()
    instead = False
    rest, marked = _strip_marker(text)
    if not marked:
        m = _INSTEAD_EN.match(low) or (_INSTEAD_ZH.match(text) if not text.isascii() else None)
        if m:
            rest = (m.group("x") or m.group("y") or "").strip()
            instead = True
        elif prev_raw and (
            _SORT_ONLY.match(low) or _LIST_ONLY.match(text) or _COUNT_ONLY.match(text)
        ):
            rest = text
        else:
            return None
    if not prev_raw:
        if instead:
            return None  # "what about Acme": a profile, for the handlers after
        text_ = (
            "“其中/这些”指的是哪些客户？请先问一个问题，例如“上海的客户”，再接着筛选。"
            if msg.zh
            else "Of which accounts? Ask a question first (e.g. 'accounts in Shanghai'), then "
            "narrow it down."
        )
        return Reply(
            text=text_, kind="answer", language=msg.language, data={"text": text_, "accounts": []}
        )
    prev = Spec.model_validate(prev_raw)
    if _LIST_ONLY.match(rest) or not rest.strip(" ?？。.!"):
        listing = prev.model_copy(update={"aggregate": None, "group_by": None})
        return ask.answer(services, s, msg, listing, source="parser")
    ctx = ask.cached_context(s, scope, msg.user or None)
    parsed: Parsed = parse(rest, msg.language, ctx)
    if not parsed.matched or parsed.spec is None:
        return None
    new = parsed.spec
    if new.limit and not re.search(r"\d", parsed.text):
        new = new.model_copy(update={"limit": None})  # a re-sort keeps the whole answer
    if new.account:
        return None if instead else None
    if instead and new.where.is_empty():
        return None
    merged = refine(
        prev,
        new,
        sort_given=parsed.sort_given,
        instead=instead,
        listing=bool(_LIST_WORDS.search(rest.lower() if instead else low) or new.limit),
    )
    reply = ask.answer(services, s, msg, merged, source="parser")
    ask.say_ignored(reply, parsed.unparsed, msg)  # "which of those are purple": said, not dropped
    return reply


def _ambiguous_profile(
    s: Session, msg: IncomingMessage, text: str, scope: Scope, now: Any
) -> Reply | None:
    ctx = ask.cached_context(s, scope, msg.user or None)
    parsed = parse(text, msg.language, ctx)
    ref = parsed.account_ref
    if not (parsed.matched and parsed.spec is not None and parsed.spec.account and ref):
        return None
    cands = _resolve(s, scope, ref)
    if len(cands) > 1:
        return _choice_reply(s, msg, ref, cands, {"kind": "profile", "_now": now})
    return None
