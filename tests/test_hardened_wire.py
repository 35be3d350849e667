"""Hostile traffic on the wire, over real HTTP: idle and dribbling sockets beyond the connection
limit, forged and unsigned Slack requests, junk bodies to every door, and servers that must stop
on SIGTERM/SIGINT (real `profilebot serve` processes)."""

from __future__ import annotations

import dataclasses
import json
import signal
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.web import make_wsgi_app
from bot.wecom import WeComCallback, WeComMessenger
from handlers.services import Services
from store.models import Account
from tests.slack_harness import (
    SECRET,
    SlackServer,
    fixture_json,
    run_waitress,
    signed_headers,
    start_server,
)
from tests.slack_standin import SlackStandIn, SocketModeStandIn

PUSH_TOKEN = "push-token-wire"
WECOM_TOKEN, WECOM_AES_KEY, WECOM_CORP = (
    "QDG6eK",
    "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "wx5823bf96d3bd56c7",
)


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text[:500]


# --------------------------------------------------------------------------- idle sockets


def _open_idle(url: str, n: int, dribble: bool) -> list[socket.socket]:
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, int(port)), timeout=5)
        if dribble:  # a slow-loris: half a request line, then nothing
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    return socks


def test_idle_and_dribbling_sockets_beyond_the_limit_do_not_starve_the_server(
    services: Services,
) -> None:
    svc = dataclasses.replace(
        services,
        settings=services.settings.model_copy(update={"api_token": SecretStr(PUSH_TOKEN)}),
    )
    url, stop = run_waitress(make_wsgi_app(svc), connection_limit=10)
    socks: list[socket.socket] = []
    try:
        socks += _open_idle(url, 25, dribble=False)
        socks += _open_idle(url, 25, dribble=True)
        time.sleep(0.3)  # let the server accept what it will
        with httpx.Client(timeout=10) as http:
            health = http.get(f"{url}/healthz")
            assert health.status_code == 200 and health.json()["ok"] is True
            pushed = http.post(
                f"{url}/api/v1/accounts",
                json=[{"account_id": "W-1", "name": "Wire Co"}],
                headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
            )
            assert pushed.status_code == 200, pushed.text
        socks += _open_idle(url, 30, dribble=False)  # a second wave while the first is held
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
    finally:
        for s in socks:
            s.close()
        stop()


def test_serve_defaults_bound_idle_connections() -> None:
    from bot import web

    assert web.CHANNEL_TIMEOUT <= 30 and web.CLEANUP_INTERVAL <= 10
    server = web.make_server(lambda environ, start_response: [], "127.0.0.1", 0)
    try:
        assert server.adj.channel_timeout == web.CHANNEL_TIMEOUT
        assert server.adj.connection_limit == web.CONNECTION_LIMIT
    finally:
        server.close()


# --------------------------------------------------------------------------- forged Slack


@pytest.fixture
def slack(services: Services) -> Iterator[SlackServer]:
    srv, stop = start_server(services)
    srv.standin.add_user("U0CAROL", email="carol@example.com", name="Carol")
    yield srv
    stop()


def _mention_body(channel: str = "C0VICTIM") -> str:
    body = fixture_json("event_app_mention.json")
    body["event"].update(user="U0CAROL", text="<@UBOT0000> help", channel=channel)
    body["event_id"] = "Ev-forged"
    return json.dumps(body)


FORGED_TIMESTAMPS = ["abc", "", "1e3", "-5", "１７００", "0x10", "99999999999999999999"]


@pytest.mark.parametrize("ts", FORGED_TIMESTAMPS)
def test_slack_request_with_a_bad_timestamp_is_refused_and_nothing_posted(
    slack: SlackServer, ts: str
) -> None:
    body = _mention_body()
    resp = slack.http.post(
        f"{slack.url}/slack/events",
        content=body.encode(),
        headers={
            "X-Slack-Request-Timestamp": ts.encode("utf-8"),
            "X-Slack-Signature": "v0=" + "0" * 64,
            "Content-Type": "application/json",
        },
    )
    assert resp.status_code == 401
    _no_traceback(resp.text)
    time.sleep(1.0)  # a lazy listener or error handler would have posted by now
    assert slack.standin.calls_to("chat.postMessage", "chat.postEphemeral") == []


