"""The fuzz tier: generated garbage to the importer, the HTTP doors and the chat.

Each property is bounded (max_examples, no per-example deadline, derandomised so a failure
reproduces) and the module runs in well under a minute. They assert what must hold for any input:
a clean, named error (never a traceback or a 5xx), no secret in any log line, and a database that
garbage does not change. Full tier (`@pytest.mark.slow`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from rich.console import Console
from sqlalchemy import Engine, select

from bot.runtime import build_services
from bot.slack_blocks import MAX_SECTION_TEXT, message_payload
from bot.terminal import render_rich
from bot.web import make_wsgi_app
from bot.wecom import WeComCallback, WeComMessenger, reply_markdown
from handlers.messages import IncomingMessage
from handlers.router import handle
from handlers.services import Services
from store.importer import import_rows, run_import
from store.models import Account, Contact, Event, NpsResponse
from store.settings import Settings
from store.users import upsert_user
from tests.slack_harness import run_waitress, start_server

pytestmark = pytest.mark.slow

SECRETS = {
    "slack_signing_secret": "fuzz-signing-secret-8c1",
    "slack_bot_token": "xoxb-9999-fuzz-bot-token",
    "api_token": "fuzz-push-token-4d2",
    "wecom_secret": "fuzz-corp-secret-77a",
    "wecom_token": "QDG6eK",
    "wecom_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
}
BOUNDED = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# text a hostile sheet or chat holds: markup of every platform, control characters, mixed scripts
NASTY = [
    "<!channel>",
    "<https://evil.example|Renew here>",
    "[Renew](https://evil.example)",
    "<font color='warning'>",
    "[/x]",
    "[link=https://e.x]",
    "**",
    "`",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "同创网络科技",
    "某某科技有限公司",
    "Ａｃｍｅ",
    "🚀",
    "'; DROP TABLE accounts; --",
    "%_\\",
    ",",
    '"',
    "\n",
    "\r",
    "\t",
]
nasty_text = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(max_size=12)), min_size=0, max_size=6
).map("".join)


def _book_hash(sf) -> str:  # noqa: ANN001
    """Everything an import could change, as one digest."""
    h = hashlib.sha256()
    with sf() as s:
        for model, cols in (
            (Account, (Account.id, Account.name, Account.arr, Account.city, Account.notes)),
            (Contact, (Contact.id, Contact.name)),
            (Event, (Event.id,)),
            (NpsResponse, (NpsResponse.id, NpsResponse.comment)),
        ):
            for row in s.execute(select(*cols).order_by(cols[0])):
                h.update(repr((model.__name__, *row)).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- importer

HEADERS = ["account_id", "name", "arr", "city", "contract_end", "employees", "notes", "客户名称"]


@st.composite
def csv_files(draw) -> bytes:  # noqa: ANN001
    headers = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=5, unique=True))
    sep = draw(st.sampled_from([",", ",", "\t", ";"]))
    rows = draw(st.lists(st.lists(nasty_text, min_size=0, max_size=len(headers) + 2), max_size=6))
    text = sep.join(headers) + "\n" + "\n".join(sep.join(r) for r in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    junk = draw(st.binary(max_size=40))
    where = draw(st.sampled_from(["none", "end", "start", "middle"]))
    if where == "end":
        data += junk
    elif where == "start":
        data = junk + data
    elif where == "middle":
        data = data[: len(data) // 2] + junk + data[len(data) // 2 :]
    return data


def test_importer_gives_named_errors_and_commits_nothing_it_refuses(
    session_factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)

    @BOUNDED
    @given(data=csv_files(), suffix=st.sampled_from([".csv", ".txt", ".xlsx"]))
    def run(data: bytes, suffix: str) -> None:
        before = _book_hash(session_factory)
        path = Path(tempfile.mkstemp(suffix=suffix, dir=tmp_path)[1])
        path.write_bytes(data)
        report = run_import(session_factory, path, "accounts")  # never raises
        if not report.committed:
            assert report.error or report.rejected_count, report
            assert _book_hash(session_factory) == before
        with session_factory() as s:  # whatever was kept holds no control character
            for name, notes in s.execute(select(Account.name, Account.notes)):
                for value in (name or "", notes or ""):
                    assert not any(ord(c) < 32 and c not in "\t\n\r" for c in value), value

    run()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_pushed_rows_never_crash_either_database(session_factory) -> None:
    scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), nasty_text)

    @BOUNDED
    @given(
        rows=st.lists(
            st.dictionaries(st.sampled_from(HEADERS), scalar, min_size=1, max_size=5),
            min_size=1,
            max_size=4,
        ),
        kind=st.sampled_from(["accounts", "contacts", "events", "nps"]),
    )
    def run(rows: list[dict], kind: str) -> None:
        before = _book_hash(session_factory)
        with session_factory() as s:
            try:
                report = import_rows(s, kind, rows, actor="fuzz")
                s.rollback()  # only the outcome matters here, not keeping it
            except Exception as exc:  # ImportAborted is the one allowed way to refuse
                assert type(exc).__name__ == "ImportAborted", repr(exc)
                report = exc.report  # type: ignore[attr-defined]
                s.rollback()
        assert report.error is None or isinstance(report.error, str)
        assert _book_hash(session_factory) == before

    run()


# --------------------------------------------------------------------------- HTTP doors


@pytest.fixture
def doors(db_url: str, engine: Engine) -> Iterator[tuple[str, Services, object]]:
    svc = build_services(
        Settings.from_env(
            database_url=db_url,
            openai_api_key=None,
            wecom_corp_id="wx5823bf96d3bd56c7",
            wecom_agent_id="1000002",
            wecom_api_url="http://127.0.0.1:9",
            **{k: SecretStr(v) for k, v in SECRETS.items()},
        )
    )
    srv, stop_slack = start_server(svc)  # the Bolt app and the stand-in Slack API
    callback = WeComCallback(srv.services, WeComMessenger(srv.services))
    url, stop = run_waitress(make_wsgi_app(srv.services, slack_app=srv.app, wecom_app=callback))
    yield url, srv.services, srv.standin
    stop()
    stop_slack()


def _header_value(value: str) -> bytes:
    """What a client can put on the wire as a header value (no CR/LF or edge whitespace)."""
    kept = "".join(c for c in value if 32 <= ord(c) != 127 and not 127 < ord(c) < 160)
    return kept.strip().encode("utf-8")


def _sign(ts: str, body: bytes) -> str:
    base = b"v0:" + ts.encode() + b":" + body
    return "v0=" + hmac.new(b"test-signing-secret", base, hashlib.sha256).hexdigest()


def test_http_doors_answer_garbage_with_4xx_and_no_secret(
    doors: tuple[str, Services, object], caplog: pytest.LogCaptureFixture
) -> None:
    url, svc, standin = doors
    caplog.set_level(logging.DEBUG)
    http = httpx.Client(timeout=10)
    before = _book_hash(svc.session_factory)

    @BOUNDED
    @given(
        path=st.sampled_from(
            ["/slack/events", "/wecom/callback", "/api/v1/accounts", "/api/v1/nps", "/healthz"]
        ),
        method=st.sampled_from(["POST", "POST", "GET", "PUT"]),
        body=st.one_of(st.binary(max_size=300), nasty_text.map(str.encode)),
        ctype=st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/xml", "", "a/b"]
        ),
        ts=st.one_of(st.text(max_size=12), st.integers().map(str), st.just("now")),
        auth=st.sampled_from(["", "Bearer wrong", "Bearer ", "Basic eA==", "Bearer \u00e9"]),
        signed=st.booleans(),
        query=st.text(max_size=40),
    )
    def run(path, method, body, ctype, ts, auth, signed, query) -> None:  # noqa: ANN001
        headers = {"Content-Type": ctype, "Authorization": auth}
        if signed:  # a correct signature over garbage: only the body is wrong
            ts = str(int(time.time()))
            headers["X-Slack-Signature"] = _sign(ts, body)
        headers["X-Slack-Request-Timestamp"] = ts
        safe = {k: _header_value(v) for k, v in headers.items()}
        resp = http.request(method, f"{url}{path}", params={"q": query}, content=body, headers=safe)
        assert resp.status_code < 500, (path, resp.status_code, resp.text[:300])
        assert "Traceback" not in resp.text and 'File "' not in resp.text

    run()
    http.close()
    time.sleep(0.5)  # a lazy listener would have posted by now
    assert standin.calls_to("chat.postMessage", "chat.postEphemeral") == []  # type: ignore[attr-defined]
    assert _book_hash(svc.session_factory) == before
    logged = "\n".join(logging.Formatter("%(message)s").format(r) for r in caplog.records)
    for secret in SECRETS.values():
        assert secret not in logged


# --------------------------------------------------------------------------- chat


@pytest.fixture
def chat_book(services: Services) -> Services:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="alice", role="sales")
        upsert_user(s, handle="bob", role="sales")
        import_rows(
            s,
            "accounts",
            [
                {"account_id": "C1", "name": "同创电商", "owner": "alice", "arr": "12万"},
                {"account_id": "C2", "name": "<!channel> [/x] Co", "owner": "alice"},
                {"account_id": "C3", "name": "同创网络科技", "owner": "bob", "arr": "90万"},
                {"account_id": "C4", "name": "Secret Bob Corp", "owner": "bob", "arr": "777777"},
            ],
            actor="fuzz",
        )
    return services


def _mrkdwn_of(payload: dict) -> str:
    """Every text Slack parses as mrkdwn in a message payload (and its fallback text)."""
    out = [payload.get("text") or ""]

    def walk(x) -> None:  # noqa: ANN001
        if isinstance(x, dict):
            if x.get("type") == "mrkdwn":
                out.append(x.get("text") or "")
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(payload.get("blocks"))
    return "\n".join(out)


BOBS = select(Account.id, Account.name, Account.arr, Account.notes).where(Account.owner == "bob")


def test_chat_garbage_renders_everywhere_and_never_leaks_scope(
    chat_book: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    console = Console(file=io.StringIO(), width=100)
    sf = chat_book.session_factory
    with sf() as s:
        bobs = set(s.execute(BOBS))

    @BOUNDED
    @given(
        text=st.one_of(
            nasty_text,
            nasty_text.map(lambda t: f"tell me about {t}"),
            nasty_text.map(lambda t: f"{t}的年合同额"),
            nasty_text.map(lambda t: f"accounts in {t} with ARR over {len(t)}k"),
        )
    )
    def run(text: str) -> None:
        replies = handle(
            chat_book, IncomingMessage(user="alice", text=text, as_of=dt.date(2026, 11, 1))
        )
        for reply in replies or []:
            payload = message_payload(reply)
            for block in payload["blocks"]:
                if block["type"] == "section" and "text" in block:
                    assert block["text"]["text"].strip()
                    assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
            assert "<!channel>" not in _mrkdwn_of(payload)  # plain_text headers show it as typed
            md = reply_markdown(reply)
            assert "<!channel>" not in md
            render_rich(console, reply)
            shown = reply.plain() + str(reply.data)
            for bobs_own in ("Secret Bob Corp", "777,777", "900,000"):  # outside her scope
                assert bobs_own not in shown or bobs_own in text, (text, shown[:300])

    run()
    with sf() as s:  # Bob's accounts are untouched by anything Alice typed
        after = set(s.execute(BOBS))
    assert after == bobs
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records[:3]
