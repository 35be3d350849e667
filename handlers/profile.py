"""The profile card (客户画像): one account's four dimensions, key people, tags, health, RFM and
completeness — as a JSON-able dict (`profile_card`) and as a phone-sized chat reply
(`profile_reply`). Also the chat commands that add custom fields ("add field …" / "添加字段 …").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.actions import ActionId
from handlers.answer_text import reason_text
from handlers.figures_held import figures_field
from handlers.figures_held import note as figures_note
from handlers.messages import Button, IncomingMessage, Reply
from handlers.services import Services
from store import audit, completeness, health, rfm
from store.customfields import TYPE_ALIASES, FieldError, add_field, slug, values_for
from store.fields import ACCOUNT_FIELDS, FIGURE_FIELDS
from store.models import (
    Account,
    AccountFigures,
    AccountTag,
    Contact,
    CustomField,
    NpsResponse,
    Rule,
)
from store.notes import recent_notes
from store.query import Scope, find_account, find_user, scope_for, sees
from store.refresh import held, mark_stale
from store.spec import Spec
from store.vocab import shown

log = logging.getLogger(__name__)

ROLE_ORDER = ("EB", "TB", "UB")
ROLE_NAMES_EN = {"EB": "Economic buyer", "TB": "Technical buyer", "UB": "User buyer"}
MAX_MISSING_SHOWN = 5
MAX_QUESTIONS = 3


# --------------------------------------------------------------------------- the card as data


def _json_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _figures_dict(fig: AccountFigures | None) -> dict[str, Any]:
    if fig is None:
        return {}
    return {c.name: getattr(fig, c.name) for c in AccountFigures.__table__.columns}


def _health(figs: dict[str, Any], lang: str) -> dict[str, Any]:
    comps = figs.get("health_components") or {}
    out = {}
    for key in health.COMPONENTS:
        c = comps.get(key) or {"score": None, "weight": 0.0}
        out[key] = {
            "label": health.label(key, lang),
            "score": c.get("score"),
            "weight": c.get("weight"),
            "why": health.explain(key, c.get("score"), health.inputs(figs, key), lang),
        }
    return {"score": figs.get("health_score"), "band": figs.get("health_band"), "components": out}


def _rfm(figs: dict[str, Any], lang: str) -> dict[str, Any]:
    seg = figs.get("rfm_segment")
    return {
        "recency_days": figs.get("rfm_recency_days"),
        "frequency": figs.get("rfm_frequency"),
        "monetary": figs.get("rfm_monetary"),
        "r": figs.get("rfm_r"),
        "f": figs.get("rfm_f"),
        "m": figs.get("rfm_m"),
        "score": figs.get("rfm_score"),
        "segment": seg,
        "segment_zh": rfm.segment_label(seg, "zh") if seg else None,
    }


def profile_card(
    session: Session, account: Account, as_of: dt.date, scope: Scope, lang: str = "en"
) -> dict[str, Any]:
    """Everything about one account as of a date: the `profilebot profile --json` object."""
    if not sees(session, scope, account.id):
        raise PermissionError(f"account {account.id} is not visible to {scope.user or 'you'}")
    fig = session.get(AccountFigures, account.id)  # as held: a profile card never refreshes
    figs = _figures_dict(fig)
    fields = {f.key: _json_value(getattr(account, f.column or f.key)) for f in ACCOUNT_FIELDS}
    people = [
        {
            "name": c.name,
            "title": c.title,
            "role": c.role,
            "email": c.email,
            "phone": c.phone,
            "influence": c.influence,
            "attitude": c.attitude,
        }
        for c in session.scalars(select(Contact).where(Contact.account_id == account.id))
    ]
    people.sort(key=lambda p: ROLE_ORDER.index(p["role"]) if p["role"] in ROLE_ORDER else 9)
    tags = []
    for t, rule_name in session.execute(
        select(AccountTag, Rule.name)
        .outerjoin(Rule, Rule.id == AccountTag.rule_id)
        .where(AccountTag.account_id == account.id)
        .order_by(AccountTag.tag)
    ):
        tags.append(
            {
                "tag": t.tag,
                "source": t.source,
                "rule": rule_name,
                "reason": t.reason,
                "set_by": t.set_by,
                "set_at": _json_value(t.set_at),
            }
        )
    nps = session.scalars(
        select(NpsResponse)
        .where(NpsResponse.account_id == account.id, NpsResponse.date <= as_of)
        .order_by(NpsResponse.date.desc(), NpsResponse.id.desc())
        .limit(1)
    ).first()
    comp = completeness.for_account(session, account.id)
    _, _, custom_defs = completeness.field_sets(session)
    missing = [
        {
            "field": k,
            "label": completeness.label(k, lang, custom_defs),
            "is_key": k in comp.missing_key,
            "question": completeness.question(k, lang, custom_defs),
        }
        for k in comp.missing
    ]
    figure_values = {f.key: _json_value(figs.get(f.key)) for f in FIGURE_FIELDS if f.key in figs}
    state = held(session)
    return {
        "id": account.id,
        "account_id": account.external_id,
        "name": account.name,
        "as_of": as_of.isoformat(),
        "figures_state": figures_field(state, as_of)
        | {"note": figures_note(state, as_of, lang == "zh")},
        "fields": fields,
        "custom_fields": {k: _json_value(v) for k, v in values_for(session, account.id).items()},
        "custom_labels": {k: completeness.label(k, lang, custom_defs) for k in custom_defs},
        "key_people": people,
        "tags": tags,
        "nps": {
            "score": nps.score,
            "date": nps.date.isoformat(),
            "comment": nps.comment,
            "class": figs.get("nps_class"),
        }
        if nps
        else None,
        "figures": figure_values,
        "rfm": _rfm(figs, lang),
        "health": _health(figs, lang),
        "completeness": {
            "key": comp.key,
            "all": comp.all,
            "missing": missing,
        },
        "ask_next": [m["question"] for m in missing if m["is_key"]][:MAX_QUESTIONS]
        or [m["question"] for m in missing][:MAX_QUESTIONS],
        "notes": [
            {
                "when": n.created_at.isoformat(timespec="minutes"),
                "author": n.author,
                "text": n.text,
                "filed": n.filed,
            }
            for n in recent_notes(session, account.id, limit=5)
        ],
    }


# --------------------------------------------------------------------------- the card as a reply


def _money(v: Any) -> str:
    if v is None:
        return "—"
    return f"¥{float(v):,.0f}"


def _plain(v: Any) -> Any:
    """A custom value as written: 7 not 7.0."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _pct(v: Any) -> str:
    return "—" if v is None else f"{float(v) * 100:.0f}%"


