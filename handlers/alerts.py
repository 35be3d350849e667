"""Alerts and to-dos in chat: list them, and act on them by button or by typing.

Typed commands work on every platform, checked exactly like a button click:
`ack 92` / `确认 92`, `snooze 92 3d because on holiday` / `暂缓 92 3天 原因：休假`,
`resolve 92` / `解决 92`, `reassign 92 to bob` / `把 92 转给 bob`.

Button values carry only {"alert_id": id} (plus days/to); `handle_action` reloads the alert and
checks the acting user every time — a value is never trusted for authorisation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from handlers.actions import ActionId
from handlers.answer_text import condition_text, reason_text
from handlers.messages import AlertRef, Button, IncomingMessage, Reply
from handlers.services import Services
from store import alerts as alert_store
from store.lang.numbers import zh_int
from store.models import Account, Alert, ChatState, Rule
from store.query import find_user
from store.rules import rule_def
from store.vocab import shown

SNOOZE_DAYS = (1, 3, 7)
PAGE_SIZE = 10
_TRIGGER = re.compile(
    r"^\s*(alerts?|my alerts|to-?dos?|my to-?dos?|reminders?|提醒|我的提醒|待办|我的待办|告警|待办事项)"
    r"\s*[?？!！。.]?\s*$",
    re.I,
)
_MORE = re.compile(r"^\s*(more|next|next page|更多|下一页|继续|还有吗)\s*[.!。！?？]*\s*$", re.I)
# (English, Chinese) for what happened to an alert, and what a person just did to one
SAID: dict[str, tuple[str, str]] = {
    "event:opened": ("New", "新"),
    "event:woke": ("Back from snooze", "暂缓结束"),
    "event:escalated": ("Escalated", "升级"),
    "event:reassigned": ("Assigned to you", "转给你的"),
    "done:ack": ("Acknowledged", "已确认"),
    "done:snooze": ("Snoozed", "已暂缓"),
    "done:resolve": ("Resolved", "已解决"),
    "done:reassign": ("Passed on", "已转交"),
    "list:total": ("You have {total} open alerts and to-dos", "你有 {total} 条未处理的提醒/待办"),
    "list:showing": (" — showing {a}–{b} of {total}", "，显示第 {a}–{b} 条"),
    "list:more": ("; say 'more' for the next page.", "；输入“更多”查看下一页。"),
    "list:end": (".", "。"),
    "list:colon": (":", "："),
    "list:hint": (
        "Act by typing: ack <id> · snooze <id> 3d because … · resolve <id> · "
        "reassign <id> to <person>",
        "直接输入即可处理：确认 <编号> · 暂缓 <编号> 3天 原因：… · 解决 <编号> · 把 <编号> 转给 <人>",
    ),
}


def said(key: str, lang: str) -> str:
    """A phrase from SAID in the reader's language (the key's last part when it has none)."""
    en, zh = SAID.get(key, (key.split(":")[-1],) * 2)
    return zh if lang == "zh" else en


# --------------------------------------------------------------------------- typed commands

_ID = r"#?(?P<id>\d+)\s*号?"
_NUM = r"\d+|[一二两三四五六七八九十]+"
_DURATION = (
    rf"(?P<n>{_NUM})\s*(?P<unit>d|days?|w|wk|weeks?|h|hrs?|hours?|天|日|周|星期|个星期|小时|个小时)"
)
_WHY_EN = r"(?:\s+(?:because|as|since|reason:?|note:?|-|—)\s*(?P<why>.+))?"
_WHY_ZH = r"(?:\s*[，,；;]?\s*(?:原因|因为|理由|备注)\s*[:：]?\s*(?P<why>.+))?"
COMMANDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ack", re.compile(rf"^(?:ack|acknowledge)\s+{_ID}$", re.I)),
    ("ack", re.compile(rf"^(?:确认|已阅|收到)\s*(?:提醒|待办)?\s*{_ID}$")),
    (
        "snooze",
        re.compile(rf"^snooze\s+{_ID}(?:\s+(?:for\s+)?{_DURATION})?{_WHY_EN}$", re.I),
    ),
    (
        "snooze",
        re.compile(rf"^(?:暂缓|推迟|延后)\s*(?:提醒|待办)?\s*{_ID}\s*{_DURATION}?{_WHY_ZH}$"),
    ),
    ("resolve", re.compile(rf"^(?:resolve|close|done)\s+{_ID}{_WHY_EN}$", re.I)),
    ("resolve", re.compile(rf"^(?:解决|完成|关闭)\s*(?:提醒|待办)?\s*{_ID}{_WHY_ZH}$")),
    ("reassign", re.compile(rf"^(?:reassign|assign)\s+{_ID}\s+to\s+@?(?P<to>\S+)$", re.I)),
    (
        "reassign",
        re.compile(
            rf"^(?:把)?\s*(?:提醒|待办)?\s*{_ID}\s*(?:转给|转交给|交给|分配给)\s*@?(?P<to>\S+)$"
        ),
    ),
    ("reassign", re.compile(rf"^(?:转交|转给)\s*(?:提醒|待办)?\s*{_ID}\s*给\s*@?(?P<to>\S+)$")),
)
_VERB_ACTION = {
    "ack": ActionId.ALERT_ACK,
    "snooze": ActionId.ALERT_SNOOZE,
    "resolve": ActionId.ALERT_RESOLVE,
    "reassign": ActionId.ALERT_REASSIGN,
}


def _number(text: str) -> int:
    """'3' / '两' / '十五' -> a whole number; anything else 1."""
    return int(text) if text.isdigit() else zh_int(text) or 1


def snooze_length(n: str | None, unit: str | None) -> dt.timedelta:
    """'3', 'd' → 3 days; '两', '周' → 14 days; nothing → 1 day."""
    if not n:
        return dt.timedelta(days=1)
    k = _number(n)
    u = (unit or "d").lower()
    if u.startswith(("w", "周")) or "星期" in u:
        return dt.timedelta(weeks=k)
    if u.startswith("h") or "小时" in u:
        return dt.timedelta(hours=k)
    return dt.timedelta(days=k)


def parse_command(text: str) -> tuple[str, dict[str, Any]] | None:
    """A typed alert command as (verb, value) — the value a button of that verb would carry."""
    t = (text or "").strip().rstrip("。.!！")
    for verb, pattern in COMMANDS:
        m = pattern.match(t)
        if not m:
            continue
        g = m.groupdict()
        value: dict[str, Any] = {"alert_id": int(g["id"])}
        if g.get("why"):
            value["reason"] = g["why"].strip()
        if verb == "snooze":
            value["length"] = snooze_length(g.get("n"), g.get("unit"))
        if verb == "reassign":
            value["to"] = g["to"].strip("。.，,")
        return verb, value
    return None


# --------------------------------------------------------------------------- rendering


def _kind_label(alert: Alert, lang: str) -> str:
    if lang == "zh":
        return shown("alert_kind", alert.kind, lang)
    return "To-do" if alert.kind == "todo" else "Alert"


def buttons_for(alert: Alert, zh: bool) -> list[Button]:
    """The buttons an alert in this state offers."""
    v = {"alert_id": alert.id}
    out: list[Button] = []
    if alert.status in ("open", "snoozed"):
        out.append(Button("确认" if zh else "Acknowledge", ActionId.ALERT_ACK, v, style="primary"))
    if alert.status != "resolved":
        for d in SNOOZE_DAYS:
            out.append(
                Button(
                    f"暂缓{d}天" if zh else f"Snooze {d}d", ActionId.ALERT_SNOOZE, {**v, "days": d}
                )
            )
        out.append(Button("解决" if zh else "Resolve", ActionId.ALERT_RESOLVE, v))
        out.append(Button("转交" if zh else "Reassign", ActionId.ALERT_REASSIGN, v))
    if alert.account_id:
        out.append(
            Button(
                "查看画像" if zh else "Open profile",
                ActionId.OPEN_PROFILE,
                {"account_id": alert.account_id},
            )
        )
    return out


def person_name(session: Session, handle: str | None) -> str:
    """A user's display name (张伟), or the handle when there is none."""
    if not handle:
        return ""
    if handle.startswith("rule:"):
        return handle
    user = find_user(session, handle)
    return (user.name or user.handle) if user is not None else handle


