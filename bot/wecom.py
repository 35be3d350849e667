"""WeCom (企业微信) adapter: the callback URL with its signature and AES scheme, and the send API.

The callback (`GET|POST /wecom/callback`) verifies `msg_signature`, decrypts with the
EncodingAESKey (wechatpy's implementation of the official WXBizMsgCrypt scheme), answers within
WeCom's 5-second limit with an empty 200, and does the work on a worker thread: the reply goes out
through `message/send`. A message id seen before is not answered twice (the `seen_messages` table,
so it holds across restarts and instances).

Alerts go out as `template_card` messages (`button_interaction`); a click arrives as a
`template_card_event` (EventKey, TaskId, ResponseCode), is checked against the clicker exactly like
a Slack button, acts, and the card is updated with `message/update_template_card` (the response
code is single use and lasts 72 hours: when WeCom refuses it the new state goes as a new card).
Markdown stays within 4,096 bytes and text within 2,048, paged between rows ("更多" continues);
charts go as images (`media/upload`, then an `image` message). A `file` message's MediaId is
fetched with `media/get` and imported like a file sent in Slack. Note that WeCom's self-built and
agent-developed apps receive only text, image, voice, video, location and link messages: see the
README for where files arrive and how to import otherwise.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import requests
import xmltodict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from handlers import alerts as alert_handlers
from handlers.actions import ActionId
from handlers.digest import user_language
from handlers.imports import IMPORTERS
from handlers.messages import Button, IncomingMessage, Reply
from handlers.router import handle
from handlers.services import Services
from store.models import Account, ChatState, SeenMessage, User
from store.query import find_user
from store.redact import redact, register_secrets

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://qyapi.weixin.qq.com"
CALLBACK_PATH = "/wecom/callback"


class WeComConfigError(RuntimeError):
    """A WeCom setting is missing; the message names it."""


class WeComAPIError(RuntimeError):
    """The WeCom API failed; the text is safe to log and store (no secret, no token)."""

    def __init__(
        self,
        message: str,
        status_code: int | None = None,
        *,
        retry_after: float | None = None,
        errcode: int | None = None,
    ) -> None:
        super().__init__(message)
        # delivery reads .response.status_code to decide whether a retry is safe (429, 5xx)
        # and .retry_after for how long to wait; a rate-limit errcode counts as a 429
        self.response = SimpleNamespace(status_code=status_code) if status_code else None
        self.retry_after = retry_after
        self.errcode = errcode


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

# WeCom's documented limits on message/send (UTF-8 bytes of the content)
TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
MAX_CARD_BUTTONS = 6
CARD_ACTIONS = (
    ActionId.ALERT_ACK,
    ActionId.ALERT_SNOOZE,
    ActionId.ALERT_RESOLVE,
    ActionId.OPEN_PROFILE,
)
MORE_WORDS = {"更多", "more", "下一页", "next", "继续"}
RATE_LIMITED = {45009: 60.0, 45033: 5.0, -1: 5.0}  # errcode -> seconds to wait before a retry
TOKEN_ERRORS = (40014, 42001)
_TOKEN_KEY = "~wecom:access_token"  # the shared token's row in chat_state (not a user handle)


def reply_markdown(reply: Reply) -> str:
    """A Reply as WeCom markdown (buttons become commands the user can type)."""
    return "\n".join(reply_lines(reply))


_WECOM_MARKUP = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "`": "｀", "*": "＊"})


def wecom_escape(text: Any) -> str:
    """Customer text made inert in WeCom markdown: no <font>/<@all> tags, no [label](url) links,
    no bold or code from data, no heading or quote at a line start. Fullwidth lookalikes keep it
    readable (WeCom markdown has no backslash escapes)."""
    out = str(text if text is not None else "").translate(_WECOM_MARKUP)
    return re.sub(r"(?m)^(\s*)([#>])", lambda m: m.group(1) + "\u200b" + m.group(2), out)


def reply_lines(reply: Reply) -> list[str]:
    """The reply's markdown, one row a line (pages break only between these). Every piece of
    reply text is escaped (wecom_escape); our own markup is added around it."""
    e = wecom_escape
    lines: list[str] = []
    if reply.title:
        lines.append(f"**{e(reply.title)}**")
    lines += e(reply.text).splitlines()
    for heading, body in reply.sections:
        if heading:
            lines.append(f"**{e(heading)}**")
        lines += e(body).splitlines()
    for label, value in reply.fields.items():
        lines.append(f"> {e(label)}: {e(value)}")
    for i, row in enumerate(reply.rows, 1):
        extras = " · ".join(f"{e(k)} {e(v)}" for k, v in row.fields.items())
        lines.append(f"{i}. **{e(row.name)}**" + (f"  {extras}" if extras else ""))
    if reply.context:
        lines.append(f'<font color="comment">{e(reply.context)}</font>')
    if reply.buttons:
        lines.append(" | ".join(e(b.label) for b in reply.buttons))
    return [x for x in lines if x]


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(line: str, limit: int) -> list[str]:
    """A single line longer than a page, in pieces that fit (never splitting a character)."""
    out, buf = [], ""
    for ch in line:
        if _utf8_len(buf + ch) > limit:
            out.append(buf)
            buf = ""
        buf += ch
    return [*out, buf] if buf else out


def pages(lines: list[str], limit: int, zh: bool) -> list[str]:
    """Lines packed into pages of at most `limit` UTF-8 bytes, each page but the last ending
    with a line that says how to get the next one; a page breaks only between lines."""
    footer_room = 80  # the "（第 1/9 页，回复“更多”查看下一页）" line
    budget = limit - footer_room
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        for piece in _cut(line, budget) if _utf8_len(line) > budget else [line]:
            n = _utf8_len(piece) + 1
            if chunks[-1] and size + n > budget:
                chunks.append([])
                size = 0
            chunks[-1].append(piece)
            size += n
    total = len(chunks)
    out = []
    for i, chunk in enumerate(chunks, 1):
        text = "\n".join(chunk)
        if i < total:
            text += (
                f"\n（第 {i}/{total} 页，回复“更多”查看下一页）"
                if zh
                else f"\n(page {i}/{total} — reply 'more' for the next)"
            )
        out.append(text)
    return out


def _card_text(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def button_key(button: Button) -> str:
    """A card button's key (WeCom returns it as EventKey): the action and the alert/account."""
    v = button.value
    if button.action == ActionId.OPEN_PROFILE:
        return f"{button.action}:{v.get('account_id')}"
    if button.action == ActionId.ALERT_SNOOZE:
        return f"{button.action}:{v.get('alert_id')}:{v.get('days') or 1}"
    return f"{button.action}:{v.get('alert_id')}"


