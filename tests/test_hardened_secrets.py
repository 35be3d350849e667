"""Secrets never in logs, errors or the database: a failing stand-in WeCom API is driven through
the real outbox sender, and every captured log line (with tracebacks) and every
outbox.last_error is searched for the corp secret and the access token."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from bot.runtime import build_services
from bot.wecom import WeComMessenger
from scheduler.jobs import send_outbox
from store import outbox
from store.models import OutboxMessage
from store.redact import redact
from store.settings import Settings
from store.users import upsert_user

CORP_SECRET = "corp-SECRET-7f3a9c"
ACCESS_TOKEN = "TOKEN-0b5e2d-access"
SLACK_TOKEN = "xoxb-1111-2222-abcdefSECRET"
SIGNING_SECRET = "slack-signing-9d8c7b"
API_TOKEN = "push-api-4e5f6a"
SECRETS = [CORP_SECRET, ACCESS_TOKEN, SLACK_TOKEN, SIGNING_SECRET, API_TOKEN]
NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


class FailingWeCom:
    """A stand-in WeCom API that fails the way real ones do, per mode."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # gettoken
                if outer.mode == "gettoken_500":
                    self._send(500, b'{"errcode": -1, "errmsg": "system busy"}')
                    return
                body = {"errcode": 0, "access_token": ACCESS_TOKEN, "expires_in": 7200}
                self._send(200, json.dumps(body).encode())

            def do_POST(self):  # message/send
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.mode == "send_500":
                    self._send(502, b"bad gateway")
                elif outer.mode == "send_echo":  # an errmsg that quotes what it was given
                    msg = f"invalid credential, access_token: {ACCESS_TOKEN} ({self.path})"
                    self._send(200, json.dumps({"errcode": 40001, "errmsg": msg}).encode())
                else:  # "send_junk"
                    self._send(200, b"<html>" + self.path.encode() + b"</html>", "text/html")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def _closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def capture() -> Iterator[io.StringIO]:
    """A plain handler on the root logger, added after start-up, writing what it is given."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # urllib3 logs each URL at DEBUG
    yield buf
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.parametrize("mode", ["gettoken_500", "send_500", "send_echo", "send_junk", "refused"])
def test_wecom_failures_leave_no_secret_in_logs_or_last_error(
    db_url: str,
    engine: Engine,
    mode: str,
    capture: io.StringIO,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    standin = None if mode == "refused" else FailingWeCom(mode)
    settings = Settings.from_env(
        database_url=db_url,
        openai_api_key=None,
        wecom_corp_id="wwcorp",
        wecom_agent_id="1000002",
        wecom_secret=SecretStr(CORP_SECRET),
        wecom_api_url=standin.url if standin else _closed_port_url(),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        api_token=SecretStr(API_TOKEN),
        outbox_max_attempts=2,
    )
    svc = build_services(settings)  # start-up, as every command and server does it
    svc.messengers["wecom"] = WeComMessenger(svc)
    with svc.session_factory.begin() as s:
        upsert_user(s, handle="zhang", wecom_id="ZhangSan")
        for i in range(3):
            outbox.enqueue(s, f"k{i}", "dm", "zhang", {"text": f"提醒 {i}"}, NOW)
    try:
        for step in range(3):  # past the back-off, until the rows fail for good
            send_outbox(svc, NOW + dt.timedelta(hours=step))
        logging.getLogger("probe").warning(
            "a careless line: Authorization: Bearer %s token %s", API_TOKEN, SLACK_TOKEN
        )
    finally:
        if standin:
            standin.stop()

    with svc.session_factory() as s:
        errors = [r.last_error or "" for r in s.scalars(select(OutboxMessage))]
    assert errors and all(errors), errors  # every failure was recorded for a person to see
    logged = capture.getvalue()
    formatter = logging.Formatter("%(message)s")
    records = "\n".join(formatter.format(r) for r in caplog.records)
    assert "WeCom" in logged or "outbox" in logged  # the failures were logged at all
    for secret in SECRETS:
        for where, text in (
            ("last_error", "\n".join(errors)),
            ("log", logged),
            ("caplog", records),
        ):
            assert secret not in text, f"{secret!r} leaked into {where}:\n{text[-3000:]}"
    assert "corpsecret=" + CORP_SECRET not in logged


def test_redact_masks_token_shapes_and_registered_values() -> None:
    from store.redact import register_secrets

    register_secrets(["a-registered-value-123"])
    text = (
        "GET /cgi-bin/gettoken?corpid=ww1&corpsecret=abcDEF123 "
        "POST /cgi-bin/message/send?access_token=ZZZ999&debug=1 "
        'Authorization: Bearer tok-xyz {"access_token": "qqq"} xoxb-12-34-abc xapp-1-A-2 '
        "postgresql://bot:hunter22@db:5432/x sk-abcdefghijklmnopqrstu a-registered-value-123"
    )
    out = redact(text)
    for secret in (
        "abcDEF123",
        "ZZZ999",
        "tok-xyz",
        "qqq",
        "xoxb-12-34-abc",
        "xapp-1-A-2",
        "hunter22",
        "sk-abcdefghijklmnopqrstu",
        "a-registered-value-123",
    ):
        assert secret not in out, (secret, out)
    assert "corpid=ww1" in out and "debug=1" in out and "db:5432" in out  # the rest is kept