def _line(pairs: list[tuple[str, Any]]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in pairs if v not in (None, "", "—"))


def _band_icon(band: str | None) -> str:
    return {"green": "🟢", "yellow": "🟡", "red": "🔴"}.get(band or "", "⚪")


def _sections(card: dict[str, Any], zh: bool) -> list[tuple[str, str]]:
    f, g = card["fields"], card["figures"]
    lang = "zh" if zh else "en"
    sections: list[tuple[str, str]] = []

    region = " / ".join(
        shown(k, f.get(k), lang) for k in ("city", "province", "country") if f.get(k)
    )
    firmo = [
        ("行业" if zh else "Industry", shown("industry", f.get("industry"), lang)),
        ("员工数" if zh else "Employees", f.get("employees")),
        ("年营收" if zh else "Revenue", _money(f.get("annual_revenue"))),
        ("地区" if zh else "Region", region),
        ("成立" if zh else "Founded", f.get("founded")),
        ("母公司" if zh else "Parent", f.get("parent")),
    ]
    sections.append(("🏢 " + ("企业特征" if zh else "Company"), _line(firmo) or "—"))

    dsl = g.get("days_since_login")
    if zh:
        last = "从未登录" if dsl is None else f"{dsl}天前"
    else:
        last = "never" if dsl is None else f"{dsl} days ago"
    trend = g.get("login_trend")
    trend_s = "" if trend is None else f" ({trend * 100:+.0f}%)"
    behav = [
        ("最近登录" if zh else "Last login", last),
        ("近30天登录" if zh else "Logins 30d", f"{g.get('logins_30d', 0)}{trend_s}"),
        ("近30天活跃用户" if zh else "Active users 30d", g.get("active_users_30d")),
        ("近30天功能使用" if zh else "Feature uses 30d", g.get("feature_uses_30d")),
        ("近30天工单" if zh else "Tickets 30d", g.get("tickets_30d")),
    ]
    sections.append(("📈 " + ("使用行为" if zh else "Behaviour"), _line(behav)))

    nps = card.get("nps")
    if nps:
        cls = nps.get("class")
        cls_s = shown("nps_class", cls, lang)
        nps_s = f"{nps['score']} ({cls_s}, {nps['date']})"
        if nps.get("comment"):
            nps_s += f" “{nps['comment'][:80]}”"
    else:
        nps_s = None
    att = [
        ("NPS", nps_s),
        (
            "价格敏感度" if zh else "Price sensitivity",
            shown("price_sensitivity", f.get("price_sensitivity"), lang),
        ),
        ("痛点" if zh else "Pains", f.get("pains")),
        ("决策流程" if zh else "Decision process", f.get("decision_process")),
        ("预算" if zh else "Budget", f.get("budget")),
    ]
    sections.append(("💬 " + ("态度与需求" if zh else "Attitude"), _line(att) or "—"))

    dtr = g.get("days_to_renewal")
    end = f.get("contract_end")
    if end and dtr is not None:  # figures not computed for it yet: the date alone
        if zh:
            end = f"{end}（{'已过期' + str(-dtr) + '天' if dtr < 0 else str(dtr) + '天后'}）"
        else:
            end = f"{end} ({'expired ' + str(-dtr) + ' days ago' if dtr < 0 else 'in ' + str(dtr) + ' days'})"
    trans = [
        ("版本" if zh else "Plan", shown("plan", f.get("plan"), lang)),
        ("年合同额" if zh else "ARR", _money(f.get("arr"))),
        ("合同到期" if zh else "Contract end", end),
        (
            "近90天购买" if zh else "Purchases 90d",
            f"{g.get('purchase_count_90d', 0)} · {_money(g.get('purchase_amount_90d'))}",
        ),
        ("客户终身价值" if zh else "LTV", _money(g.get("ltv"))),
    ]
    sections.append(("💰 " + ("交易" if zh else "Transactions"), _line(trans)))

    custom = [  # the book's own fields ("seats", "竞争对手"), by their labels
        (card.get("custom_labels", {}).get(k, k), _plain(v))
        for k, v in card.get("custom_fields", {}).items()
    ]
    if any(v not in (None, "") for _, v in custom):
        sections.append(("🧩 " + ("其他资料" if zh else "More fields"), _line(custom)))

    people = card["key_people"]
    if people:
        lines = []
        for p in people:
            if zh:  # 决策人 says what EB does; the code is for English readers
                role, tag = (shown("role", p["role"], lang) if p["role"] else "其他"), ""
            else:
                role = ROLE_NAMES_EN.get(p["role"] or "", "Other")
                tag = f"{p['role']} " if p["role"] else ""
            extra = []
            if p.get("attitude"):
                extra.append(shown("attitude", p["attitude"], lang))
            if p.get("influence"):
                extra.append(
                    ("影响力" if zh else "influence ") + shown("influence", p["influence"], lang)
                )
            title = f" — {p['title']}" if p.get("title") else ""
            ex = f" ({', '.join(extra)})" if extra else ""
            lines.append(f"• {tag}{role}: {p['name']}{title}{ex}")
        sections.append(("👥 " + ("关键人" if zh else "Key people"), "\n".join(lines)))
    else:
        sections.append(("👥 " + ("关键人" if zh else "Key people"), "暂无" if zh else "none yet"))

    if card["tags"]:
        lines = []
        for t in card["tags"]:
            why = _tag_why(t, zh)
            lines.append(f"• {shown('tag', t['tag'], lang)}" + (f" — {why}" if why else ""))
        sections.append(("🏷 " + ("标签" if zh else "Tags"), "\n".join(lines)))

    h = card["health"]
    if h["score"] is not None:
        head = f"{_band_icon(h['band'])} {h['score']:.0f}/100 " + (
            shown("health_band", h["band"], lang) if zh else h["band"]
        )
        lines = [head]
        for c in h["components"].values():
            s = "—" if c["score"] is None else f"{c['score']:.0f}"
            lines.append(f"• {c['label']} {s}: {c['why']}")
        sections.append(("❤️ " + ("健康度" if zh else "Health"), "\n".join(lines)))

    r = card["rfm"]
    if r["segment"]:
        seg = shown("rfm_segment", r["segment"], lang)
        if zh:
            body = (
                f"{seg}（{r['score']}）· R{r['r']} F{r['f']} M{r['m']}\n"
                f"{r['recency_days']}天前最后购买，共{r['frequency']}次，{_money(r['monetary'])}"
            )
        else:
            body = (
                f"{seg} ({r['score']}) · R{r['r']} F{r['f']} M{r['m']}\n"
                f"last purchase {r['recency_days']} days ago, {r['frequency']} purchases, "
                f"{_money(r['monetary'])}"
            )
        sections.append(("🛒 RFM", body))

    c = card["completeness"]
    missing_key = [m["label"] for m in c["missing"] if m["is_key"]][:MAX_MISSING_SHOWN]
    if zh:
        body = f"关键信息 {_pct(c['key'])} · 全部 {_pct(c['all'])}"
        if missing_key:
            body += "\n缺：" + "、".join(missing_key)
    else:
        body = f"Key fields {_pct(c['key'])} · all {_pct(c['all'])}"
        if missing_key:
            body += "\nMissing: " + ", ".join(missing_key)
    sections.append(("🧩 " + ("信息完成度" if zh else "Completeness"), body))
    if card.get("notes"):
        lines = [f"{n['when'][:10]} · {n['author']}: {n['text'][:200]}" for n in card["notes"][:3]]
        sections.append(("📝 " + ("最近备注" if zh else "Latest notes"), "\n".join(lines)))
    if card["ask_next"]:
        sections.append(
            (
                "❓ " + ("下次可以问" if zh else "Ask next"),
                "\n".join(f"• {q}" for q in card["ask_next"]),
            )
        )
    return sections


