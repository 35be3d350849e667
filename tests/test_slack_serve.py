"""`profilebot serve slack --http` as a real process: waitress answers health and signed events,
and missing configuration is a clear error."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.slack_harness import fixture_json, signed_headers
from tests.slack_standin import SlackStandIn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    s = SlackStandIn().start()
    yield s
    s.stop()


def test_serve_slack_http_answers_health_and_signed_events(
    cli_env: dict[str, str], standin: SlackStandIn
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
        [
            "profilebot",
            "serve",
            "slack",
            "--http",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-scheduler",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    err = proc.stderr.read().decode() if proc.poll() is not None else "timeout"
                    raise AssertionError(err) from None
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["slack"] is True
        body = json.dumps(fixture_json("event_url_verification.json"))
        ok = httpx.post(
            f"{url}/slack/events",
            content=body,
            headers=signed_headers(body, secret="serve-secret", content_type="application/json"),
        )
        assert ok.status_code == 200 and "challenge" in ok.json()
        forged = httpx.post(
            f"{url}/slack/events",
            content=body,
            headers=signed_headers(body, secret="other", content_type="application/json"),
        )
        assert forged.status_code == 401
        assert standin.calls_to("auth.test")  # the token was checked against SLACK_API_URL
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_slack_without_tokens_says_what_to_set(cli_env: dict[str, str]) -> None:
    subprocess.run(["profilebot", "init"], env=cli_env, check=True, capture_output=True)
    env = {k: v for k, v in cli_env.items() if not k.startswith("SLACK_")}
    out = subprocess.run(
        ["profilebot", "serve", "slack", "--http"], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "SLACK_BOT_TOKEN" in out.stderr
    env["SLACK_BOT_TOKEN"] = "xoxb-x"
    out = subprocess.run(
        ["profilebot", "serve", "slack", "--socket"], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0 and "SLACK_APP_TOKEN" in out.stderr