def parse_button_key(key: str) -> tuple[str, dict[str, Any]]:
    """(action, value) from a card button's key; the value is reloaded and checked, not trusted."""
    action, _, rest = (key or "").partition(":")
    parts = rest.split(":")
    if action == ActionId.OPEN_PROFILE:
        return action, {"account_id": parts[0]}
    value: dict[str, Any] = {"alert_id": parts[0]}
    if action == ActionId.ALERT_SNOOZE and len(parts) > 1 and parts[1].isdigit():
        value["days"] = int(parts[1])
    return action, value


def alert_card(reply: Reply, task_id: str) -> dict[str, Any]:
    """An alert reply as a `template_card` of type `button_interaction`: acknowledge, snooze
    (1/3/7 days), resolve, open the profile — at most six buttons, as WeCom allows."""
    zh = reply.language == "zh"
    buttons = [b for b in reply.buttons if b.action in CARD_ACTIONS][:MAX_CARD_BUTTONS]
    status = next(iter(reply.fields.values()), "")
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "source": {"desc": "profilebot · 客户画像" if zh else "profilebot"},
        "main_title": {
            "title": _card_text(reply.title or "", 36),
            "desc": _card_text(status, 30),
        },
        "sub_title_text": _card_text(reply.text, 120),
        "horizontal_content_list": [
            {"keyname": _card_text(k, 10), "value": _card_text(str(v), 30)}
            for k, v in list(reply.fields.items())[1:7]
        ],
        "task_id": task_id,
        "button_list": [
            {
                "text": _card_text(b.label, 10),
                "style": 1 if b.style == "primary" else 2,
                "key": button_key(b),
            }
            for b in buttons
        ],
    }
    return card