def _tag_why(t: dict[str, Any], zh: bool) -> str:
    parts = []
    if t.get("rule"):
        rule = shown("rule", t["rule"], "zh" if zh else "en")
        parts.append(("规则「" + rule + "」") if zh else f"rule '{rule}'")
    reason = t.get("reason")
    if isinstance(reason, dict):
        vals = reason.get("values") if isinstance(reason.get("values"), dict) else reason
        said = reason_text(
            {k: v for k, v in list(vals.items())[:3] if k != "rule"}, "zh" if zh else "en"
        )
        if said:
            parts.append(said)
    elif reason:
        parts.append(str(reason))
    if t.get("set_by") and not t.get("rule"):
        parts.append(("由 " if zh else "by ") + str(t["set_by"]))
    if t.get("set_at"):
        parts.append(str(t["set_at"])[:10])
    return " · ".join(parts)


def profile_reply(
    services: Services,
    session: Session,
    account: Account,
    msg: IncomingMessage,
    scope: Scope | None = None,
) -> Reply:
    """The profile card as a chat reply, laid out for a phone; the view is audited.

    The scope is the asker's (from msg.user) unless given (the terminal operator sees all).
    """
    as_of = services.today(msg.as_of)
    if scope is None:
        scope = scope_for(session, msg.user) if msg.user else Scope.nothing()
    zh = msg.zh
    card = profile_card(session, account, as_of, scope, msg.language)
    f = card["fields"]
    lang = msg.language
    summary_bits = [
        shown("industry", f.get("industry"), lang),
        shown("city", f.get("city"), lang),
        (f"{f['employees']}人" if zh else f"{f['employees']} people")
        if f.get("employees")
        else None,
        shown("plan", f.get("plan"), lang),
        ("年合同额 " if zh else "ARR ") + _money(f["arr"]) if f.get("arr") else None,
    ]
    h = card["health"]
    if h["score"] is not None:
        summary_bits.append(f"{_band_icon(h['band'])} {h['score']:.0f}")
    audit.record(
        session,
        msg.user or None,
        "profile.view",
        platform=msg.platform,
        account_id=account.id,
    )
    title = f"{account.name} · " + ("客户画像" if zh else "profile")
    return Reply(
        text=" · ".join(str(b) for b in summary_bits if b)
        or ("（资料待补充）" if zh else "(profile to fill)"),
        title=title,
        sections=_sections(card, zh),
        buttons=[
            Button(
                "开始访谈" if zh else "Start interview",
                ActionId.INTERVIEW_START.value,
                {"account_id": account.id},
                style="primary",
            )
        ],
        data=card,
        private=True,
        kind="profile",
        language=msg.language,
    )


