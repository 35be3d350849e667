"""WeCom (企业微信) adapter: the callback URL with its signature and AES scheme, and the send API.

The callback (`GET|POST /wecom/callback`) verifies `msg_signature`, decrypts with the
EncodingAESKey (wechatpy's implementation of the official WXBizMsgCrypt scheme), answers within
WeCom's 5-second limit with an empty 200, and does the work on a worker thread: the reply goes out
through `message/send`. A message id seen before is not answered twice (the `seen_messages` table,
so it holds across restarts and instances).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from handlers.messages import IncomingMessage, Reply
from handlers.router import handle
from handlers.services import Services
from store.models import SeenMessage, User
from store.redact import redact, register_secrets

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://qyapi.weixin.qq.com"
CALLBACK_PATH = "/wecom/callback"


class WeComConfigError(RuntimeError):
    """A WeCom setting is missing; the message names it."""


class WeComAPIError(RuntimeError):
    """The WeCom API failed; the text is safe to log and store (no secret, no token)."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        # delivery reads .response.status_code to decide whether a retry is safe (429, 5xx)
        self.response = SimpleNamespace(status_code=status_code) if status_code else None


def crypto_from_settings(services: Services) -> WeChatCrypto:
    """The callback crypto from WECOM_TOKEN, WECOM_AES_KEY and WECOM_CORP_ID."""
    s = services.settings
    missing = [
        name
        for name, value in (
            ("WECOM_TOKEN", s.wecom_token),
            ("WECOM_AES_KEY", s.wecom_aes_key),
            ("WECOM_CORP_ID", s.wecom_corp_id),
        )
        if not value
    ]
    if missing:
        raise WeComConfigError(f"set {', '.join(missing)} to receive WeCom callbacks")
    return WeChatCrypto(
        s.wecom_token.get_secret_value(), s.wecom_aes_key.get_secret_value(), s.wecom_corp_id
    )


# --------------------------------------------------------------------------- rendering


def reply_markdown(reply: Reply) -> str:
    """A Reply as WeCom markdown (buttons become commands the user can type)."""
    lines: list[str] = []
    if reply.title:
        lines.append(f"**{reply.title}**")
    lines.append(reply.text)
    for heading, body in reply.sections:
        lines.append(f"**{heading}**\n{body}" if heading else body)
    for label, value in reply.fields.items():
        lines.append(f"> {label}: {value}")
    for i, row in enumerate(reply.rows, 1):
        extras = " · ".join(f"{k} {v}" for k, v in row.fields.items())
        lines.append(f"{i}. **{row.name}**" + (f"  {extras}" if extras else ""))
    if reply.context:
        lines.append(f'<font color="comment">{reply.context}</font>')
    if reply.buttons:
        lines.append(" | ".join(b.label for b in reply.buttons))
    return "\n".join(x for x in lines if x)


# --------------------------------------------------------------------------- sending