def _task_id(alert_id: Any) -> str:
    # unique per app, digits/letters/_-@ only, at most 128 bytes
    return f"alert-{alert_id}-{uuid.uuid4().hex[:16]}"


# --------------------------------------------------------------------------- shared state


def _state_get(services: Services, key: str) -> dict[str, Any]:
    with services.session_factory.begin() as s:
        row = s.get(ChatState, key)
        return dict(row.state or {}) if row else {}


def _state_put(services: Services, key: str, state: dict[str, Any]) -> None:
    with services.session_factory.begin() as s:
        row = s.get(ChatState, key)
        if row is None:
            s.add(ChatState(user_handle=key, state=state))
        else:
            row.state = state


def _pages_key(wecom_user: str) -> str:
    return f"~wecom:pages:{wecom_user}"[:100]


# --------------------------------------------------------------------------- sending


class WeComMessenger:
    """The send API: markdown within WeCom's byte limits, alerts as template cards, charts as
    images. The access token lives in the database (chat_state row `~wecom:access_token`), so
    every instance shares one and a 40014/42001 refreshes it for all."""

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
        self._lock = threading.Lock()  # one refresh at a time in this process

    # ---- the shared access token
    def _access_token(self, force: bool = False, stale: str | None = None) -> str:
        """The token from the database; fetched anew when missing, expired, or when `stale`
        (the token WeCom just refused) is still the stored one."""
        with self._lock:
            saved = _state_get(self.services, _TOKEN_KEY)
            token, expires = saved.get("token"), float(saved.get("expires_at") or 0)
            if token:
                register_secrets([token])
            fresh = token and time.time() < expires
            if fresh and not (force and (stale is None or stale == token)):
                return str(token)
            data = self._call(
                "GET",
                "/cgi-bin/gettoken",
                params={"corpid": self.corp_id, "corpsecret": self.secret},
            )
            if data.get("errcode", 0) != 0:
                raise WeComAPIError(redact(f"WeCom gettoken failed: {data.get('errmsg')}"))
            token = str(data["access_token"])
            register_secrets([token])
            _state_put(
                self.services,
                _TOKEN_KEY,
                {
                    "token": token,
                    "expires_at": time.time() + int(data.get("expires_in", 7200)) - 300,
                },
            )
            return token

    def _api(
        self, path: str, payload: dict[str, Any] | None = None, *, retries: int = 0, **kw: Any
    ) -> dict[str, Any]:
        """POST (or GET, payload None) an API path with the shared token: a refused token is
        refreshed once; a rate limit (45009/45033, -1 busy) waits and retries `retries` times,
        then raises a retryable error (HTTP-429-like, with retry_after) for the outbox."""
        token = self._access_token()
        refreshed = False
        attempt = 0
        extra = kw.pop("params", {})  # every attempt sends them (media/upload's type)
        if payload is not None:
            kw["data"] = json.dumps(payload, ensure_ascii=False).encode()
            kw["headers"] = {"Content-Type": "application/json"}
        method = "POST" if payload is not None or "files" in kw else "GET"
        while True:
            params = {**extra, "access_token": token}
            data = self._call(method, path, params=params, **kw)
            code = data.get("errcode", 0)
            if code in TOKEN_ERRORS and not refreshed:
                token = self._access_token(force=True, stale=token)
                refreshed = True
                continue
            if code in RATE_LIMITED:
                wait = RATE_LIMITED[code]
                if attempt < retries:
                    attempt += 1
                    time.sleep(min(wait, 2.0 * attempt))
                    continue
                raise WeComAPIError(
                    f"WeCom {path} rate-limited (errcode {code})", 429, retry_after=wait
                )
            if code != 0:
                raise WeComAPIError(
                    redact(f"WeCom {path} failed: errcode {code} {data.get('errmsg')}"),
                    errcode=code,
                )
            return data

    def _send(self, payload: dict[str, Any], retries: int = 0) -> dict[str, Any]:
        return self._api(
            "/cgi-bin/message/send", {**payload, "agentid": self.agent_id}, retries=retries
        )

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """One WeCom API call; a failure is a WeComAPIError whose text holds no secret (the
        corp secret and access token travel in the URL, which requests quotes in its errors)."""
        r = self._raw(method, path, **kw)
        try:
            data = r.json()
        except ValueError:
            raise WeComAPIError(f"WeCom {path} answered something that is not JSON") from None
        if not isinstance(data, dict):
            raise WeComAPIError(f"WeCom {path} answered something that is not a JSON object")
        return data

    def _raw(self, method: str, path: str, **kw: Any) -> requests.Response:
        try:
            r = self.http.request(method, f"{self.base}{path}", timeout=10, **kw)
        except requests.RequestException as exc:
            raise WeComAPIError(redact(f"WeCom {path}: {type(exc).__name__}: {exc}")) from None
        if r.status_code >= 400:
            raise WeComAPIError(f"WeCom {path} answered HTTP {r.status_code}", r.status_code)
        return r

    # ---- media
    def upload(self, data: bytes, filename: str, kind: str = "image", mime: str = "") -> str:
        """media/upload: a temporary media id (3 days) for an image or file message."""
        files = {"media": (filename, data, mime or "application/octet-stream")}
        out = self._api("/cgi-bin/media/upload", None, params={"type": kind}, files=files)
        return str(out["media_id"])

    def download(self, media_id: str) -> tuple[bytes, str | None]:
        """media/get: the bytes of a media id a message carried, and its file name if given."""
        for refreshed in (False, True):
            token = self._access_token(force=refreshed)
            r = self._raw(
                "GET", "/cgi-bin/media/get", params={"access_token": token, "media_id": media_id}
            )
            if "json" in r.headers.get("Content-Type", "") or r.content[:1] == b"{":
                data = r.json()
                if data.get("errcode") in TOKEN_ERRORS and not refreshed:
                    continue
                raise WeComAPIError(f"WeCom media/get failed: errcode {data.get('errcode')}")
            m = re.search(
                r"filename\*?=(?:UTF-8'')?\"?([^\";]+)", r.headers.get("Content-Disposition", "")
            )
            name = urllib.parse.unquote(m.group(1)) if m else None
            return r.content, name
        raise WeComAPIError("WeCom media/get failed after a token refresh")

    # ---- messages
    def _wecom_id(self, user_handle: str) -> str:
        with self.services.session_factory.begin() as s:
            user = find_user(s, user_handle)
            return (user.wecom_id if user and user.wecom_id else user_handle) or user_handle

    def send_card(self, to: dict[str, Any], reply: Reply, retries: int = 0) -> dict[str, Any]:
        """An alert as a button_interaction template card."""
        data = self._send(
            {
                **to,
                "msgtype": "template_card",
                "template_card": alert_card(reply, _task_id(reply.data.get("alert_id"))),
            },
            retries,
        )
        return data

    def send_reply(
        self, to: dict[str, Any], reply: Reply, *, interactive: bool = False, retries: int = 0
    ) -> dict[str, Any]:
        """Send one reply: an alert as a card; anything else as markdown pages within 4,096
        bytes (in a conversation the first page now and 更多 for the rest, otherwise every
        page); then its chart and files as image/file messages."""
        zh = reply.language == "zh"
        rest: list[dict[str, Any]] = []
        if reply.kind == "alert" and reply.data.get("alert_id") and reply.buttons:
            first = self.send_card(to, reply, retries)
        else:
            chunks = pages(reply_lines(reply), MARKDOWN_LIMIT, zh)
            now, later = (chunks[:1], chunks[1:]) if interactive else (chunks, [])
            first = self._send(
                {**to, "msgtype": "markdown", "markdown": {"content": now[0]}}, retries
            )
            rest = [{"msgtype": "markdown", "markdown": {"content": c}} for c in now[1:]]
            if interactive and to.get("touser"):
                _state_put(self.services, _pages_key(to["touser"]), {"pages": later})
        # once the first message went out a failure must not make the outbox send it again:
        # the other parts wait out rate limits here, and a part that still fails raises an
        # error that is not retried (at most once, like every chat message)
        try:
            for part in rest:
                self._send({**to, **part}, retries=2)
            if reply.chart is not None:
                media = self.upload(reply.chart.png, "chart.png", "image", "image/png")
                self._send({**to, "msgtype": "image", "image": {"media_id": media}}, retries=2)
            for f in reply.files:
                kind = "image" if f.mime.startswith("image/") else "file"
                media = self.upload(f.data, f.name, kind, f.mime)
                self._send({**to, "msgtype": kind, kind: {"media_id": media}}, retries=2)
        except WeComAPIError as exc:
            raise WeComAPIError(f"sent in part, then: {exc}") from None
        return first

    def send_text(self, wecom_user_id: str, text: str, zh: bool) -> None:
        """A short notice as a text message (at most 2,048 bytes a message)."""
        for chunk in pages(text.splitlines(), TEXT_LIMIT, zh):
            self._send(
                {"touser": wecom_user_id, "msgtype": "text", "text": {"content": chunk}}, retries=2
            )

    def next_page(self, wecom_user_id: str) -> bool:
        """Send the next stored page of the last long answer; False when none is left."""
        key = _pages_key(wecom_user_id)
        left = _state_get(self.services, key).get("pages") or []
        if not left:
            return False
        _state_put(self.services, key, {"pages": left[1:]})
        self._send(
            {"touser": wecom_user_id, "msgtype": "markdown", "markdown": {"content": left[0]}},
            retries=2,
        )
        return True

    def send_to(self, wecom_user_id: str, reply: Reply) -> dict[str, Any]:
        """Answer a WeCom user in a conversation (the callback's replies)."""
        data = self.send_reply({"touser": wecom_user_id}, reply, interactive=True, retries=2)
        return {
            "platform": "wecom",
            "touser": wecom_user_id,
            "msgid": data.get("msgid"),
            "response_code": data.get("response_code"),
        }

    def dm(self, user_handle: str, reply: Reply) -> dict[str, Any]:
        # the outbox's road: a rate limit raises a retryable error, the outbox backs off
        uid = self._wecom_id(user_handle)
        data = self.send_reply({"touser": uid}, reply)
        return {
            "platform": "wecom",
            "touser": uid,
            "msgid": data.get("msgid"),
            "response_code": data.get("response_code"),
        }

    def post(self, channel: str, reply: Reply) -> dict[str, Any]:
        # WeCom app messages go to people, departments (toparty) or tags; a "channel" is a party id
        data = self.send_reply({"toparty": channel}, reply)
        return {"platform": "wecom", "toparty": channel, "msgid": data.get("msgid")}

    def update_card(
        self, wecom_user_id: str, response_code: str, reply: Reply, task_id: str
    ) -> bool:
        """Replace a clicked card with the alert's new state (message/update_template_card,
        the click's response code: single use, 72 hours). False when WeCom refused it."""
        if not response_code:
            return False
        body: dict[str, Any] = {
            "userids": [wecom_user_id],
            "agentid": self.agent_id,
            "response_code": response_code,
        }
        if reply.buttons and any(b.action in CARD_ACTIONS[:3] for b in reply.buttons):
            body["template_card"] = alert_card(reply, task_id)
        else:  # nothing left to do (resolved): grey the buttons out with the outcome
            status = next(iter(reply.fields.values()), "")
            body["button"] = {"replace_name": _card_text(status, 10)}
        try:
            self._api("/cgi-bin/message/update_template_card", body, retries=2)
            return True
        except WeComAPIError as exc:
            log.info("card not updated (%s): sending the new state as a message", exc)
            return False

    def update(self, ref: dict[str, Any], reply: Reply) -> None:
        if ref.get("touser"):
            self.send_reply({"touser": ref["touser"]}, reply)


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
    """The profilebot handle of a WeCom user through the one identity resolver (WeCom id, handle,
    email or display name, any case or width; the WeCom id is then remembered), or '' when no
    admin added them."""
    if not wecom_user_id:
        return ""
    with services.session_factory.begin() as s:
        user = find_user(s, wecom_user_id)
        if user is None or (user.wecom_id and user.wecom_id.lower() != wecom_user_id.lower()):
            return ""  # another WeCom account already signs in as them
        if not user.wecom_id:
            user.wecom_id = wecom_user_id
        return user.handle


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
            doc = xmltodict.parse(xml).get("xml") or {}
            kind = str(doc.get("MsgType") or "")
            wecom_user = str(doc.get("FromUserName") or "")
            if kind == "event":
                if doc.get("Event") == "template_card_event":
                    self._on_card_click(doc, wecom_user)
                return
            msg_id = str(doc.get("MsgId") or "")
            if msg_id and not first_time_seen(self.services, msg_id):
                log.info("wecom message %s seen before: not answered twice", msg_id)
                return
            handle_ = user_handle_for(self.services, wecom_user)
            lang = self._language(handle_)
            if kind == "text":
                self._on_text(wecom_user, handle_, str(doc.get("Content") or ""), msg_id)
            elif kind == "file":
                self._on_file(wecom_user, handle_, doc, msg_id, lang)
            elif kind in _OTHER_KINDS and self.messenger is not None:
                self.messenger.send_text(wecom_user, _polite(kind, lang), lang == "zh")
        except Exception:
            log.exception("wecom message could not be answered")

    def _language(self, handle_: str) -> str:
        """The language for a reply that has no text to detect it from (files, clicks)."""
        with self.services.session_factory.begin() as s:
            user = (
                s.scalars(select(User).where(User.handle == handle_)).first() if handle_ else None
            )
            return user_language(user, self.services.settings.default_timezone or "Asia/Shanghai")

    def _answer(self, wecom_user: str, replies: list[Reply]) -> None:
        if self.messenger is None:
            return
        for reply in replies:
            self.messenger.send_to(wecom_user, reply)

    def _on_text(self, wecom_user: str, handle_: str, text: str, msg_id: str) -> None:
        if (
            text.strip().lower().rstrip("。.!！") in MORE_WORDS
            and self.messenger is not None
            and self.messenger.next_page(wecom_user)
        ):
            return  # the rest of the last long answer comes before the next page of a list
        incoming = IncomingMessage(
            user=handle_,
            text=text,
            platform="wecom",
            platform_user_id=wecom_user,
            message_id=msg_id or None,
            as_of=self.services.as_of,
        )
        self._answer(wecom_user, handle(self.services, incoming))

    def _on_file(
        self, wecom_user: str, handle_: str, doc: dict[str, Any], msg_id: str, lang: str
    ) -> None:
        """A spreadsheet sent to the app: fetched with media/get, imported like in Slack (the
        import handler lets only admins import and says so to others)."""
        name = str(doc.get("FileName") or doc.get("Title") or "upload")
        if not handle_ or self.messenger is None:
            base = IncomingMessage(user=handle_, text="", platform="wecom", language=lang)
            self._answer(wecom_user, handle(self.services, base))
            return
        with tempfile.TemporaryDirectory(prefix="wecom-file-") as tmp:
            incoming = IncomingMessage(
                user=handle_,
                text=str(doc.get("Content") or ""),
                platform="wecom",
                platform_user_id=wecom_user,
                message_id=msg_id or None,
                as_of=self.services.as_of,
                language=lang,
                file_name=name,
                file_path=str(Path(tmp) / "pending"),
            )
            if not _may_import(self.services, handle_):
                # refused before anything is downloaded
                self._answer(wecom_user, handle(self.services, incoming))
                return
            data, fetched = self.messenger.download(str(doc.get("MediaId") or ""))
            name = fetched or name
            path = Path(tmp) / Path(name).name
            path.write_bytes(data)
            incoming = IncomingMessage(
                **{
                    **{f: getattr(incoming, f) for f in incoming.__dataclass_fields__},
                    "file_path": str(path),
                    "file_name": name,
                }
            )
            self._answer(wecom_user, handle(self.services, incoming))

    def _on_card_click(self, doc: dict[str, Any], wecom_user: str) -> None:
        """A card button: check the clicker like a Slack button, act, update the card."""
        key = str(doc.get("EventKey") or "")
        task_id = str(doc.get("TaskId") or "")
        code = str(doc.get("ResponseCode") or "")
        seen = f"card:{wecom_user}:{task_id}:{key}:{doc.get('CreateTime')}"
        if not first_time_seen(self.services, seen[:200]):
            return
        handle_ = user_handle_for(self.services, wecom_user)
        lang = self._language(handle_)
        action, value = parse_button_key(key)
        if self.messenger is None:
            return
        if not handle_:
            self._answer(
                wecom_user,
                handle(
                    self.services,
                    IncomingMessage(user="", text="", platform="wecom", language=lang),
                ),
            )
            return
        if action == ActionId.OPEN_PROFILE:
            with self.services.session_factory.begin() as s:
                acc = (
                    s.get(Account, int(value["account_id"]))
                    if value["account_id"].isdigit()
                    else None
                )
                name = acc.name if acc is not None else value["account_id"]
            text = f"{name} 的客户画像" if lang == "zh" else f"tell me about {name}"
            self._on_text(wecom_user, handle_, text, "")
            return
        now = self.services.now()
        reply = alert_handlers.handle_action(
            self.services, handle_, action, value, now, lang=lang, platform="wecom"
        )
        if reply.kind == "error":  # refused: the card stays as it was, the clicker is told why
            self.messenger.send_text(wecom_user, reply.text, lang == "zh")
            return
        if not self.messenger.update_card(wecom_user, code, reply, task_id):
            self.messenger.send_to(wecom_user, reply)  # code used or expired: a new card