def _actor(session: Session, by: str | None, lang: str) -> str:
    if by and by.startswith("rule:"):
        name = shown("rule", by[5:], lang)
        return f"规则「{name}」" if lang == "zh" else f"rule '{name}'"
    if by == "profilebot":
        return by
    return person_name(session, by)


def _rule_text(session: Session, alert: Alert, lang: str) -> str | None:
    """What the rule behind an alert says, in the reader's language."""
    rule = session.get(Rule, alert.rule_id) if alert.rule_id else None
    if rule is None:
        return None
    if lang != "zh" and rule.description:
        return rule.description
    try:
        rd = rule_def(rule)
    except Exception:  # a rule that no longer validates: its stored words
        return rule.description
    cond = condition_text(rd.condition, lang)
    acts = ("；" if lang == "zh" else "; ").join(a.describe(lang) for a in rd.actions)
    if lang == "zh":
        return f"规则「{shown('rule', rule.name, lang)}」：如果{cond}，则{acts}。"
    return f"Rule '{rule.name}': if {cond}, then {acts}."


def alert_title(session: Session, alert: Alert, lang: str) -> str:
    """An alert's title in the reader's language (a rule's Chinese name in Chinese)."""
    rule = session.get(Rule, alert.rule_id) if alert.rule_id else None
    if rule is not None and lang == "zh":
        acc = session.get(Account, alert.account_id) if alert.account_id else None
        name = shown("rule", rule.name, lang)
        return f"{name} — {acc.name}" if acc is not None else name
    return alert.title