def test_unsigned_stale_and_wrongly_signed_requests_are_refused(slack: SlackServer) -> None:
    body = _mention_body()
    cases = [
        {"Content-Type": "application/json"},  # unsigned
        signed_headers(body, timestamp=int(time.time()) - 3600, content_type="application/json"),
        signed_headers(body, secret="not-the-secret", content_type="application/json"),
        {
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "garbage",
            "Content-Type": "application/json",
        },
    ]
    for headers in cases:
        resp = slack.http.post(f"{slack.url}/slack/events", content=body, headers=headers)
        assert resp.status_code == 401, headers
        _no_traceback(resp.text)
    # a form body (slash command shape) forged the same way
    form = "command=%2Fprofile&text=help&user_id=U0CAROL&channel_id=C0VICTIM&response_url=x"
    resp = slack.http.post(
        f"{slack.url}/slack/events",
        content=form,
        headers={
            "X-Slack-Request-Timestamp": "now",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert resp.status_code == 401
    time.sleep(1.0)
    assert slack.standin.calls_to("chat.postMessage", "chat.postEphemeral") == []


JUNK = [
    b"{",
    b"\xff\xfe\x00junk",
    b"[1, 2, 3]",
    b"null",
    b"payload=%7Bnot-json",
    b"payload=%5B%5D",
    b"<xml><Encrypt>",
    b"",
]


@pytest.mark.parametrize("junk", JUNK)
def test_signed_junk_to_slack_events_is_a_4xx_without_traceback(
    slack: SlackServer, junk: bytes
) -> None:
    for ctype in ("application/json", "application/x-www-form-urlencoded"):
        ts = str(int(time.time()))
        headers = {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": _sign_bytes(SECRET, ts, junk),  # signed: only the body is junk
            "Content-Type": ctype,
        }
        resp = slack.http.post(f"{slack.url}/slack/events", content=junk, headers=headers)
        assert 400 <= resp.status_code < 500, (junk, ctype, resp.status_code, resp.text)
        _no_traceback(resp.text)
    time.sleep(0.5)
    assert slack.standin.calls_to("chat.postMessage", "chat.postEphemeral") == []


def _sign_bytes(secret: str, ts: str, body: bytes) -> str:
    import hashlib
    import hmac

    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- junk to WeCom / API


@pytest.fixture
def doors(services: Services) -> Iterator[tuple[str, Services]]:
    settings = services.settings.model_copy(
        update={
            "api_token": SecretStr(PUSH_TOKEN),
            "wecom_corp_id": WECOM_CORP,
            "wecom_agent_id": "1000002",
            "wecom_secret": SecretStr("wire-corp-secret"),
            "wecom_token": SecretStr(WECOM_TOKEN),
            "wecom_aes_key": SecretStr(WECOM_AES_KEY),
            "wecom_api_url": "http://127.0.0.1:9",  # never reached: nothing may be sent
        }
    )
    svc = dataclasses.replace(services, settings=settings, messengers={})
    callback = WeComCallback(svc, WeComMessenger(svc))
    url, stop = run_waitress(make_wsgi_app(svc, wecom_app=callback))
    yield url, svc
    stop()


WECOM_QUERIES = [
    "",
    "msg_signature=abc&timestamp=x&nonce=1",
    "msg_signature=" + "0" * 40 + "&timestamp=1700000000&nonce=1&echostr=%%%",
    "echostr=AAAA",
    "timestamp=%FF%FE",
]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_to_wecom_and_push_api_is_a_4xx_without_traceback(
    doors: tuple[str, Services], junk: bytes
) -> None:
    url, svc = doors
    with httpx.Client(timeout=10) as http:
        for q in WECOM_QUERIES:
            for method in ("GET", "POST"):
                resp = http.request(method, f"{url}/wecom/callback?{q}", content=junk)
                assert 400 <= resp.status_code < 500, (q, method, resp.status_code, resp.text)
                _no_traceback(resp.text)
        for kind in ("accounts", "contacts", "events", "nps"):
            for ctype in ("application/json", "text/csv", "application/octet-stream"):
                resp = http.post(
                    f"{url}/api/v1/{kind}",
                    content=junk,
                    headers={"Authorization": f"Bearer {PUSH_TOKEN}", "Content-Type": ctype},
                )
                assert 400 <= resp.status_code < 500, (kind, resp.status_code, resp.text)
                _no_traceback(resp.text)
        for rows in ([{"name": None}], [{"account_id": {"a": 1}, "name": [1]}], [{}], [{"": ""}]):
            resp = http.post(
                f"{url}/api/v1/accounts",
                json=rows,
                headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
            )
            assert 400 <= resp.status_code < 500, (rows, resp.status_code, resp.text)
            _no_traceback(resp.text)
    with svc.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0


# --------------------------------------------------------------------------- stopping on signals


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            out, err = proc.communicate(timeout=5) if proc.poll() is not None else (b"", b"")
            raise AssertionError(f"server did not come up: {err.decode()[-2000:]}")
        time.sleep(0.2)


def _stops_cleanly(proc: subprocess.Popen, sig: int) -> None:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"still running 10 s after signal {sig}") from None
    assert proc.returncode == 0, (proc.returncode, err.decode()[-2000:])
    assert b"Traceback" not in err, err.decode()[-2000:]


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    s = SlackStandIn().start()
    yield s
    s.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_slack_http_with_its_scheduler_stops_on_signal(
    cli_env: dict[str, str], standin: SlackStandIn, sig: int
) -> None:
    subprocess.run(["profilebot", "init"], env=cli_env, check=True, capture_output=True)
    port = _free_port()
    env = dict(
        cli_env,
        SLACK_BOT_TOKEN="xoxb-serve",
        SLACK_SIGNING_SECRET="serve-secret",
        SLACK_API_URL=standin.api_url,
    )
    env.pop("SLACK_APP_TOKEN", None)
    proc = subprocess.Popen(
        ["profilebot", "serve", "slack", "--http", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(proc, port)
        _stops_cleanly(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_slack_socket_mode_stops_on_signal(
    cli_env: dict[str, str], standin: SlackStandIn, sig: int
) -> None:
    subprocess.run(["profilebot", "init"], env=cli_env, check=True, capture_output=True)
    ws = SocketModeStandIn()
    standin.socket_mode_url = ws.url
    port = _free_port()
    env = dict(
        cli_env,
        SLACK_BOT_TOKEN="xoxb-serve",
        SLACK_APP_TOKEN="xapp-serve",
        SLACK_API_URL=standin.api_url,
    )
    proc = subprocess.Popen(
        ["profilebot", "serve", "slack", "--socket", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(proc, port)
        assert ws.connected.wait(20), "never opened the Socket Mode connection"
        _stops_cleanly(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
        ws.stop()


def test_serve_wecom_stops_on_sigterm(cli_env: dict[str, str]) -> None:
    subprocess.run(["profilebot", "init"], env=cli_env, check=True, capture_output=True)
    port = _free_port()
    env = dict(
        cli_env,
        WECOM_CORP_ID=WECOM_CORP,
        WECOM_AGENT_ID="1000002",
        WECOM_SECRET="serve-corp-secret",
        WECOM_TOKEN=WECOM_TOKEN,
        WECOM_AES_KEY=WECOM_AES_KEY,
        WECOM_API_URL="http://127.0.0.1:9",
    )
    proc = subprocess.Popen(
        ["profilebot", "serve", "wecom", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_healthy(proc, port)
        _stops_cleanly(proc, signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_scheduler_stops_on_sigterm(cli_env: dict[str, str]) -> None:
    subprocess.run(["profilebot", "init"], env=cli_env, check=True, capture_output=True)
    proc = subprocess.Popen(
        ["profilebot", "scheduler"], env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        line = b""
        while b"scheduler running" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line and proc.poll() is not None:
                break
        assert b"scheduler running" in line, proc.stderr.read().decode()  # type: ignore[union-attr]
        time.sleep(0.5)  # into the scheduler's wait
        _stops_cleanly(proc, signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