# --------------------------------------------------------------------------- chat commands

_PROFILE_EN = re.compile(
    r"^\s*(?:tell me about|profile(?: of| for)?|show (?:me )?(?:the )?profile (?:of|for)|"
    r"who is|open profile)\s+(?P<ref>.+?)\s*[?.!]*\s*$",
    re.I,
)
_PROFILE_ZH = re.compile(
    r"^\s*(?:(?:看看|查看|打开|显示)?\s*)?(?P<ref>.+?)\s*的?\s*(?:客户)?画像\s*[?？。!！]*\s*$"
)
_PROFILE_ZH2 = re.compile(r"^\s*(?:客户画像|画像)\s*[:：]?\s*(?P<ref>.+?)\s*[?？。]*\s*$")

_ADD_EN = re.compile(r"^\s*(?:add|new|create)\s+(?:a\s+)?(?:custom\s+)?field\s+(?P<rest>.+)$", re.I)
_ADD_ZH = re.compile(
    r"^\s*(?:添加|新增|增加|新建)(?:一个)?(?:自定义)?字段\s*[:：]?\s*(?P<rest>.+)$"
)
_KEY_WORDS = re.compile(r"\s*(?:\bas key\b|\bkey\b|关键字段|关键)\s*$", re.I)


def parse_add_field(text: str) -> dict[str, Any] | None:
    """ "add field budget owner (预算负责人) choice: a, b key" -> the add_field arguments."""
    m = _ADD_EN.match(text) or _ADD_ZH.match(text)
    if not m:
        return None
    rest = m.group("rest").strip()
    out: dict[str, Any] = {"is_key": False, "choices": None}
    km = _KEY_WORDS.search(rest)
    if km:
        out["is_key"] = True
        rest = rest[: km.start()].strip()
    cm = re.search(r"(?:choices?|options?|选项)\s*[:：]?\s*(?P<c>.+)$", rest, re.I)
    if cm:
        out["choices"] = [c.strip() for c in re.split(r"[,，、/|]", cm.group("c")) if c.strip()]
        rest = rest[: cm.start()].strip()
    words = rest.split()
    type_ = "text"
    if words:
        last = words[-1].lower()
        if last in TYPE_ALIASES or last in ("text", "number", "date", "choice", "region"):
            type_ = TYPE_ALIASES.get(last, last)
            rest = " ".join(words[:-1]) if len(words) > 1 else ""
        else:
            tail = re.search(r"(文本|数字|数值|日期|选项|单选|地区|区域)$", rest)
            if tail:
                type_ = TYPE_ALIASES[tail.group(1)]
                rest = rest[: tail.start()].strip()
    if out["choices"] and type_ == "text":
        type_ = "choice"
    out["type"] = type_
    zh = None
    pm = re.search(r"[（(]\s*(?P<z>[^)）]+)\s*[)）]", rest)
    if pm:
        zh = pm.group("z").strip()
        rest = (rest[: pm.start()] + rest[pm.end() :]).strip()
    rest = rest.strip(" :：\"'“”")
    if re.search(r"[\u3400-\u9fff]", rest) and zh is None:
        zh, en = rest, None
    else:
        en = rest or None
    if not en and not zh:
        return None
    out["label_en"] = en or zh
    out["label_zh"] = zh
    out["key"] = slug(en) if en else None
    return out