def alert_ref(session: Session, alert: Alert, lang: str) -> AlertRef:
    """The alert as `chat --json` lists it."""
    return AlertRef(alert.id, alert_title(session, alert, lang), alert.status)


def alert_reply(session: Session, alert: Alert, lang: str, event: str | None = None) -> Reply:
    """One alert as a message with its id, state, why it fired, its history and buttons."""
    zh = lang == "zh"
    acc = session.get(Account, alert.account_id) if alert.account_id else None
    head = _kind_label(alert, lang)
    if event:
        ev = said(f"event:{event}", lang)
        head = f"{ev}{head}" if zh else f"{ev} {head.lower()}"
    status = shown("alert_status", alert.status, lang)
    fields = {("状态" if zh else "Status"): status}
    if acc is not None:
        fields["客户" if zh else "Account"] = acc.name
    if alert.assignee:
        fields["负责人" if zh else "Assignee"] = person_name(session, alert.assignee)
    why = reason_text((alert.reason or {}).get("values"), lang)
    if why:
        fields["原因" if zh else "Why"] = why
    if alert.status == "snoozed" and alert.snoozed_until:
        until = alert.snoozed_until.date().isoformat()
        fields["暂缓至" if zh else "Snoozed until"] = until + (
            f"（{alert.snooze_reason}）"
            if zh and alert.snooze_reason
            else f" ({alert.snooze_reason})"
            if alert.snooze_reason
            else ""
        )
    last = (alert.history or [])[-1:] or []
    context = None
    if last:
        e = last[0]
        at = str(e.get("at", "")).replace("T", " ")[:16]
        context = (
            f"{at} · {_actor(session, e.get('by'), lang)} · "
            f"{shown('alert_action', e.get('action', ''), lang)}"
        )
    title = alert_title(session, alert, lang)
    body = _rule_text(session, alert, lang) if alert.rule_id else None
    return Reply(
        text=body or alert.body or title,
        title=f"{head} #{alert.id}: {title}",
        fields=fields,
        buttons=buttons_for(alert, zh),
        context=context,
        data={"alert_id": alert.id, "status": alert.status, "history": alert.history or []},
        private=True,
        kind="alert",
        language=lang,
        alerts=[AlertRef(alert.id, title, alert.status)],
    )


def error_text(exc: alert_store.AlertError, lang: str) -> str:
    """Why an alert action was refused, in the asker's language."""
    p = exc.params
    if lang != "zh":
        return f"Could not do that: {exc}"
    said = {
        "missing": f"没有编号为 {p.get('id')} 的提醒。",
        "forbidden": f"你不能处理提醒 #{p.get('id')}：它属于 {p.get('assignee') or '无人'}"
        "（只有负责人、其经理或管理员可以处理）。",
        "resolved": f"提醒 #{p.get('id')} 已经解决了。",
        "snooze_past": "暂缓需要一个将来的时间。",
        "no_user": f"没有用户“{p.get('to')}”，无法转交。",
        "cannot_see": f"不能转交给 {p.get('to')}：他/她看不到这个客户（请选负责人、客户成功经理或其经理）。",
        "unknown_action": f"不认识的操作 {p.get('action')}。",
    }.get(exc.code)
    return f"没能完成：{said or exc}"


# --------------------------------------------------------------------------- listing


def _now(services: Services, msg: IncomingMessage) -> dt.datetime:
    as_of = msg.as_of or services.as_of
    return dt.datetime.combine(as_of, dt.time(9)) if as_of else services.now()


def _remember(session: Session, handle: str, offset: int) -> None:
    row = session.get(ChatState, handle)
    state = dict(row.state or {}) if row else {}
    state["alerts"] = {"offset": offset}
    if row is None:
        session.add(ChatState(user_handle=handle, state=state))
    else:
        row.state = state
    session.flush()


