"""Serving the Bolt app over real HTTP for tests: waitress on a free loopback port, requests signed
with the signing secret, the Web API pointed at the stand-in Slack (tests/slack_standin.py)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot.slack_app import create_app
from bot.slack_messenger import make_web_client
from bot.web import make_server, make_wsgi_app
from handlers.messages import IncomingMessage, Reply
from handlers.services import Services
from tests.slack_standin import SlackStandIn

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "slack"
SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


def fixture_json(name: str) -> dict[str, Any]:
    """A deep copy of a Slack payload fixture (tests alter ids and text in memory)."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 over 'v0:ts:body'."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, *, secret: str = SECRET, timestamp: int | None = None, content_type: str
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(secret, ts, body),
        "Content-Type": content_type,
    }


@dataclasses.dataclass
class SlackServer:
    """The running web server, the stand-in Slack and the Services behind them."""

    url: str
    standin: SlackStandIn
    services: Services
    app: Any
    http: httpx.Client

    def post_event(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        body = json.dumps(payload)
        return self.post_raw(body, "application/json", **kw)

    def post_form(self, fields: dict[str, str], **kw: Any) -> httpx.Response:
        return self.post_raw(
            urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **kw
        )

    def post_interaction(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.post_form({"payload": json.dumps(payload)}, **kw)

    def post_raw(
        self,
        body: str,
        content_type: str,
        *,
        secret: str = SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        hdrs = headers or signed_headers(
            body, secret=secret, timestamp=timestamp, content_type=content_type
        )
        return self.http.post(f"{self.url}/slack/events", content=body.encode(), headers=hdrs)


def run_waitress(app: Any, **server_kw: Any) -> tuple[str, Callable[[], None]]:
    """Serve a WSGI app with waitress on a free loopback port in a thread; (url, stop)."""
    server = make_server(app, host="127.0.0.1", port=0, **server_kw)
    stopping = threading.Event()

    def loop() -> None:  # poll in short steps so stop() can end it from the same thread
        while not stopping.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)
        server.close()
        server.task_dispatcher.shutdown()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.effective_port}", stop


def start_server(
    services: Services,
    handle: Callable[[Services, IncomingMessage], list[Reply]] | None = None,
    **settings_overrides: Any,
) -> tuple[SlackServer, Callable[[], None]]:
    """Start the stand-in, the Bolt app and waitress; returns the server and a stopper."""
    standin = SlackStandIn().start()
    settings = services.settings.model_copy(
        update={
            "slack_bot_token": _secret(BOT_TOKEN),
            "slack_signing_secret": _secret(SECRET),
            "slack_api_url": standin.api_url,
            **settings_overrides,
        }
    )
    svc = dataclasses.replace(services, settings=settings, messengers={})
    client = make_web_client(settings)
    app = create_app(svc, client=client, handle=handle)
    url, stop_web = run_waitress(make_wsgi_app(svc, slack_app=app))
    http = httpx.Client(timeout=30)
    srv = SlackServer(url, standin, svc, app, http)

    def stop() -> None:
        http.close()
        stop_web()
        standin.stop()

    return srv, stop


def _secret(value: str):  # noqa: ANN202
    from pydantic import SecretStr

    return SecretStr(value)
