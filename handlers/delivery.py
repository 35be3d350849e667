"""Turn outbox rows into replies and deliver them: chat messengers, the log, signed webhooks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.orm import Session

from handlers.alerts import alert_reply
from handlers.digest import build_digest, user_language
from handlers.messages import Reply
from handlers.services import Services
from store.models import Account, Alert, OutboxMessage, User
from store.people import People
from store.query import find_user

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A failed delivery; retryable ones (429/5xx, network) carry an optional Retry-After."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class LogMessenger:
    """Delivers by appending one JSON line per message (terminal installs, checks and tests)."""

    platform = "log"

    def __init__(self, path: str | None = None) -> None:
        self.path = path

    def _write(self, record: dict[str, Any]) -> dict[str, Any]:
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        if self.path:
            # one write() of one line in append mode: concurrent writers never interleave lines
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        else:
            log.info("message: %s", line.strip())
        return {"channel": "log", "ts": record.get("key")}

    def dm(self, user_handle: str, reply: Reply) -> dict[str, Any]:
        return self._write(
            {
                "key": reply.data.get("outbox_key"),
                "to": user_handle,
                "kind": reply.kind,
                "language": reply.language,
                "title": reply.title,
                "text": reply.plain(),
                "chart": reply.chart is not None,
                "pid": os.getpid(),
            }
        )

    def post(self, channel: str, reply: Reply) -> dict[str, Any]:
        return self.dm(f"#{channel}", reply)

    def update(self, ref: dict[str, Any], reply: Reply) -> None:
        return None


LOG_NAMES = ("terminal", "log")


def chat_messengers(services: Services) -> dict[str, Any]:
    """The configured chat platforms (Slack, WeCom): every messenger but the log."""
    return {
        name: m
        for name, m in services.messengers.items()
        if name not in LOG_NAMES and getattr(m, "platform", name) not in LOG_NAMES
    }


def log_messenger(services: Services) -> Any:
    """The log messenger: a registered one, else JSON lines to PROFILEBOT_OUTBOX_LOG / the log."""
    for name in LOG_NAMES:
        if name in services.messengers:
            return services.messengers[name]
    return LogMessenger(services.settings.outbox_log)


def reachable_on(services: Services, user: User | None) -> Any | None:
    """The chat messenger that reaches this user (Slack id, else WeCom id), or None."""
    chat = chat_messengers(services)
    if user is None or not user.active:
        return None
    if user.slack_id and "slack" in chat:
        return chat["slack"]
    if user.wecom_id and "wecom" in chat:
        return chat["wecom"]
    return None


def messenger_for(services: Services, user: User | None):  # noqa: ANN201
    """The platform to reach a user on: Slack, WeCom, else the log messenger."""
    return reachable_on(services, user) or log_messenger(services)


@dataclass
class Route:
    """Where one outbox message goes: the messenger, the person, and why if not the addressee."""

    messenger: Any
    user: User | None
    handle: str
    platform: str
    fallback: dict[str, Any] | None = None
    post: bool = False  # to a channel (handle is its id), not a person

    @property
    def logged(self) -> bool:
        return self.platform in LOG_NAMES


def route(services: Services, session: Session, row: OutboxMessage) -> Route:
    """Choose who and how: the addressee on their platform; when the addressee is missing (no
    owner/CSM: queued for nobody) or cannot be reached on any configured platform, their manager,
    then an admin, who can. With no chat platform configured at all, everything goes to the log."""
    if (row.payload or {}).get("how") == "post":  # a channel post on the row's own platform
        m = chat_messengers(services).get(row.channel) or log_messenger(services)
        return Route(m, None, row.recipient or "", getattr(m, "platform", "log"), post=True)
    people = People.load(session)
    meant = people.resolve(row.recipient)
    target, why = meant, None
    if target is None:
        target, why = people.fallback_for()
        why = f"{row.recipient or 'nobody'} is no user: {why}"
    chat = chat_messengers(services)
    if chat and reachable_on(services, target) is None:
        candidates: list[tuple[User | None, str]] = []
        boss = people.manager_of(target)
        seen = {target.id} if target is not None else set()
        while boss is not None and boss.id not in seen:
            candidates.append((boss, "manager"))
            seen.add(boss.id)
            boss = people.manager_of(boss)
        candidates += [(u, "admin") for u in people.users if u.role == "admin" and u.active]
        who = target.handle if target else (row.recipient or "nobody")
        for cand, kind in candidates:
            if reachable_on(services, cand) is not None:
                why = f"{who} cannot be reached on {', '.join(chat)}: {kind}"
                target = cand
                break
        else:
            why = f"{who} cannot be reached on {', '.join(chat)} and nobody can take it: log"
    messenger = reachable_on(services, target) or log_messenger(services)
    platform = getattr(messenger, "platform", "log")
    handle = target.handle if target else (row.recipient or "")
    fallback = None
    if why or (target is not None and meant is not None and target.id != meant.id):
        fallback = {"meant_for": row.recipient, "to": handle, "why": why}
    return Route(messenger, target, handle, platform, fallback)


ROLE_ZH = {"owner": "负责人", "csm": "客户成功经理", "manager": "经理"}


def fallback_note(lang: str, payload: dict[str, Any], fallback: dict[str, Any] | None) -> str:
    """One line telling a fallback recipient why this message came to them."""
    queued = payload.get("fallback") or {}
    meant = (fallback or {}).get("meant_for") or queued.get("meant_for")
    if isinstance(meant, list):
        meant = ", ".join(str(m) for m in meant)
    account = payload.get("account")
    role = queued.get("role")
    if lang == "zh":
        if meant:
            return f"（转给你：{meant} 收不到这条消息。）"
        missing = ROLE_ZH.get(role or "", "负责人或客户成功经理")
        return f"（转给你：{account or '这个客户'} 没有{missing}。）"
    if meant:
        return f"(Forwarded to you: {meant} cannot receive this message.)"
    missing = {"csm": "CSM", "owner": "owner", "manager": "manager"}.get(role or "", "owner or CSM")
    return f"(Forwarded to you: {account or 'this account'} has no {missing}.)"


def sign(secret: str, body: bytes) -> str:
    """The X-Profilebot-Signature value: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(services: Services, row: OutboxMessage) -> dict[str, Any]:
    """POST the signed JSON body; 2xx sent, 429/5xx retry (Retry-After honoured), else fail."""
    body = json.dumps(row.payload.get("body", {}), ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "X-Profilebot-Key": row.key}
    secret = services.settings.webhook_secret
    if secret is not None:
        headers["X-Profilebot-Signature"] = sign(secret.get_secret_value(), body)
    try:
        resp = httpx.post(row.recipient or "", content=body, headers=headers, timeout=10.0)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook {row.recipient}: {exc}") from exc
    if 200 <= resp.status_code < 300:
        return {"status": resp.status_code}
    retry_after = None
    if resp.headers.get("Retry-After", "").strip().isdigit():
        retry_after = float(resp.headers["Retry-After"])
    retryable = resp.status_code == 429 or resp.status_code >= 500
    raise DeliveryError(
        f"webhook {row.recipient} answered {resp.status_code}",
        retryable=retryable,
        retry_after=retry_after,
    )


