"""The outbox: one row per key, one claim per row, back-off on 429/5xx, lease policy, and signed
webhooks over real HTTP on loopback."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pydantic import SecretStr
from sqlalchemy import select

from handlers.delivery import LogMessenger
from handlers.services import Services
from scheduler import jobs
from store import outbox
from store.models import OutboxMessage

NOW = dt.datetime(2026, 11, 1, 9)


def test_enqueue_is_idempotent_by_key(services: Services) -> None:
    with services.session_factory.begin() as s:
        msgs = [outbox.message(f"k:{i}", "dm", "bob", {"text": "hi"}, NOW) for i in range(3)]
        assert outbox.enqueue_many(s, msgs) == 3
        assert outbox.enqueue_many(s, msgs + [outbox.message("k:9", "dm", "bob", {}, NOW)]) == 1
        assert not outbox.enqueue(s, "k:0", "dm", "bob", {}, NOW)


def test_claim_is_won_once(services: Services) -> None:
    with services.session_factory.begin() as s:
        outbox.enqueue(s, "k", "dm", "bob", {"text": "x"}, NOW)
        mid = s.scalars(select(OutboxMessage.id)).one()
    with services.session_factory.begin() as s:
        assert outbox.claim(s, mid, "a", NOW)
    with services.session_factory.begin() as s:
        assert not outbox.claim(s, mid, "b", NOW)
        assert not outbox.mark_delivering(s, mid, "b")
        assert outbox.mark_delivering(s, mid, "a")


def test_lease_policy_retries_unsent_never_resends_chat(services: Services) -> None:
    with services.session_factory.begin() as s:
        for key, channel in (("chat1", "dm"), ("chat2", "dm"), ("hook", "webhook")):
            outbox.enqueue(s, key, channel, "x", {}, NOW)
        ids = dict(s.execute(select(OutboxMessage.key, OutboxMessage.id)).all())
        for mid in ids.values():
            outbox.claim(s, mid, "dead", NOW)
        outbox.mark_delivering(s, ids["chat2"], "dead")
        outbox.mark_delivering(s, ids["hook"], "dead")
        assert outbox.reclaim_expired(s, NOW + dt.timedelta(seconds=30), 600) == {
            "retried": 0,
            "unknown": 0,
        }
        assert outbox.reclaim_expired(s, NOW + dt.timedelta(hours=1), 600) == {
            "retried": 2,
            "unknown": 1,
        }
        st = dict(s.execute(select(OutboxMessage.key, OutboxMessage.status)).all())
    assert st == {"chat1": "pending", "chat2": "failed", "hook": "pending"}


def test_backoff_grows_and_respects_retry_after() -> None:
    assert outbox.backoff_seconds(1) < outbox.backoff_seconds(2) < outbox.backoff_seconds(3)
    assert outbox.backoff_seconds(1, retry_after=120) == 120
    assert outbox.backoff_seconds(50) == outbox.BACKOFF_MAX_SECONDS


class _Hook(BaseHTTPRequestHandler):
    answers: list[int] = []
    seen: list[tuple[dict, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.seen.append((dict(self.headers), body))
        code = _Hook.answers.pop(0) if _Hook.answers else 200
        self.send_response(code)
        if code == 429:
            self.send_header("Retry-After", "90")
        self.end_headers()

    def log_message(self, *a) -> None:  # noqa: ANN002
        return


def test_webhook_signed_post_with_retry(services: Services) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.answers, _Hook.seen = [429, 503], []
    services.settings = services.settings.model_copy(update={"webhook_secret": SecretStr("s3cret")})
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        with services.session_factory.begin() as s:
            outbox.enqueue(
                s,
                "rule:1:2:webhook:2026-11-01",
                "webhook",
                url,
                {"kind": "webhook", "body": {"tag": "churn_risk"}},
                NOW,
            )
        assert jobs.send_outbox(services, NOW)["retry"] == 1  # 429
        with services.session_factory.begin() as s:
            row = s.scalars(select(OutboxMessage)).one()
            assert row.next_attempt_at >= NOW + dt.timedelta(seconds=90)
        assert jobs.send_outbox(services, NOW)["sent"] == 0  # not due yet
        later = NOW + dt.timedelta(minutes=5)
        assert jobs.send_outbox(services, later)["retry"] == 1  # 503
        assert jobs.send_outbox(services, later + dt.timedelta(hours=1))["sent"] == 1
    finally:
        server.shutdown()
    headers, body = _Hook.seen[-1]
    assert json.loads(body) == {"tag": "churn_risk"}
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Profilebot-Signature"] == expected
    assert headers["X-Profilebot-Key"] == "rule:1:2:webhook:2026-11-01"
    assert len(_Hook.seen) == 3


def test_failing_messenger_backs_off_then_fails(services: Services, tmp_path) -> None:
    class Flaky(LogMessenger):
        def dm(self, user_handle, reply):  # noqa: ANN001, ANN201
            err = RuntimeError("slack said 500")
            err.response = type("R", (), {"status_code": 500})()
            raise err

    services.messengers = {"log": Flaky()}
    services.settings = services.settings.model_copy(update={"outbox_max_attempts": 2})
    with services.session_factory.begin() as s:
        outbox.enqueue(s, "t", "dm", "bob", {"text": "hello"}, NOW)
    assert jobs.send_outbox(services, NOW)["retry"] == 1
    assert jobs.send_outbox(services, NOW + dt.timedelta(hours=2))["failed"] == 1
    with services.session_factory.begin() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.status == "failed" and "500" in row.last_error and row.attempts == 2


def test_an_ambiguous_failure_is_never_resent(services: Services) -> None:
    # a timeout after the request left may mean Slack posted it: fail it, do not send it twice
    class TimesOut(LogMessenger):
        calls = 0

        def dm(self, user_handle, reply):  # noqa: ANN001, ANN201
            TimesOut.calls += 1
            raise TimeoutError("read timed out")

    services.messengers = {"log": TimesOut()}
    with services.session_factory.begin() as s:
        outbox.enqueue(s, "t2", "dm", "bob", {"text": "hello"}, NOW)
    assert jobs.send_outbox(services, NOW)["failed"] == 1
    assert jobs.send_outbox(services, NOW + dt.timedelta(hours=2))["sent"] == 0
    assert TimesOut.calls == 1
    with services.session_factory.begin() as s:
        assert s.scalars(select(OutboxMessage)).one().status == "failed"
