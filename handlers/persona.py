"""Personas (提取共同特征): what a segment's accounts share and how they differ from the rest.

A segment is a spec — from a question ("churned accounts", "流失客户"), a tag, or a saved segment —
compiled by store/query.py inside the asker's scope; the baseline is every other account the asker
can see, or a second segment ("compare churn-risk accounts with healthy ones"). The figures come
from store/persona.py; this module words them in the asker's language (a templated paragraph, no
LLM), draws the chart, saves segments by name and drills into a segment ("show the 零售 ones").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import answer_text as at
from handlers import figures_held
from handlers.ask import answer, cached_context, no_access, not_understood, scope_of
from handlers.charts import comparison_chart
from handlers.messages import IncomingMessage, Reply
from handlers.parser import parse
from handlers.services import Services
from store import persona as persona_store
from store import segments, vocab
from store.identity import normalise_name
from store.models import ChatState
from store.query import (
    LOCAL_OPERATOR,
    Compiler,
    Scope,
    SpecError,
    base_select,
    find_account,
    load_catalogue,
)
from store.spec import Condition, Filter, Spec

# ----------------------------------------------------------------------------- recognising

_Q = r"[?？。.!！\s]*$"
PERSONA_PATTERNS: tuple[re.Pattern, ...] = tuple(
    re.compile(p, re.I)
    for p in (
        r"^what\s+(?:do|does)\s+(?:our\s+|the\s+|all\s+)?(?P<seg>.+?)\s+have\s+in\s+common" + _Q,
        r"^what\s+(?:do|does)\s+(?:our\s+|the\s+)?(?P<seg>.+?)\s+(?:share|have\s+in\s+common)" + _Q,
        r"^(?:what\s+are\s+)?(?:the\s+)?common\s+(?:traits|features|patterns)\s+(?:of|among|in)\s+"
        r"(?P<seg>.+?)" + _Q,
        r"^(?:persona|personas|segment\s+profile)\s+(?:of|for)\s+(?P<seg>.+?)" + _Q,
        r"^(?:describe|characterise|characterize)\s+(?:the\s+)?(?P<seg>.+?)" + _Q,
        r"^compare\s+(?:the\s+)?(?P<seg>.+?)\s+(?:with|to|against|vs\.?|versus)\s+(?P<vs>.+?)" + _Q,
        r"^how\s+(?:do|are|does)\s+(?:the\s+)?(?P<seg>.+?)\s+(?:differ|different)\s+from\s+"
        r"(?P<vs>.+?)" + _Q,
        r"^what\s+makes\s+(?:the\s+)?(?P<seg>.+?)\s+different" + _Q,
        r"^(?:对比|比较|比一比)(?:一下)?(?P<seg>.+?)(?:和|与|跟|同|对比)(?P<vs>.+?)"
        r"(?:的?(?:区别|差异|不同))?(?:在哪里?|是什么|有哪些)?" + _Q,
        r"^(?P<seg>.+?)(?:和|与|跟)(?P<vs>.+?)(?:相比)?(?:有什么|有何|有哪些|的)(?:不同|区别|差异)"
        + _Q,
        r"^(?P<seg>.+?)(?:都|一般|通常)?(?:有|有哪些|有什么|具有什么|具备什么)"
        r"(?:共同特征|共同点|共性|共同之处|共同的特点|特征|特点)" + _Q,
        r"^(?P<seg>.+?)的(?:共同特征|共同点|共性|共同之处|特征|特点|群体画像)"
        r"(?:是什么|有哪些|是)?" + _Q,
        r"^(?P<seg>.+?)群体画像" + _Q,
    )
)
REST_WORDS = {
    "the rest",
    "rest",
    "everyone else",
    "everybody else",
    "all others",
    "the others",
    "others",
    "other accounts",
    "all other accounts",
    "the other accounts",
    "everything else",
    "其他客户",
    "其余客户",
    "其他",
    "其余",
    "其他的",
    "其余的",
    "剩下的",
    "剩下的客户",
    "所有其他客户",
    "其他所有客户",
}
SAVE_PATTERNS: tuple[re.Pattern, ...] = tuple(
    re.compile(p, re.I)
    for p in (
        r"^save\s+(?:these|them|this|those|this\s+segment|these\s+accounts|the\s+segment)\s+as\s+"
        r"(?:a\s+segment\s+)?(?:called\s+|named\s+)?(?P<name>.+?)[.。!！]?$",
        r"^(?:把)?(?:这些|这批|它们|这个分群)(?:客户)?(?:保存|存)(?:为|成)(?:分群)?(?P<name>.+?)[。!！]?$",
        r"^(?:保存|存)(?:为|成)(?:分群)?(?P<name>.+?)[。!！]?$",
    )
)
DRILL_PATTERNS: tuple[re.Pattern, ...] = tuple(
    re.compile(p, re.I)
    for p in (
        r"^(?:show|list|which\s+are)\s+(?:me\s+)?(?:the\s+|those\s+|only\s+the\s+|just\s+the\s+)?"
        r"(?P<v>.+?)\s+ones" + _Q,
        r"^(?:show|list)\s+(?:me\s+)?(?:those|the\s+ones)\s+(?:in|with|on|from)\s+(?P<v>.+?)" + _Q,
        r"^(?:其中|里面|只看|看看|显示|列出)(?P<v>[^，,。]+?)的?(?:那些|客户|有哪些|是哪些)?" + _Q,
        r"^(?P<v>[^，,。]+?)的那些(?:客户)?" + _Q,
    )
)
CHURN_WORDS = re.compile(r"churn|流失|lost\s+accounts|已丢失", re.I)


def match_persona(text: str) -> tuple[str, str | None] | None:
    """(segment text, other group text or None) when the text asks for a persona."""
    t = text.strip()
    for pat in PERSONA_PATTERNS:
        m = pat.match(t)
        if m:
            seg = m.group("seg").strip(" ，,的")
            vs = (m.groupdict().get("vs") or "").strip(" ，,")
            if not seg:
                continue
            if vs and _is_rest(vs):
                vs = ""
            return seg, (vs or None)
    return None


def _is_rest(text: str) -> bool:
    t = re.sub(r"^(?:with\s+|to\s+|the\s+)", "", text.strip().lower()).strip(" ?？。.")
    t = re.sub(r"\s+accounts?$", "", t) if t not in REST_WORDS else t
    return t in REST_WORDS or t in ("rest", "others", "other")


# ----------------------------------------------------------------------------- segments


@dataclass
class Segment:
    """A group of accounts as a spec, and how the asker called it."""

    spec: Spec
    label: str
    source: str  # parser | saved | churn | everyone

    def understood(self) -> dict[str, Any]:
        return self.spec.model_dump(mode="json")


def _complement(spec: Spec) -> dict[str, Any]:
    """The default baseline as a spec: every account the asker can see that the segment leaves out."""
    bare = _bare(spec)
    if bare.mine or bare.owner or bare.team or bare.account:
        return {"not_in": bare.model_dump(mode="json")}
    return Spec(where=Condition(all=[bare.where], negate=True)).model_dump(mode="json")


def _bare(spec: Spec) -> Spec:
    """Only the part of a spec that says which accounts (no sort, paging or grouping)."""
    return Spec(where=spec.where, mine=spec.mine, owner=spec.owner, team=spec.team)


def _count(session: Session, spec: Spec, scope: Scope, as_of: dt.date) -> int:
    comp = Compiler(as_of, load_catalogue(session), session)
    sub = base_select(comp, spec, scope).subquery()
    return session.scalar(select(func.count()).select_from(sub)) or 0


def resolve_segment(
    services: Services, session: Session, text: str, msg: IncomingMessage, as_of: dt.date
) -> Segment | None:
    """A segment phrase as a spec: a saved segment, else the question parser, else churn words."""

    clean = text.strip().strip("'\"“”‘’「」")
    saved = segments.find(session, clean)
    if saved is not None:
        spec = Spec(where=Condition(all=[Filter(field="segment", value=saved.name)]))
        return Segment(spec, saved.name, "saved")
    named = find_account(session, clean, Scope.everything())
    if (
        named is not None
        and clean
        and (named.name_norm == normalise_name(clean) or clean in (named.external_id, named.domain))
    ):
        return None  # one account's name (seen or not) is the profile's business, not a segment
    scope = scope_of(session, msg.user)
    ctx = cached_context(session, scope, msg.user or None)
    spec: Spec | None = None
    for candidate in (clean, f"{clean} accounts" if not msg.zh else f"{clean}客户"):
        parsed = parse(candidate, msg.language, ctx)
        if parsed.matched and parsed.spec is not None and not parsed.spec.account:
            spec = _bare(parsed.spec)
            break
    if CHURN_WORDS.search(clean) and (spec is None or _count(session, spec, scope, as_of) == 0):
        # "churned" is a stage in one book, a status or a tag in another: the first that has
        # accounts, else the churn-risk tag
        risk = re.search(r"risk|风险|可能|预警|warning", clean, re.I)
        options = [
            Filter(field="tag", value="churn_risk"),
            Filter(field="tag", value="churn_warning"),
        ]
        if not risk:
            options = [
                Filter(field="stage", value="churned"),
                Filter(field="status", value="churned"),
                Filter(field="tag", value="churned"),
                *options,
            ]
        for flt in options:
            cand = Spec(where=Condition(all=[flt]))
            try:
                if _count(session, cand, scope, as_of) > 0:
                    return Segment(cand, clean, "churn")
            except SpecError:
                continue
    if spec is None or spec.where.is_empty() and not (spec.mine or spec.owner or spec.team):
        return None
    return Segment(spec, clean, "parser")


# ----------------------------------------------------------------------------- wording

BAND_TEXT: dict[tuple[str, str], tuple[str, str]] = {
    ("employees", "<50"): ("fewer than 50 employees", "员工少于50人"),
    ("employees", "50-199"): ("50–199 employees", "员工50–199人"),
    ("employees", "200-999"): ("200–999 employees", "员工200–999人"),
    ("employees", "1000+"): ("1,000+ employees", "员工1000人以上"),
    ("arr", "<50k"): ("ARR under 50k", "年合同额低于5万"),
    ("arr", "50k-150k"): ("ARR 50k–150k", "年合同额5万–15万"),
    ("arr", "150k-500k"): ("ARR 150k–500k", "年合同额15万–50万"),
    ("arr", "500k+"): ("ARR 500k or more", "年合同额50万以上"),
    ("annual_revenue", "<10M"): ("revenue under 10M", "年营收低于1000万"),
    ("annual_revenue", "10M-100M"): ("revenue 10M–100M", "年营收1000万–1亿"),
    ("annual_revenue", "100M+"): ("revenue 100M or more", "年营收1亿以上"),
    ("login_trend", "falling_sharply"): ("logins fell by half or more", "登录次数下降一半以上"),
    ("login_trend", "falling"): ("logins falling", "登录次数下降"),
    ("login_trend", "flat"): ("logins steady", "登录次数平稳"),
    ("login_trend", "rising"): ("logins rising", "登录次数上升"),
    ("days_since_login", "<=7"): ("logged in within 7 days", "7天内登录过"),
    ("days_since_login", "8-30"): ("last login 8–30 days ago", "8–30天未登录"),
    ("days_since_login", "31-90"): ("last login 31–90 days ago", "31–90天未登录"),
    ("days_since_login", ">90"): (
        "no login for 90+ days (or never)",
        "超过90天未登录（或从未登录）",
    ),
    ("days_to_renewal", "expired"): ("contract expired", "合同已到期"),
    ("days_to_renewal", "<=90"): ("renewal within 90 days", "90天内到期续约"),
    ("days_to_renewal", "91-180"): ("renewal in 91–180 days", "91–180天后到期"),
    ("days_to_renewal", ">180"): ("renewal more than 180 days away", "180天以后到期"),
    ("tickets_90d", "0"): ("no support tickets in 90 days", "近90天没有工单"),
    ("tickets_90d", "1-2"): ("1–2 support tickets in 90 days", "近90天1–2个工单"),
    ("tickets_90d", "3+"): ("3+ support tickets in 90 days", "近90天3个以上工单"),
    ("health_band", "green"): ("health green", "健康等级为绿"),
    ("health_band", "yellow"): ("health yellow", "健康等级为黄"),
    ("health_band", "red"): ("health red", "健康等级为红"),
    ("nps_class", "promoter"): ("NPS promoters", "NPS推荐者"),
    ("nps_class", "passive"): ("NPS passives", "NPS中立者"),
    ("nps_class", "detractor"): ("NPS detractors", "NPS贬损者"),
    ("nps_class", "none"): ("no NPS answer", "没有NPS答卷"),
    ("eb_supporter", "yes"): ("an EB (economic buyer) who supports us", "有支持我们的决策人（EB）"),
    ("eb_supporter", "no"): (
        "no EB (economic buyer) who supports us",
        "没有支持我们的决策人（EB）",
    ),
    ("contact_role", "EB"): ("an EB (economic buyer) on file", "有决策人（EB）"),
    ("contact_role", "TB"): ("a TB (technical buyer) on file", "有技术把关人（TB）"),
    ("contact_role", "UB"): ("a UB (user buyer) on file", "有使用者（UB）"),
    ("contact_attitude", "supporter"): ("a key person who supports us", "有支持我们的关键人"),
    ("contact_attitude", "neutral"): ("a neutral key person", "有态度中立的关键人"),
    ("contact_attitude", "blocker"): ("a key person who blocks us", "有反对我们的关键人"),
}
GROUPS = (
    ("who", ("Who they are", "客户属性")),
    ("people", ("Key people", "关键人")),
    ("usage", ("Usage", "产品使用")),
    ("health", ("Health, value and renewal", "健康度、价值与续约")),
    ("tags", ("Tags", "标签")),
    (
        "words",
        ("What they say (NPS comments, notes, interviews)", "他们说了什么（NPS评论、备注、访谈）"),
    ),
)
_GROUP_OF_FIELD = {
    "feature": "usage",
    "days_since_login": "usage",
    "login_trend": "usage",
    "tickets_90d": "usage",
    "health_band": "health",
    "rfm_segment": "health",
    "nps_class": "health",
    "days_to_renewal": "health",
    "tag": "tags",
    "words": "words",
}


def _in_group(traits: list[persona_store.Trait], key: str, lang: str) -> list[persona_store.Trait]:
    """The traits of one group, strongest first; words in the asker's language before others."""
    out = [t for t in traits if _group_of(t) == key]
    if key == "words":
        out.sort(key=lambda t: (vocab.is_zh(t.value) != (lang == "zh"), -abs(t.z)))
    return out