_OTHER_KINDS = ("image", "voice", "video", "shortvideo", "location", "link")


def _may_import(services: Services, handle_: str) -> bool:

    with services.session_factory.begin() as s:
        user = s.scalars(select(User).where(User.handle == handle_)).first()
        return user is not None and user.role in IMPORTERS


def _polite(kind: str, lang: str) -> str:
    """What an image, voice note or other non-text message gets back."""
    what_zh = {"image": "图片", "voice": "语音", "video": "视频", "shortvideo": "视频"}.get(
        kind, "消息"
    )
    what_en = {"image": "picture", "voice": "voice message", "shortvideo": "video"}.get(
        kind, "message" if kind in ("location", "link") else kind
    )
    if lang == "zh":
        return (
            f"收到你的{what_zh}了，谢谢！不过我只能读文字：请直接打字提问，例如“有流失风险的客户”。"
            "要导入表格，管理员可以在电脑上用 `profilebot import 文件` 或推送接口导入。"
        )
    return (
        f"Thanks for the {what_en}! I can only read text, though: type your question, e.g. "
        "'show churn-risk accounts'. To import a spreadsheet an admin can run "
        "`profilebot import FILE` or use the push API."
    )


def _respond(
    start_response: Any, status: str, body: bytes, ctype: str = "text/plain"
) -> list[bytes]:
    start_response(
        status, [("Content-Type", f"{ctype}; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def healthz_body() -> bytes:
    return json.dumps({"ok": True}).encode()