class WeComMessenger:
    """The send API: access token from gettoken (cached), then message/send as markdown."""

    platform = "wecom"

    def __init__(self, services: Services, session: requests.Session | None = None) -> None:
        s = services.settings
        if not (s.wecom_corp_id and s.wecom_secret and s.wecom_agent_id):
            raise WeComConfigError("set WECOM_CORP_ID, WECOM_SECRET and WECOM_AGENT_ID to send")
        self.services = services
        self.base = (s.wecom_api_url or DEFAULT_API_URL).rstrip("/")
        self.corp_id = s.wecom_corp_id
        self.secret = s.wecom_secret.get_secret_value()
        register_secrets([self.secret])
        self.agent_id = (
            int(s.wecom_agent_id) if str(s.wecom_agent_id).isdigit() else s.wecom_agent_id
        )
        self.http = session or requests.Session()
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    def _access_token(self, force: bool = False) -> str:
        with self._lock:
            if self._token and not force and time.monotonic() < self._token_expires:
                return self._token
            data = self._call(
                "GET",
                "/cgi-bin/gettoken",
                params={"corpid": self.corp_id, "corpsecret": self.secret},
            )
            if data.get("errcode", 0) != 0:
                raise WeComAPIError(redact(f"WeCom gettoken failed: {data.get('errmsg')}"))
            self._token = str(data["access_token"])
            register_secrets([self._token])
            self._token_expires = time.monotonic() + int(data.get("expires_in", 7200)) - 300
            return self._token

    def _send(self, payload: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(2):
            data = self._call(
                "POST",
                "/cgi-bin/message/send",
                params={"access_token": self._access_token(force=attempt > 0)},
                data=json.dumps(payload, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json"},
            )
            # 40014 / 42001: invalid or expired token — refresh once
            if data.get("errcode") in (40014, 42001) and attempt == 0:
                continue
            if data.get("errcode", 0) != 0:
                raise WeComAPIError(redact(f"WeCom message/send failed: {data.get('errmsg')}"))
            return data
        raise WeComAPIError("WeCom message/send failed after a token refresh")

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """One WeCom API call; a failure is a WeComAPIError whose text holds no secret (the
        corp secret and access token travel in the URL, which requests quotes in its errors)."""
        try:
            r = self.http.request(method, f"{self.base}{path}", timeout=10, **kw)
        except requests.RequestException as exc:
            raise WeComAPIError(redact(f"WeCom {path}: {type(exc).__name__}: {exc}")) from None
        if r.status_code >= 400:
            raise WeComAPIError(f"WeCom {path} answered HTTP {r.status_code}", r.status_code)
        try:
            data = r.json()
        except ValueError:
            raise WeComAPIError(f"WeCom {path} answered something that is not JSON") from None
        if not isinstance(data, dict):
            raise WeComAPIError(f"WeCom {path} answered something that is not a JSON object")
        return data

    def _wecom_id(self, user_handle: str) -> str:
        with self.services.session_factory.begin() as s:
            user = s.scalars(select(User).where(User.handle == user_handle)).first()
            return (user.wecom_id if user and user.wecom_id else user_handle) or user_handle

    def send_to(self, wecom_user_id: str, reply: Reply) -> dict[str, Any]:
        """Send a reply to a WeCom user id."""
        data = self._send(
            {
                "touser": wecom_user_id,
                "msgtype": "markdown",
                "agentid": self.agent_id,
                "markdown": {"content": reply_markdown(reply)},
            }
        )
        return {"platform": "wecom", "touser": wecom_user_id, "msgid": data.get("msgid")}

    def dm(self, user_handle: str, reply: Reply) -> dict[str, Any]:
        return self.send_to(self._wecom_id(user_handle), reply)

    def post(self, channel: str, reply: Reply) -> dict[str, Any]:
        # WeCom app messages go to people, departments (toparty) or tags; a "channel" is a party id
        data = self._send(
            {
                "toparty": channel,
                "msgtype": "markdown",
                "agentid": self.agent_id,
                "markdown": {"content": reply_markdown(reply)},
            }
        )
        return {"platform": "wecom", "toparty": channel, "msgid": data.get("msgid")}

    def update(self, ref: dict[str, Any], reply: Reply) -> None:
        # app messages cannot be edited in place: send the new state as a fresh message
        if ref.get("touser"):
            self.send_to(ref["touser"], reply)


# --------------------------------------------------------------------------- receiving


def first_time_seen(services: Services, message_id: str) -> bool:
    """Record a message id; False when another request (or instance) already took it."""
    try:
        with services.session_factory.begin() as s:
            s.add(SeenMessage(platform="wecom", message_id=message_id))
        return True
    except IntegrityError:
        return False


def user_handle_for(services: Services, wecom_user_id: str) -> str:
    """The profilebot handle of a WeCom user, or '' when no admin added them."""
    with services.session_factory.begin() as s:
        user = s.scalars(
            select(User).where(User.wecom_id == wecom_user_id, User.active.is_(True))
        ).first()
        return user.handle if user else ""


class WeComCallback:
    """WSGI app for GET|POST /wecom/callback."""

    def __init__(
        self,
        services: Services,
        messenger: WeComMessenger | None = None,
        workers: int = 4,
    ) -> None:
        self.services = services
        self.crypto = crypto_from_settings(services)
        self.messenger = messenger
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wecom")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        method = environ.get("REQUEST_METHOD", "GET")
        sig, ts, nonce = (
            query.get("msg_signature", ""),
            query.get("timestamp", ""),
            query.get("nonce", ""),
        )
        try:
            if method == "GET":
                echo = self.crypto.check_signature(sig, ts, nonce, query.get("echostr", ""))
                body = echo if isinstance(echo, bytes) else str(echo).encode()
                return _respond(start_response, "200 OK", body, "text/plain")
            if method != "POST":
                return _respond(start_response, "405 Method Not Allowed", b"")
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            xml = self.crypto.decrypt_message(raw, sig, ts, nonce)
        except (InvalidSignatureException, InvalidAppIdException):
            log.warning("wecom callback refused: bad signature or corp id")
            return _respond(start_response, "403 Forbidden", b"invalid signature")
        except Exception as exc:  # malformed body: say so, never crash the server
            log.warning("wecom callback could not be read: %s", type(exc).__name__)
            return _respond(start_response, "400 Bad Request", b"bad request")
        self.pool.submit(self._process, xml)
        # an empty 200 tells WeCom "received"; the answer goes through message/send
        return _respond(start_response, "200 OK", b"")

    def _process(self, xml: str) -> None:
        try:
            message = parse_message(xml)
            msg_id = str(getattr(message, "id", "") or "")
            if msg_id and not first_time_seen(self.services, msg_id):
                log.info("wecom message %s seen before: not answered twice", msg_id)
                return
            if message.type != "text":
                return
            wecom_user = message.source
            incoming = IncomingMessage(
                user=user_handle_for(self.services, wecom_user),
                text=message.content or "",
                platform="wecom",
                platform_user_id=wecom_user,
                message_id=msg_id or None,
                as_of=self.services.as_of,
            )
            replies = handle(self.services, incoming)
            if self.messenger is None:
                return
            for reply in replies:
                self.messenger.send_to(wecom_user, reply)
        except Exception:
            log.exception("wecom message could not be answered")


def _respond(
    start_response: Any, status: str, body: bytes, ctype: str = "text/plain"
) -> list[bytes]:
    start_response(
        status, [("Content-Type", f"{ctype}; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def healthz_body() -> bytes:
    return json.dumps({"ok": True}).encode()