def _group_of(t: persona_store.Trait) -> str:
    if t.kind == "people":
        return "people"
    return _GROUP_OF_FIELD.get(t.field, "who")


def _spelling(t: persona_store.Trait, lang: str) -> str:
    spellings = t.spellings or {t.value: 1}
    own = {k: n for k, n in spellings.items() if vocab.is_zh(k) == (lang == "zh")}
    pool = own or spellings
    return max(pool.items(), key=lambda kv: (kv[1], kv[0]))[0]


def trait_text(t: persona_store.Trait, lang: str) -> str:
    """A trait in words: 'industry Retail', '行业：零售', 'uses workflow', '提到“价格”'."""
    zh = lang == "zh"
    if (t.field, t.value) in BAND_TEXT:
        return BAND_TEXT[(t.field, t.value)][1 if zh else 0]
    if t.field in ("arr", "employees", "annual_revenue", "days_to_renewal", "login_trend"):
        return t.value
    if t.field == "feature":
        name = _spelling(t, lang)
        return f"近90天使用过 {name} 功能" if zh else f"used {name} in the last 90 days"
    if t.field == "words":
        return f"提到“{t.value}”" if zh else f"mention “{t.value}”"
    if t.field == "tag":
        return f"标签：{at.tag_text(t.value, lang)}" if zh else f"tagged {t.value}"
    if t.field == "eb_title":
        return f"决策人职位：{_spelling(t, lang)}" if zh else f"EB title {_spelling(t, lang)}"
    if t.field == "rfm_segment":
        name = vocab.shown("rfm_segment", t.value, lang)
        return f"RFM分群：{name}" if zh else f"RFM segment {name}"
    value = _spelling(t, lang)
    if zh and t.field in ("status", "tier"):
        value = at.tag_text(value, lang)
    if zh and t.field in vocab.FIELDS and not vocab.is_zh(value):
        value = vocab.label(t.field, t.value, "zh") or value
    label = at.label(t.field, lang)
    return f"{label}：{value}" if zh else f"{label} {value}"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _lift_text(t: persona_store.Trait) -> str:
    if t.lift is None:
        return "only here"
    return f"×{t.lift:.1f}" if t.lift >= 1 else f"×{t.lift:.2f}"