def list_page(
    services: Services, session: Session, handle: str, lang: str, offset: int = 0
) -> list[Reply]:
    """One page of the person's alerts: a head saying the honest total, then each alert."""
    zh = lang == "zh"
    page = alert_store.my_alerts(session, handle, offset=offset, limit=PAGE_SIZE)
    if page.total == 0:
        text = "你没有未处理的提醒或待办。" if zh else "You have no open alerts or to-dos."
        return [Reply(text=text, kind="alert", language=lang, private=True)]
    if not page.alerts:
        text = "已经是最后一页了。" if zh else "That was the last page."
        return [Reply(text=text, kind="alert", language=lang, private=True)]
    a, b = offset + 1, offset + len(page.alerts)
    head = said("list:total", lang).format(total=page.total)
    if page.more or offset:
        head += said("list:showing", lang).format(a=a, b=b, total=page.total)
    head += said("list:more" if page.more else "list:end" if offset else "list:colon", lang)
    hint = said("list:hint", lang)
    replies = [alert_reply(session, x, lang) for x in page.alerts]
    out = [
        Reply(
            text=head,
            context=hint,
            kind="text",
            language=lang,
            private=True,
            data={"total": page.total, "offset": offset, "shown": len(page.alerts)},
        )
    ]
    _remember(session, handle, offset)
    return out + replies


# --------------------------------------------------------------------------- router entry


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """List the asker's alerts ('alerts' / '提醒', 'more'), or act on one typed by id."""
    text = msg.text or ""
    command = parse_command(text)
    if command is not None:
        verb, value = command
        with services.session_factory.begin() as s:
            user = find_user(s, msg.user)
        if user is None:
            return None
        reply = handle_action(
            services,
            user.handle,
            _VERB_ACTION[verb],
            value,
            _now(services, msg),
            lang=msg.language,
            reason=value.get("reason"),
            platform=msg.platform,
        )
        return [reply]
    listing = _TRIGGER.match(text)
    more = _MORE.match(text)
    if not (listing or more):
        return None
    with services.session_factory.begin() as s:
        user = find_user(s, msg.user)
        if user is None:
            return None
        offset = 0
        if more:
            row = s.get(ChatState, user.handle)
            last = (row.state or {}).get("alerts") if row else None
            if not last:
                return None  # "more" of an answer: the ask handler pages it
            offset = int(last.get("offset", 0)) + PAGE_SIZE
        return list_page(services, s, user.handle, msg.language, offset)


def handle_action(
    services: Services,
    user_handle: str,
    action: str,
    value: dict[str, Any],
    now: dt.datetime,
    *,
    lang: str = "en",
    reason: str | None = None,
    platform: str | None = None,
) -> Reply:
    """Apply a button click or typed command after reloading the alert and checking the user."""
    zh = lang == "zh"
    try:
        alert_id = int(value.get("alert_id"))
    except (TypeError, ValueError):
        return Reply(
            text="这个按钮缺少提醒编号。" if zh else "That button has no alert id.",
            kind="error",
            language=lang,
        )
    verbs = {
        ActionId.ALERT_ACK: "ack",
        ActionId.ALERT_SNOOZE: "snooze",
        ActionId.ALERT_RESOLVE: "resolve",
        ActionId.ALERT_REASSIGN: "reassign",
    }
    verb = verbs.get(action)
    if verb is None:
        return Reply(text=f"unknown action {action}", kind="error", language=lang)
    until = None
    if verb == "snooze":
        length = value.get("length")
        if not isinstance(length, dt.timedelta):
            length = dt.timedelta(days=int(value.get("days") or 1))
        until = now + length
    try:
        with services.session_factory.begin() as s:
            alert = alert_store.act(
                s,
                alert_id,
                user_handle,
                verb,
                now,
                until=until,
                reason=reason or value.get("reason"),
                to=value.get("to"),
                platform=platform,
            )
            reply = alert_reply(s, alert, lang)
            done = said(f"done:{verb}", lang)
            if verb == "reassign":
                who = person_name(s, alert.assignee)
                done += f"给 {who}" if zh else f" to {who}"
            reply.text = (
                f"{done} #{alert.id}。\n{reply.text}"
                if zh
                else (f"{done} #{alert.id}.\n{reply.text}")
            )
            reply.data["done"] = verb
            return reply
    except alert_store.AlertError as exc:
        return Reply(
            text=error_text(exc, lang),
            kind="error",
            language=lang,
            private=True,
            data={"alert_id": alert_id, "refused": exc.code or "error"},
        )