def _add_field_reply(services: Services, msg: IncomingMessage, args: dict[str, Any]) -> Reply:
    zh = msg.zh
    with services.session_factory.begin() as s:
        user = find_user(s, msg.user)
        if user is None or user.role != "admin":
            text = (
                "只有管理员可以添加字段。请让管理员添加，或用 `profilebot fields add`。"
                if zh
                else "Only an admin can add fields. Ask an admin, or use `profilebot fields add`."
            )
            return Reply(text=text, kind="error", language=msg.language)
        key = args.get("key")
        if not key:
            from sqlalchemy import func

            n = (s.scalar(select(func.count()).select_from(CustomField)) or 0) + 1
            key = f"field_{n}"
        try:
            field = add_field(
                s,
                key=key,
                label_en=args["label_en"],
                label_zh=args.get("label_zh"),
                type=args["type"],
                choices=args.get("choices"),
                is_key=args["is_key"],
                actor=msg.user,
                platform=msg.platform,
            )
        except FieldError as exc:
            hint = (
                "例如：添加字段 预算负责人 文本"
                if zh
                else "e.g. add field budget owner (预算负责人) text"
            )
            return Reply(text=f"{exc}. {hint}", kind="error", language=msg.language)
        mark_stale(s)
        label = field.label_zh or field.label_en if zh else field.label_en
        if zh:
            text = (
                f"已添加字段「{label}」（{field.key}，{field.type}"
                + ("，关键字段" if field.is_key else "")
                + "）。现在可以导入、提问、在规则里使用，并计入信息完成度。"
            )
        else:
            text = (
                f"Added field '{label}' ({field.key}, {field.type}"
                + (", key field" if field.is_key else "")
                + "). It is now importable, askable, usable in rules and counted in completeness."
            )
        return Reply(text=text, language=msg.language, data={"field": field.key})


def profile_ref(text: str) -> str | None:
    """The account a "tell me about X" / "X的画像" message names, as written (None: not one)."""
    for rx in (_PROFILE_EN, _PROFILE_ZH2, _PROFILE_ZH):
        m = rx.match(text)
        if m:
            ref = m.group("ref").strip(" \"'“”「」")
            return ref or None
    return None


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """Add-field commands and "tell me about X" / "X的客户画像"; None for anything else."""
    text = (msg.text or "").strip()
    if not text or msg.file_path:
        return None
    args = parse_add_field(text)
    if args is not None:
        return [_add_field_reply(services, msg, args)]
    ref = profile_ref(text)
    if ref is None:
        return None
    with services.session_factory.begin() as s:
        scope = scope_for(s, msg.user)
        account = find_account(s, ref, scope)
        if account is None:
            return None  # let ask explain (it may be a question, not a name)
        reply = profile_reply(services, s, account, msg)
        reply.data = {
            **reply.data,
            "text": reply.plain(),
            "understood": Spec(account=account.name).model_dump(mode="json"),
            "accounts": [
                {"id": account.id, "account_id": account.external_id, "name": account.name}
            ],
        }
        return [reply]