def trait_line(t: persona_store.Trait, lang: str, flag: bool = True) -> str:
    zh = lang == "zh"
    small = (" ⚠样本少" if zh else " ⚠ few") if t.small and flag else ""
    lift = _lift_text(t) if not (zh and t.lift is None) else "仅见于本组"
    if zh:
        return (
            f"• {trait_text(t, lang)}：{_pct(t.segment_share)} 对比 {_pct(t.baseline_share)}"
            f"（{lift}，{t.segment_count} 个客户）{small}"
        )
    return (
        f"• {trait_text(t, lang)}: {_pct(t.segment_share)} vs {_pct(t.baseline_share)} "
        f"({lift}, {t.segment_count} accounts){small}"
    )


def persona_paragraph(
    comp: persona_store.Comparison, seg_name: str, base_name: str, lang: str
) -> str:
    """The persona in one short paragraph, from the figures only."""
    zh = lang == "zh"
    over = [t for t in comp.traits if t.over]
    under = [t for t in comp.traits if not t.over]
    if not comp.traits:
        if zh:
            return (
                f"{seg_name}与{base_name}之间没有足够明显的差异"
                f"（比较了 {comp.tested} 项特征，按错误发现率 5% 控制）。"
            )
        return (
            f"No difference between {seg_name} and {base_name} is clear enough to report "
            f"({comp.tested} traits compared, false-discovery rate 5%)."
        )
    # the strongest trait of each kind first (who, people, usage, health, tags, words), then the
    # second of each: a persona reads across dimensions rather than six variants of one
    by_group = [_in_group(over, key, lang) for key, _names in GROUPS]
    picks: list[persona_store.Trait] = []
    for rank in range(2):
        tier = [g[rank] for g in by_group if len(g) > rank]
        picks += sorted(tier, key=lambda t: -abs(t.z))
    picks = picks[:6]
    rare = [t for t in under if t.field != "words"][:3]
    if zh:
        zh_parts = []
        if picks:
            zh_parts.append(
                "更常见的是"
                + "、".join(
                    f"{trait_text(t, lang)}（{_pct(t.segment_share)}，{base_name}为{_pct(t.baseline_share)}）"
                    for t in picks
                )
            )
        if rare:
            zh_parts.append(
                "较少见的是"
                + "、".join(
                    f"{trait_text(t, lang)}（{_pct(t.segment_share)}，{base_name}为{_pct(t.baseline_share)}）"
                    for t in rare
                )
            )
        return f"典型的{seg_name}：" + "；".join(zh_parts) + "。"
    text = f"A typical account among {seg_name}: "
    parts = []
    if picks:
        parts.append(
            "more often: "
            + "; ".join(
                f"{trait_text(t, lang)} ({_pct(t.segment_share)} vs {_pct(t.baseline_share)} of {base_name})"
                for t in picks
            )
        )
    if rare:
        parts.append(
            "less often: "
            + "; ".join(
                f"{trait_text(t, lang)} ({_pct(t.segment_share)} vs {_pct(t.baseline_share)})"
                for t in rare
            )
        )
    return text + ", and ".join(parts) + "."


