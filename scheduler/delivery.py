"""Turn outbox rows into replies and deliver them: chat messengers, the log, signed webhooks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from typing import Any

import httpx
from sqlalchemy.orm import Session

from handlers.messages import Reply
from handlers.services import Services
from store.models import Account, Alert, OutboxMessage, User
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


def messenger_for(services: Services, user: User | None):  # noqa: ANN201
    """The platform to reach a user on: Slack, WeCom, else the log messenger."""
    m = services.messengers
    if user is not None:
        if user.slack_id and "slack" in m:
            return m["slack"]
        if user.wecom_id and "wecom" in m:
            return m["wecom"]
    for name in ("terminal", "log"):
        if name in m:
            return m[name]
    if len(m) == 1:
        return next(iter(m.values()))
    return LogMessenger(services.settings.outbox_log)


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


def render(services: Services, session: Session, row: OutboxMessage, now: dt.datetime) -> Reply:
    """The reply an outbox row stands for, in the recipient's language, built at send time."""
    from handlers.alerts import alert_reply
    from handlers.digest import build_digest, user_language

    p = row.payload or {}
    user = find_user(session, row.recipient or "")
    lang = user_language(user, services.settings.default_timezone)
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
    reply.data = {**reply.data, "outbox_key": row.key}
    return reply


def deliver(services: Services, row: OutboxMessage, reply: Reply | None, user: User | None):  # noqa: ANN201
    """Send one rendered message; returns the platform reference."""
    if row.channel == "webhook":
        return post_webhook(services, row)
    messenger = messenger_for(services, user)
    handle = user.handle if user else (row.recipient or "")
    try:
        return messenger.dm(handle, reply) or {}
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
