"""Alerts and to-dos in chat: list them, and act on them with buttons that update in place.

Button values carry only {"alert_id": id} (plus days/to); `handle_action` reloads the alert and
checks the clicking user every time — a value is never trusted for authorisation.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from handlers.actions import ActionId
from handlers.messages import AlertRef, Button, IncomingMessage, Reply
from handlers.services import Services
from store import alerts as alert_store
from store.models import Account, Alert
from store.query import find_user

SNOOZE_DAYS = (1, 3, 7)
_TRIGGER = re.compile(
    r"^\s*(alerts?|my alerts|to-?dos?|my to-?dos?|reminders?|提醒|我的提醒|待办|我的待办|告警|待办事项)"
    r"\s*[?？!！。.]?\s*$",
    re.I,
)
STATUS_ZH = {"open": "未处理", "acknowledged": "已确认", "snoozed": "已暂缓", "resolved": "已解决"}
EVENT_EN = {
    "opened": "New",
    "woke": "Back from snooze",
    "escalated": "Escalated",
    "reassigned": "Assigned to you",
}
EVENT_ZH = {"opened": "新", "woke": "暂缓结束", "escalated": "升级", "reassigned": "转给你的"}


def _kind_label(alert: Alert, zh: bool) -> str:
    if alert.kind == "todo":
        return "待办" if zh else "To-do"
    return "提醒" if zh else "Alert"


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


def _values_text(reason: dict[str, Any] | None, zh: bool) -> str:
    from store.fields import BUILTIN

    vals = (reason or {}).get("values") or {}
    parts = []
    for k, v in vals.items():
        if v is None:
            continue
        f = BUILTIN.get(k)
        label = f.label("zh" if zh else "en") if f else k
        parts.append(f"{label} {round(v, 2) if isinstance(v, float) else v}")
    return " · ".join(parts)


def alert_reply(session: Session, alert: Alert, lang: str, event: str | None = None) -> Reply:
    """One alert as a message with its state, why it fired, its history and buttons."""
    zh = lang == "zh"
    acc = session.get(Account, alert.account_id) if alert.account_id else None
    head = _kind_label(alert, zh)
    if event:
        head = (
            f"{(EVENT_ZH if zh else EVENT_EN).get(event, event)} {head}"
            if zh
            else f"{EVENT_EN.get(event, event)} {head.lower()}"
        )
    status = STATUS_ZH.get(alert.status, alert.status) if zh else alert.status
    fields = {("状态" if zh else "Status"): status}
    if acc is not None:
        fields["客户" if zh else "Account"] = acc.name
    if alert.assignee:
        fields["负责人" if zh else "Assignee"] = alert.assignee
    why = _values_text(alert.reason, zh)
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
        context = f"{e.get('at', '')} · {e.get('by', '')} · {e.get('action', '')}"
    return Reply(
        text=alert.body or alert.title,
        title=f"{head}: {alert.title}",
        fields=fields,
        buttons=buttons_for(alert, zh),
        context=context,
        data={"alert_id": alert.id, "status": alert.status, "history": alert.history or []},
        alerts=[AlertRef(id=alert.id, title=alert.title, status=alert.status)],
        private=True,
        kind="alert",
        language=lang,
    )


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """'alerts' / 'my to-dos' / '提醒' / '待办': the asker's open alerts with buttons."""
    if not _TRIGGER.match(msg.text or ""):
        return None
    with services.session_factory.begin() as s:
        user = find_user(s, msg.user)
        if user is None:
            return None
        rows = alert_store.list_alerts(s, user.handle, limit=10)
        if not rows:
            text = "你没有未处理的提醒或待办。" if msg.zh else "You have no open alerts or to-dos."
            return [Reply(text=text, kind="alert", language=msg.language, private=True)]
        head = (
            f"你有 {len(rows)} 条未处理的提醒/待办："
            if msg.zh
            else f"You have {len(rows)} open alerts and to-dos:"
        )
        out = [Reply(text=head, kind="text", language=msg.language, private=True)]
        out += [alert_reply(s, a, msg.language) for a in rows]
    return out


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
    """Apply a button click after reloading the alert and checking the user; the updated alert."""
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
        days = int(value.get("days") or 1)
        until = now + dt.timedelta(days=days)
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
            return alert_reply(s, alert, lang)
    except alert_store.AlertError as exc:
        text = f"没能完成：{exc}" if zh else f"Could not do that: {exc}"
        return Reply(text=text, kind="error", language=lang, private=True)