CAUSATION = (
    "Correlation is not causation: these traits go together with the segment; they do not show "
    "what causes it.",
    "相关不等于因果：这些特征与该分群同时出现，并不说明是它们导致了结果。",
)


# ----------------------------------------------------------------------------- answering


def persona_reply(
    services: Services,
    session: Session,
    msg: IncomingMessage,
    seg_text: str,
    vs_text: str | None = None,
    *,
    save_as: str | None = None,
    chart: bool = True,
) -> Reply:
    """Compare a segment with the rest of the asker's book (or with a second segment)."""

    zh = msg.zh
    lang = msg.language
    as_of = services.today(msg.as_of)
    scope = scope_of(session, msg.user)
    if scope.kind == "none" and msg.user != LOCAL_OPERATOR:
        return no_access(msg, None)
    seg = resolve_segment(services, session, seg_text, msg, as_of)
    if seg is None:
        reply = not_understood(msg)
        hint = (
            f"我没能把“{seg_text}”理解成一组客户。可以这样问：流失客户有什么共同特征 / 对比有流失风险的客户和其他客户"
            if zh
            else f"I could not read “{seg_text}” as a group of accounts. Try: what do churned "
            "accounts have in common / compare churn-risk accounts with the rest"
        )
        reply.text = hint
        reply.data["text"] = hint
        return reply
    other: Segment | None = None
    if vs_text:
        other = resolve_segment(services, session, vs_text, msg, as_of)
        if other is None:
            text = (
                f"我没能把“{vs_text}”理解成一组客户。"
                if zh
                else f"I could not read “{vs_text}” as a group of accounts."
            )
            return Reply(
                text=text,
                kind="error",
                language=lang,
                data={"text": text, "understood": None, "accounts": []},
            )
    comp_sql = Compiler(as_of, load_catalogue(session), session)
    base_spec = other.spec if other else Spec()
    try:
        comparison = persona_store.compare(
            session,
            base_select(comp_sql, seg.spec, scope),
            base_select(comp_sql, base_spec, scope),
            as_of,
            exclude=_defining_fields(seg.spec) | (_defining_fields(other.spec) if other else set()),
        )
    except SpecError as exc:
        text = f"这个分群无法查询：{exc}" if zh else f"That segment cannot be queried: {exc}"
        return Reply(text=text, kind="error", language=lang, data={"text": text, "accounts": []})
    fields = load_catalogue(session)
    seg_name = _segment_name(seg, lang, fields)
    base_name = (
        _segment_name(other, lang, fields)
        if other
        else ("其他客户" if zh else "the other accounts")
    )
    text, sections = _compose(comparison, seg_name, base_name, lang, other is not None)
    saved_note = ""
    if save_as:
        row, created = segments.save(
            session, save_as, seg.spec, source_text=seg_text, by=msg.user or None
        )
        saved_note = f"已保存为分群“{row.name}”。" if zh else f"Saved as segment “{row.name}”."
        sections.append(("", saved_note))
    data = {
        "text": "\n".join([text, *[(f"{h}\n{b}" if h else b) for h, b in sections]]),
        "segment": {
            "size": comparison.segment_size,
            "understood": seg.understood(),
            "label": seg_name,
            "small": comparison.segment_size < persona_store.SMALL_GROUP,
        },
        "baseline": {
            "size": comparison.baseline_size,
            "understood": other.understood() if other else _complement(seg.spec),
            "label": base_name,
            "small": comparison.baseline_size < persona_store.SMALL_GROUP,
        },
        "overlap": comparison.overlap,
        "tested": comparison.tested,
        "traits": [{**t.as_json(), "label": trait_text(t, lang)} for t in comparison.traits],
        "understood": seg.understood(),
        "accounts": [],
        "as_of": as_of.isoformat(),
    }
    png = None
    if chart and comparison.traits:
        png = _chart(comparison, seg_name, base_name, lang)
    _remember(session, msg, seg, other)
    reply = Reply(
        text=text,
        sections=sections,
        kind="answer",
        language=lang,
        data=data,
        private=True,
        chart=png,
    )
    return figures_held.stamp(session, reply, as_of, zh)