def render(
    services: Services,
    session: Session,
    row: OutboxMessage,
    now: dt.datetime,
    to: Route | None = None,
) -> Reply:
    """The reply an outbox row stands for, in the recipient's language, built at send time (for
    a fallback recipient: in their language, saying why it came to them)."""

    p = row.payload or {}
    user = find_user(session, row.recipient or "")
    reader = to.user if to is not None and to.user is not None else user
    lang = user_language(reader, services.settings.default_timezone)
    kind = p.get("kind")
    if kind == "alert":
        alert = session.get(Alert, p["alert_id"])
        if alert is None:
            raise DeliveryError(f"alert {p['alert_id']} is gone", retryable=False)
        reply = alert_reply(session, alert, lang, event=p.get("event"))
    elif kind == "digest":
        if user is None:
            raise DeliveryError(f"digest for unknown user {row.recipient}", retryable=False)
        reply = build_digest(services, session, user, now)
    elif kind == "renewal":
        acc = session.get(Account, p["account_id"])
        name = acc.name if acc else p.get("account", "?")
        arr = f"{acc.arr:,.0f}" if acc and acc.arr else "—"
        if lang == "zh":
            text = f"续约提醒：{name} 的合同将在 {p['contract_end']} 到期（还有 {p['days_left']} 天），年合同额 {arr}。"
        else:
            text = (
                f"Renewal reminder: {name}'s contract ends on {p['contract_end']} "
                f"(in {p['days_left']} days), ARR {arr}."
            )
        reply = Reply(text=text, kind="alert", language=lang, private=True)
    elif kind == "inactivity":
        if lang == "zh":
            text = f"{p['account']} 已经 {p['days']} 天没有登录了，建议联系一下。"
        else:
            text = f"{p['account']} has not logged in for {p['days']} days — worth a call."
        reply = Reply(text=text, kind="alert", language=lang, private=True)
    elif kind == "rule_dm":
        if lang == "zh":
            text = f"规则「{p['rule']}」命中了客户 {p['account']}。"
        else:
            text = f"Rule '{p['rule']}' now matches {p['account']}."
        reply = Reply(text=p.get("title") or text, kind="alert", language=lang, private=True)
    else:
        reply = Reply(text=str(p.get("text", "")), kind="text", language=lang, private=True)
    if p.get("fallback") or (to is not None and to.fallback):
        note = fallback_note(lang, p, to.fallback if to is not None else None)
        reply.text = f"{note}\n{reply.text}" if reply.text else note
    reply.data = {**reply.data, "outbox_key": row.key}
    return reply


def deliver(services: Services, row: OutboxMessage, reply: Reply | None, to: Route | None):  # noqa: ANN201
    """Send one rendered message along its route; returns the platform reference."""
    if row.channel == "webhook":
        return post_webhook(services, row)
    assert to is not None
    try:
        if to.post:
            return to.messenger.post(to.handle, reply) or {}
        return to.messenger.dm(to.handle, reply) or {}
    except DeliveryError:
        raise
    except Exception as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        retry_after = getattr(exc, "retry_after", None)
        # Retry only when the platform answered that it did not take the message (429 rate
        # limit, 5xx) or refused the connection. A timeout or an unknown error may mean it was
        # delivered — chat messages are at most once, so those fail for a person to see.
        refused = isinstance(exc, ConnectionRefusedError) or isinstance(
            getattr(exc, "__cause__", None) or getattr(exc, "reason", None), ConnectionRefusedError
        )
        retryable = status == 429 or (status is not None and status >= 500) or refused
        raise DeliveryError(str(exc), retryable=retryable, retry_after=retry_after) from exc
