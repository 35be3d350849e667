"""Charts on request ("chart ARR by region", "按地区画一个年合同额的图", "pie of value tiers").

The question (without its chart words) goes through the same understanding as `ask`, so a chart
is a door of the spine: a breakdown spec becomes bars (a pie when asked, or for value tiers), and
three shapes a breakdown cannot carry have their own reading — ARR at risk by renewal month (the
churn-risk accounts' ARR by the month their contract ends), logins per week for an account or a
segment (a line over the last 12 weeks), and a segment's persona (handled by handlers/persona.py).
Regional distribution is a ranked bar (no offline province map ships with the package).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import answer_text as at
from handlers import figures_held
from handlers.ask import no_access, scope_of, understand
from handlers.charts import bar_chart, line_chart, pie_chart
from handlers.messages import IncomingMessage, Reply
from handlers.persona import BAND_TEXT
from handlers.services import Services
from store import vocab
from store.models import Account, Event
from store.persona import BANDS, band_of
from store.query import (
    LOCAL_OPERATOR,
    Compiler,
    SpecError,
    account_rows,
    base_select,
    find_account,
    load_catalogue,
    run,
)
from store.spec import Aggregate, Condition, Filter, RelativeDate, Spec

CHART_EN = re.compile(
    r"^(?:please\s+)?(?:(?:draw|make|give\s+me|show(?:\s+me)?)\s+(?:an?\s+)?)?"
    r"(?P<kind>chart|plot|graph|visuali[sz]e|pie(?:\s+chart)?|bar\s+chart|line\s+chart|"
    r"donut(?:\s+chart)?)\s*(?:of|for|showing|with|by)?\s+(?P<q>.+?)[\s?.!]*$",
    re.I,
)
CHART_EN_TAIL = re.compile(
    r"^(?P<q>.+?)\s+(?:as\s+an?\s+)?(?P<kind>chart|graph|plot|pie(?:\s+chart)?|bar\s+chart|"
    r"line\s+chart)[\s?.!]*$",
    re.I,
)
CHART_ZH = re.compile(
    r"画(?!像)|图表|饼图|柱状图|条形图|折线图|趋势图|分布图|[^地]图[吧。！!？?]*$"
)
_ZH_STRIP = re.compile(
    r"(?:请|帮我|给我)?(?:画(?!像)|做|生成)(?:一个|一张|个|张)?|(?:的)?(?:饼图|柱状图|条形图|折线图|趋势图|分布图|图表|图)"
    r"|[吧。！!？?]+$"
)
PIE = re.compile(r"pie|donut|饼", re.I)
LINE_WEEKS = 12


def match_chart(text: str) -> tuple[str, str] | None:
    """(question without the chart words, 'pie' | 'bar' | 'line' | '') for a chart request."""
    t = text.strip()
    if _LOGINS_WEEK_ONLY.search(t) or _RISK_BY_MONTH.search(t):
        # shapes that only a chart answers: asked without a chart word too
        shape = "line" if _LOGINS_WEEK_ONLY.search(t) else ""
        inner = re.sub(r"^(?:chart|plot|graph|show(?:\s+me)?)\s+(?:of\s+)?", "", t, flags=re.I)
        inner = re.sub(r"\s+(?:chart|graph|plot)[\s?.!]*$", "", inner, flags=re.I)
        return _ZH_STRIP.sub(" ", inner).strip(" ，,") or t, shape
    for pat in (CHART_EN, CHART_EN_TAIL):
        m = pat.match(t)
        if m:
            kind = m.group("kind").lower()
            shape = "pie" if PIE.search(kind) else "line" if "line" in kind else ""
            return m.group("q").strip(), shape
    if CHART_ZH.search(t):
        shape = "pie" if "饼" in t else "line" if ("折线" in t or "趋势" in t) else ""
        q = _ZH_STRIP.sub(" ", t).strip(" ，,的")
        return re.sub(r"\s+", "", q) or t, shape
    return None


# ----------------------------------------------------------------------------- special shapes

_RISK_MONTH = re.compile(
    r"(?:at[\s-]risk|risk).*(?:renewal|renew|contract\s+end|expir).*month|"
    r"(?:风险|流失).*(?:续约|到期|续费).*月|(?:续约|到期).*月.*(?:风险|流失)",
    re.I,
)
_LOGINS_WEEK = re.compile(
    r"logins?\s+(?:per|by|a|each)\s+week|weekly\s+logins?|login\s+trend|"
    r"每周(?:的)?登录|登录(?:次数)?(?:的)?(?:周)?趋势|按周(?:的)?登录",
    re.I,
)
_LOGIN_TARGET = re.compile(
    r"(?:logins?\s+(?:per|by|a|each)\s+week|weekly\s+logins?|login\s+trend)\s+(?:for|of|at)\s+"
    r"(?P<en>.+)$|^(?:for\s+)?(?P<pre>.+?)\s+(?:logins?\s+per\s+week|weekly\s+logins?|login\s+trend)$"
    r"|^(?P<zh>.+?)的?(?:每周(?:的)?登录|登录(?:次数)?(?:的)?(?:周)?趋势|按周(?:的)?登录)",
    re.I,
)
# asked without a chart word, only these phrasings mean a chart ("total ARR of churn-risk accounts
# ending next month" is a question for ask, not a chart)
_RISK_BY_MONTH = re.compile(
    r"(?:at[\s-]risk|risk).*\b(?:by|per)\s+(?:renewal|contract[\s-]end|expiry)\s+month|"
    r"按(?:续约|到期|合同到期)月份.*(?:风险|流失)|(?:风险|流失).*按(?:续约|到期|合同到期)月份",
    re.I,
)
_LOGINS_WEEK_ONLY = re.compile(
    r"logins?\s+(?:per|by|a|each)\s+week|weekly\s+logins?|每周(?:的)?登录|按周(?:的)?登录", re.I
)
# words a breakdown question may use that the question parser does not know as a grouping
_GROUP_WORDS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"rfm|RFM分群|RFM分组", re.I), "rfm_segment"),
    (re.compile(r"health\s*(?:bands?|distribution)?|健康(?:等级|度|分布)", re.I), "health_band"),
    (re.compile(r"value\s+tiers?|tiers?|价值分层|价值层级|客户等级|客户分层", re.I), "tier"),
    (re.compile(r"nps\s*(?:class|classes)?|NPS类别|NPS分类", re.I), "nps_class"),
    (re.compile(r"regions?|regional|provinces?|地区|区域|省份|地域", re.I), "province"),
    (re.compile(r"industr(?:y|ies)|行业", re.I), "industry"),
    (re.compile(r"plans?|订阅版本|版本", re.I), "plan"),
    (re.compile(r"cit(?:y|ies)|城市", re.I), "city"),
)
_ARR = re.compile(r"\barr\b|年合同额|合同额|revenue|营收", re.I)


def _scope(session: Session, user: str):  # noqa: ANN202

    return scope_of(session, user)


def _spec_of(services: Services, session: Session, msg: IncomingMessage, q: str) -> Spec | None:

    inner = IncomingMessage(
        user=msg.user, text=q, platform=msg.platform, language=msg.language, as_of=msg.as_of
    )
    spec, _source, _parsed = understand(services, session, inner, services.today(msg.as_of))
    return spec


def _risk_by_month(
    session: Session, msg: IncomingMessage, as_of: dt.date
) -> tuple[Reply, list[dict[str, Any]]]:
    zh = msg.zh
    spec = Spec(
        where=Condition(
            all=[
                Filter(field="tag", value="churn_risk"),
                Filter(
                    field="contract_end",
                    op="between",
                    value=[RelativeDate(days=0), RelativeDate(days=365)],
                ),
            ]
        )
    )
    rows = account_rows(session, spec, _scope(session, msg.user), as_of, ["arr", "contract_end"])
    months: dict[str, list[float]] = {}
    for r in rows:
        end = r.get("contract_end")
        if end is None:
            continue
        key = f"{end.year}-{end.month:02d}"
        months.setdefault(key, []).append(float(r.get("arr") or 0))
    order = sorted(months)
    groups = [{"key": k, "count": len(months[k]), "value": sum(months[k])} for k in order]
    chart = bar_chart(
        title_zh="按续约月份的风险年合同额（有流失风险的客户）",
        title_en="ARR at risk by renewal month (churn-risk accounts)",
        labels=order,
        values=[g["value"] for g in groups],
        lang=msg.language,
        xlabel_zh="年合同额",
        xlabel_en="ARR",
    )
    total = sum(g["value"] for g in groups)
    if zh:
        text = f"未来12个月到期、有流失风险的客户共 {len(rows)} 个，年合同额合计 {at.money(total)}，按到期月份："
    else:
        text = (
            f"{len(rows)} churn-risk accounts renew in the next 12 months, {at.money(total)} ARR "
            "at risk, by renewal month:"
        )
    body = "\n".join(f"• {g['key']}: {at.money(g['value'])} ({g['count']})" for g in groups)
    return Reply(
        text=text,
        sections=[("", body)] if body else [],
        chart=chart,
        data={"understood": spec.model_dump(mode="json"), "rows": groups, "total": len(rows)},
    ), groups


def _logins_per_week(
    services: Services, session: Session, msg: IncomingMessage, target: str, as_of: dt.date
) -> Reply | None:
    zh = msg.zh
    scope = _scope(session, msg.user)
    acc = find_account(session, target, scope) if target else None
    if acc is not None:
        ids = [acc.id]
        name = acc.name
        spec = Spec(account=acc.name)
    else:
        spec = _spec_of(services, session, msg, target) if target else Spec()
        if spec is None or spec.account:
            return None
        comp = Compiler(as_of, load_catalogue(session), session)
        ids = list(
            session.scalars(
                base_select(comp, spec.model_copy(update={"sort": [], "limit": None}), scope)
            )
        )
        name = at.accounts_phrase(spec, msg.language, load_catalogue(session))
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    first_monday = as_of - dt.timedelta(days=as_of.weekday()) - dt.timedelta(weeks=LINE_WEEKS - 1)
    start = dt.datetime.combine(first_monday, dt.time())
    counts = [0] * LINE_WEEKS
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        for (ts,) in session.execute(
            select(Event.ts).where(
                Event.account_id.in_(chunk),
                Event.type == "login",
                Event.ts >= start,
                Event.ts < end,
            )
        ):
            week = (ts.date() - first_monday).days // 7
            if 0 <= week < LINE_WEEKS:
                counts[week] += 1
    labels = [(first_monday + dt.timedelta(weeks=w)).strftime("%m-%d") for w in range(LINE_WEEKS)]
    chart = line_chart(
        title_zh=f"{name} 每周登录次数（近{LINE_WEEKS}周）",
        title_en=f"Logins per week — {name} (last {LINE_WEEKS} weeks)",
        labels=labels,
        values=counts,
        lang=msg.language,
        ylabel_zh="登录次数",
        ylabel_en="logins",
    )
    if zh:
        text = f"{name} 近{LINE_WEEKS}周每周登录次数（周一起算）：" + "、".join(
            f"{lbl} {c}" for lbl, c in zip(labels, counts, strict=True)
        )
    else:
        text = (
            f"Logins per week for {name}, last {LINE_WEEKS} weeks (weeks start Monday): "
            + ", ".join(f"{lbl} {c}" for lbl, c in zip(labels, counts, strict=True))
        )
    return Reply(
        text=text,
        chart=chart,
        data={
            "understood": spec.model_dump(mode="json"),
            "rows": [
                {"key": lbl, "count": c, "value": c} for lbl, c in zip(labels, counts, strict=True)
            ],
        },
    )


def _group_field(q: str) -> str | None:
    for pat, key in _GROUP_WORDS:
        if pat.search(q):
            return key
    return None


def chart_reply(
    services: Services, session: Session, msg: IncomingMessage, q: str, shape: str
) -> Reply:
    """The chart answering a question, with a short text and the figures behind it."""

    zh = msg.zh
    lang = msg.language
    as_of = services.today(msg.as_of)
    scope = _scope(session, msg.user)
    if scope.kind == "none" and msg.user != LOCAL_OPERATOR:
        return no_access(msg, None)
    reply: Reply | None = None
    if _RISK_MONTH.search(q):
        reply, _groups = _risk_by_month(session, msg, as_of)
    elif _LOGINS_WEEK.search(q):
        m = _LOGIN_TARGET.search(q.strip())
        target = ""
        if m:
            target = (m.group("en") or m.group("pre") or m.group("zh") or "").strip(" ，,的")
        reply = _logins_per_week(services, session, msg, target, as_of)
    else:
        reply = _breakdown_chart(services, session, msg, q, shape, as_of)
    if reply is None:
        text = (
            "我没能把这个请求画成图。可以这样说：按地区画年合同额的图 / 价值分层饼图 / 某客户每周登录趋势 / 按续约月份的风险年合同额"
            if zh
            else "I could not turn that into a chart. Try: chart ARR by region / pie of value tiers "
            "/ logins per week for ACCOUNT / ARR at risk by renewal month / RFM segments chart"
        )
        return Reply(
            text=text,
            kind="error",
            language=lang,
            data={"text": text, "understood": None, "accounts": []},
        )
    reply.kind = "answer"
    reply.language = lang
    reply.private = True
    data = dict(reply.data)
    data.setdefault("accounts", [])
    data["text"] = reply.text + "".join(f"\n{b}" for _h, b in reply.sections)
    data["as_of"] = as_of.isoformat()
    reply.data = data
    return figures_held.stamp(session, reply, as_of, zh)


def _breakdown_chart(
    services: Services, session: Session, msg: IncomingMessage, q: str, shape: str, as_of: dt.date
) -> Reply | None:
    zh = msg.zh
    lang = msg.language
    try:
        spec = _spec_of(services, session, msg, q)
    except SpecError:
        spec = None
    field = _group_field(q)
    if spec is None or not spec.group_by:
        if field is None:
            return None
        base = spec if spec is not None and not spec.account else Spec()
        agg = Aggregate(func="sum", field="arr") if _ARR.search(q) else None
        spec = base.model_copy(
            update={"group_by": field, "aggregate": agg, "limit": None, "sort": []}
        )
    pie = bool(shape == "pie" or (not shape and spec.group_by == "tier"))
    if spec.group_by == "tier" and not _has_values(session, "tier"):
        return _arr_tiers(session, msg, as_of, pie)
    res = run(session, spec, _scope(session, msg.user), as_of, language=lang)
    measured = (
        spec.aggregate is not None and spec.aggregate.func != "count" and spec.aggregate.field
    )
    groups = res.groups
    none_label = "（空）" if zh else "(none)"
    if spec.group_by == "rfm_segment":
        none_label = "无购买" if zh else "no purchases"
    labels = [_group_label(spec.group_by, g["key"], lang) or none_label for g in groups]
    values = [float(g["value"] or 0) if measured else float(g["count"]) for g in groups]
    fields = load_catalogue(session)
    head = at.breakdown_head(spec, res.total, lang, fields)
    what_zh = at.label(spec.aggregate.field, "zh") if measured else "客户数"
    what_en = at.label(spec.aggregate.field, "en") if measured else "Accounts"
    by_zh, by_en = at.label(spec.group_by, "zh"), at.label(spec.group_by, "en")
    title_zh, title_en = f"按{by_zh}的{what_zh}", f"{what_en} by {by_en.lower()}"
    if pie:
        chart = pie_chart(
            title_zh=title_zh, title_en=title_en, labels=labels, values=values, lang=lang
        )
    else:
        chart = bar_chart(
            title_zh=title_zh,
            title_en=title_en,
            labels=labels,
            values=values,
            lang=lang,
            xlabel_zh=what_zh,
            xlabel_en=what_en,
        )
    body = "\n".join(
        f"• {lbl}: {g['count']}"
        + (f" · {at.format_value(spec.aggregate.field, g['value'], lang)}" if measured else "")
        for lbl, g in zip(labels, groups, strict=True)
    )
    rows = [{"key": g["key"], "count": g["count"], "value": g["value"]} for g in groups]
    return Reply(
        text=head,
        sections=[("", body)] if body else [],
        chart=chart,
        data={"understood": spec.model_dump(mode="json"), "rows": rows, "total": res.total},
    )


_BAND_ZH = {
    "green": "绿",
    "yellow": "黄",
    "red": "红",
    "promoter": "推荐者",
    "passive": "中立者",
    "detractor": "贬损者",
}


def _group_label(field: str | None, key: Any, lang: str) -> str:
    if key in (None, ""):
        return ""
    text = str(key)
    if lang != "zh":
        return text
    if field == "rfm_segment":
        return vocab.shown("rfm_segment", text, lang)
    if field in ("health_band", "nps_class"):
        return _BAND_ZH.get(text.lower(), text)
    if field in ("tier", "status"):
        return at.tag_text(text, lang)
    return text


def _has_values(session: Session, key: str) -> bool:

    col = getattr(Account, key)
    return (
        session.scalar(select(func.count(func.distinct(col))).where(col.is_not(None))) or 0
    ) >= 2


def _arr_tiers(session: Session, msg: IncomingMessage, as_of: dt.date, pie: bool) -> Reply:
    """Value tiers by ARR band when the book has no tier field filled."""

    zh = msg.zh
    rows = account_rows(session, Spec(), _scope(session, msg.user), as_of, ["arr"])
    order = [code for _b, code in BANDS["arr"]]
    counts = dict.fromkeys(order, 0)
    for r in rows:
        code = band_of("arr", r.get("arr"))
        if code:
            counts[code] += 1
    labels = [BAND_TEXT[("arr", c)][1 if zh else 0] for c in order]
    values = [float(counts[c]) for c in order]
    title_zh, title_en = "价值分层（按年合同额）", "Value tiers (by ARR)"
    chart = (pie_chart if pie else bar_chart)(
        title_zh=title_zh, title_en=title_en, labels=labels, values=values, lang=msg.language
    )
    text = (
        "价值分层（按年合同额），共 {} 个客户：" if zh else "Value tiers by ARR, {} accounts:"
    ).format(len(rows))
    body = "\n".join(f"• {lbl}: {int(v)}" for lbl, v in zip(labels, values, strict=True))
    return Reply(
        text=text,
        sections=[("", body)],
        chart=chart,
        data={
            "understood": {"group_by": "arr_band"},
            "rows": [{"key": c, "count": counts[c], "value": None} for c in order],
        },
    )


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """A chart request in chat."""
    if msg.file_path:
        return None
    found = match_chart(msg.text)
    if found is None:
        return None
    q, shape = found
    with services.session_factory.begin() as s:
        return [chart_reply(services, s, msg, q, shape)]