def _defining_fields(spec: Spec) -> set[str]:
    return {f.field for f in spec.where.filters()} | ({"owner"} if spec.owner else set())


def _segment_name(seg: Segment, lang: str, fields) -> str:  # noqa: ANN001
    """The group as the asker named it ("churned accounts", "流失客户"), else in the spec's words."""
    if seg.source == "saved":
        return f"分群“{seg.label}”" if lang == "zh" else f"segment “{seg.label}”"
    label = re.sub(r"^(?:our|the|all|my)\s+", "", seg.label.strip(), flags=re.I)
    if 0 < len(label) <= 40:
        if lang == "zh":
            return label if re.search(r"(?:客户|公司|账户|企业)$", label) else f"{label}客户"
        return (
            label
            if re.search(r"\b(?:accounts?|customers?|clients?|companies)$", label, re.I)
            else f"{label} accounts"
        )
    return at.accounts_phrase(seg.spec, lang, fields)


def _compose(
    comp: persona_store.Comparison,
    seg_name: str,
    base_name: str,
    lang: str,
    explicit_vs: bool = False,
) -> tuple[str, list[tuple[str, str]]]:
    zh = lang == "zh"
    if zh:
        head = (
            f"{seg_name}（{comp.segment_size} 个）对比{base_name}（{comp.baseline_size} 个），"
            f"比较了 {comp.tested} 项特征，差异明显的有 {len(comp.traits)} 项，按强弱排序："
        )
    else:
        head = (
            f"{at._cap(seg_name)} ({comp.segment_size}) against {base_name} "
            f"({comp.baseline_size}): {len(comp.traits)} of {comp.tested} traits differ "
            "clearly, strongest first:"
        )
    if explicit_vs and comp.overlap:
        head += (
            f"（两组重叠 {comp.overlap} 个，已从对照组中去除）"
            if zh
            else f" ({comp.overlap} accounts in both groups were left out of the baseline)"
        )
    sections: list[tuple[str, str]] = []
    if comp.small:
        sections.append(
            (
                "",
                "⚠ 样本较小（少于20个客户），以下差异仅供参考。"
                if zh
                else "⚠ Small group (fewer than 20 accounts): treat these differences as hints.",
            )
        )
    sections.append(("", persona_paragraph(comp, seg_name, base_name, lang)))
    for key, names in GROUPS:
        group = _in_group(comp.traits, key, lang)[: 4 if key == "words" else 6]
        lines = [trait_line(t, lang, flag=not comp.small) for t in group]
        if lines:
            sections.append((names[1 if zh else 0], "\n".join(lines)))
    if comp.common:
        shared = "、".join if zh else "; ".join
        sections.append(
            (
                "多数客户共有" if zh else "Most of them share",
                shared(
                    f"{trait_text(t, lang)}（{_pct(t.segment_share)}）"
                    if zh
                    else f"{trait_text(t, lang)} ({_pct(t.segment_share)})"
                    for t in comp.common[:5]
                ),
            )
        )
    sections.append(("", CAUSATION[1 if zh else 0]))
    return head, sections


def _chart(comp: persona_store.Comparison, seg_name: str, base_name: str, lang: str):  # noqa: ANN202
    zh = lang == "zh"
    top = comp.traits[:8]
    return comparison_chart(
        title_zh=f"{seg_name}与{base_name}的差异",
        title_en=f"How {seg_name} differ from {base_name}",
        labels=[trait_text(t, lang) for t in top],
        segment=[t.segment_share for t in top],
        baseline=[t.baseline_share for t in top],
        segment_name=seg_name,
        baseline_name=base_name,
        lang="zh" if zh else "en",
    )


# ----------------------------------------------------------------------------- conversation


def _state(session: Session, user: str) -> tuple[ChatState | None, dict[str, Any]]:
    row = session.get(ChatState, user) if user else None
    return row, dict(row.state or {}) if row else {}


def _remember(session: Session, msg: IncomingMessage, seg: Segment, other: Segment | None) -> None:
    if not msg.user:
        return
    row, state = _state(session, msg.user)
    state["persona"] = {
        "segment": seg.understood(),
        "label": seg.label,
        "source": seg.source,
        "vs": other.understood() if other else None,
        "language": msg.language,
    }
    state["last"] = "persona"
    if row is None:
        session.add(ChatState(user_handle=msg.user, state=state))
    else:
        row.state = state
    session.flush()


def last_segment_spec(session: Session, user: str) -> tuple[Spec, str] | None:
    """The accounts of the asker's last answer: a persona's segment or a list's spec."""
    _row, state = _state(session, user)
    if state.get("last") == "persona" and state.get("persona"):
        return Spec.model_validate(state["persona"]["segment"]), "persona"
    ask = state.get("ask")
    if ask and ask.get("spec"):
        return Spec.model_validate(ask["spec"]), "ask"
    return None


def _save(services: Services, session: Session, msg: IncomingMessage, name: str) -> Reply:
    zh = msg.zh
    last = last_segment_spec(session, msg.user)
    name = name.strip().strip("'\"“”‘’「」").strip()
    if last is None or not name:
        text = (
            "先问一组客户（例如“流失客户有什么共同特征”），再说“保存为 名称”。"
            if zh
            else "Ask about a group of accounts first (e.g. 'what do churned accounts have in "
            "common'), then say 'save these as NAME'."
        )
        return Reply(text=text, kind="error", language=msg.language, data={"text": text})
    spec, _kind = last
    if spec.account:
        text = (
            "单个客户不能保存为分群。" if zh else "A single account cannot be saved as a segment."
        )
        return Reply(text=text, kind="error", language=msg.language, data={"text": text})
    row, created = segments.save(session, name, spec, source_text=msg.text, by=msg.user)

    n = _count(
        session,
        Spec(where=Condition(all=[Filter(field="segment", value=row.name)])),
        scope_of(session, msg.user),
        services.today(msg.as_of),
    )
    if zh:
        text = (
            f"已{'保存' if created else '更新'}分群“{row.name}”（目前你可见的有 {n} 个客户）。"
            f"之后可以问“{row.name}的客户”，或在规则和日报里用它。"
        )
    else:
        text = (
            f"{'Saved' if created else 'Updated'} segment “{row.name}” ({n} accounts you can see "
            f"now). Use it in questions ('{row.name} accounts renewing next quarter'), rules and "
            "digests."
        )
    return Reply(
        text=text,
        kind="answer",
        language=msg.language,
        data={"text": text, "segment": {"name": row.name, "size": n, "understood": row.spec}},
    )


def _drill(services: Services, session: Session, msg: IncomingMessage, value: str) -> Reply | None:
    """'show the 零售 ones' after a persona: the segment's accounts that also match the value."""

    _row, state = _state(session, msg.user)
    if state.get("last") != "persona" or not state.get("persona"):
        return None
    seg = Spec.model_validate(state["persona"]["segment"])
    ctx = cached_context(session, scope_of(session, msg.user), msg.user or None)
    extra: Spec | None = None
    for candidate in (value, f"{value} accounts" if not msg.zh else f"{value}客户"):
        parsed = parse(candidate, msg.language, ctx)
        if parsed.matched and parsed.spec is not None and not parsed.spec.where.is_empty():
            extra = parsed.spec
            break
    if extra is None:
        return None
    spec = Spec(
        where=Condition(all=[seg.where, extra.where]),
        mine=seg.mine or extra.mine,
        owner=seg.owner or extra.owner,
        team=seg.team or extra.team,
        sort=extra.sort,
    )
    return answer(services, session, msg, spec)


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """Persona questions, 'save these as …' and a drill-down right after a persona."""
    text = msg.text.strip()
    if not text or msg.file_path:
        return None
    for pat in SAVE_PATTERNS:
        m = pat.match(text)
        if m:
            with services.session_factory.begin() as s:
                return [_save(services, s, msg, m.group("name"))]
    found = match_persona(text)
    if found is not None:
        seg_text, vs_text = found
        with services.session_factory.begin() as s:
            # "compare Acme with Beta" (two accounts) or "Acme的画像" (one) are not segments:
            # leave them to the conversation and profile handlers
            if resolve_segment(services, s, seg_text, msg, services.today(msg.as_of)) is None:
                return None
            return [persona_reply(services, s, msg, seg_text, vs_text)]
    for pat in DRILL_PATTERNS:
        m = pat.match(text)
        if m:
            with services.session_factory.begin() as s:
                reply = _drill(services, s, msg, m.group("v").strip())
            if reply is not None:
                return [reply]
            break
    return None
