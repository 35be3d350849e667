"""The dashboard: signed links, scope, figures that match the bot's own answers, and the web door.

Store and handler cases run on SQLite and PostgreSQL over the demo book; the web cases go over
real HTTP to the waitress server that every `serve` runs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, or_, select

from bot.web import make_server, make_wsgi_app
from handlers import dashboard, router
from handlers.dashboard import (
    DashboardConfigError,
    dashboard_link,
    make_token,
    verify_token,
    viewer_for,
)
from handlers.messages import IncomingMessage
from handlers.services import Services
from store import query
from store.models import Account, Event, User
from store.refresh import ensure_fresh
from store.settings import Settings
from store.spec import Filter, Spec
from tests.conftest import AS_OF

SECRET = "test-dashboard-secret-0123456789"
NOW = dt.datetime(2026, 11, 1, 8, 0)


def _settings(**kw: Any) -> Settings:
    base = {"dashboard_secret": SecretStr(SECRET), "webhook_secret": None, "public_url": None}
    base.update(kw)
    return Settings.from_env(**base)


# --------------------------------------------------------------------------- tokens (pure)


def test_a_signed_link_names_its_user_until_it_expires() -> None:
    st = _settings(public_url="https://bot.example.com/")
    url, expires = dashboard_link(st, "mia", NOW, minutes=30)
    assert url.startswith("https://bot.example.com/dashboard?token=v1.")
    assert expires == NOW + dt.timedelta(minutes=30)
    token = url.split("token=", 1)[1]
    assert verify_token(st, token, NOW) == "mia"
    assert verify_token(st, token, NOW + dt.timedelta(minutes=29)) == "mia"
    assert verify_token(st, token, NOW + dt.timedelta(minutes=30)) is None  # expired
    assert verify_token(st, token, NOW + dt.timedelta(days=3)) is None


def test_forged_tampered_and_malformed_tokens_name_nobody() -> None:
    st = _settings()
    good = make_token(st, "alice", NOW + dt.timedelta(hours=1))
    v, user, exp, sig = good.split(".")
    admin = dashboard._b64(b"admin")
    forged = [
        f"{v}.{admin}.{exp}.{sig}",  # another user under alice's signature
        f"{v}.{user}.{int(exp) + 86400}.{sig}",  # a later expiry under the old signature
        f"{v}.{user}.{exp}.{sig[:-2]}AA",  # a changed signature
        make_token(_settings(dashboard_secret=SecretStr("another secret")), "alice", NOW),
        "",
        None,
        "v1.abc",
        f"v2.{user}.{exp}.{sig}",
        f"{v}.{user}.-5.{sig}",
        f"{v}.{user}.{exp}.{sig}.extra",
        good + " ",
        "v1.%%%.1.x",
        f"{v}.{user}.{exp}.{'A' * 43}",
    ]
    for token in forged:
        assert verify_token(st, token, NOW) is None, token
    assert verify_token(st, good, NOW) == "alice"


def test_the_webhook_secret_is_the_fallback_and_no_secret_is_said_clearly() -> None:
    fallback = _settings(dashboard_secret=None, webhook_secret=SecretStr("hook secret"))
    token = make_token(fallback, "bob", NOW + dt.timedelta(hours=1))
    assert verify_token(fallback, token, NOW) == "bob"
    assert verify_token(_settings(), token, NOW) is None  # the dashboard secret wins when set
    bare = _settings(dashboard_secret=None, webhook_secret=None)
    with pytest.raises(DashboardConfigError, match="PROFILEBOT_DASHBOARD_SECRET"):
        make_token(bare, "bob", NOW)
    assert verify_token(bare, token, NOW) is None  # nothing verifies without a secret


def test_chat_words_that_ask_for_the_dashboard() -> None:
    for text in (
        "dashboard",
        "Dashboard?",
        "my dashboard",
        "看板",
        "我的看板",
        "send me my dashboard",
    ):
        assert dashboard.is_dashboard_request(text), text
    for text in ("dashboard accounts in Beijing", "看板客户有哪些流失风险", "accounts", "board"):
        assert not dashboard.is_dashboard_request(text), text


# --------------------------------------------------------------------------- store + handlers


@pytest.fixture
def book(demo_services: Services) -> Services:
    """The demo book with its rules run, so there are open alerts and to-dos."""
    from store import rules

    with demo_services.session_factory.begin() as s:
        ensure_fresh(s, AS_OF)
        rules.run_rules(s, AS_OF, dt.datetime.combine(AS_OF, dt.time(9)))
    return demo_services


def _data(svc: Services, handle: str, person: str | None = None, lang: str | None = None):
    with svc.session_factory.begin() as s:
        return dashboard.build(s, viewer_for(s, handle, person, lang), AS_OF)


def _ask(svc: Services, user: str, text: str):
    replies = router.handle(svc, IncomingMessage(user=user, text=text, as_of=AS_OF))
    return replies[0]


def _people(svc: Services) -> dict[str, User]:
    with svc.session_factory() as s:
        return {u.handle: u for u in s.scalars(select(User))}


def _figures_and_questions(data: dict[str, Any]):
    """(question, kind, expected) for every figure the page shows with an 'ask me'."""
    for r in data["value_tiers"]["rows"]:
        yield r["ask"], "value", r["count"]
    for r in data["arr_at_risk"]["rows"]:
        yield r["ask"], "value", r["arr"]
    for key in ("health", "rfm", "regions"):
        rows = {g["key"]: g["count"] for g in data[key]["rows"] if g["key"] != "_other"}
        yield data[key]["ask"], "groups", rows
    yield data["logins"]["ask"], "value", data["logins"]["total_30d"]
    yield data["renewals"]["ask"], "total", data["renewals"]["count"]
    yield data["completeness"]["ask"], "value", data["completeness"]["average"]
    for tr in data["persona"]["traits"]:
        yield tr["ask"], "group", (tr["value"], tr["count"])


@pytest.mark.parametrize(
    ("handle", "person", "lang"),
    [
        ("mia", None, "zh"),
        ("mia", "li", "zh"),
        ("admin", None, "en"),
        ("mark", "bob", "en"),
        ("alice", None, "en"),
    ],
)
def test_every_ask_me_question_gives_the_same_figure_in_chat(
    book: Services, handle: str, person: str | None, lang: str
) -> None:
    data = _data(book, handle, person, lang)
    assert data["language"] == lang
    checked = 0
    for q, kind, expected in _figures_and_questions(data):
        reply = _ask(book, handle, q)
        got = reply.data or {}
        assert got.get("understood"), (q, reply.text)
        if kind == "value":
            value = got.get("value")
            assert (value or 0) == pytest.approx(expected or 0), (q, reply.text)
        elif kind == "total":
            assert got["understood"]["where"]["all"], q
            spec = Spec.model_validate(got["understood"])
            with book.session_factory() as s:
                n = query.count(s, spec, query.scope_for(s, handle), AS_OF)
            assert n == expected, (q, reply.text)
        elif kind == "groups":
            rows = {g["key"]: g["count"] for g in got.get("rows") or []}
            for key, count in expected.items():
                assert rows.get(key) == count, (q, key, reply.text)
        else:
            rows = {str(g["key"]): g["count"] for g in got.get("rows") or []}
            assert rows.get(expected[0]) == expected[1], (q, reply.text)
        checked += 1
    assert checked >= 15


def _owned_ids(svc: Services, handle: str) -> set[int]:
    with svc.session_factory() as s:
        u = s.scalars(select(User).where(User.handle == handle)).one()
        ids = query.user_identifiers(u)
        return set(
            s.scalars(
                select(Account.id).where(
                    or_(func.lower(Account.owner).in_(ids), func.lower(Account.csm).in_(ids))
                )
            )
        )


def test_a_salesperson_sees_only_their_own_accounts(book: Services) -> None:
    mine = _owned_ids(book, "alice")
    data = _data(book, "alice")
    assert data["scope"]["accounts"] == len(mine) > 0
    assert data["scope"]["people"] == []
    assert sum(r["count"] for r in data["value_tiers"]["rows"]) == len(mine)
    assert sum(r["count"] for r in data["health"]["rows"]) == len(mine)
    shown = [r["id"] for r in data["renewals"]["rows"]] + [
        r["id"] for r in data["completeness"]["lowest"]
    ]
    assert shown and set(shown) <= mine
    alerts = data["alerts"]["rows"]
    assert alerts
    with book.session_factory() as s:
        from store.alerts import list_alerts

        assert data["alerts"]["yours"] == len(list_alerts(s, "alice", limit=10_000))
    for a in alerts:
        assert a["account"] is None or a["account"]["id"] in mine or a["assignee"] == "alice"
    # a person filter is no way out of one's own scope
    assert _data(book, "alice", person="bob")["scope"]["accounts"] == len(mine)


def test_a_manager_sees_the_team_and_may_narrow_it_to_one_person_of_it(book: Services) -> None:
    team = _data(book, "mark")
    handles = {p["handle"] for p in team["scope"]["people"]}
    assert {"mark", "alice", "bob", "carol"} <= handles and "li" not in handles
    bob = _data(book, "mark", person="bob")
    assert bob["scope"]["person"] == "bob"
    assert 0 < bob["scope"]["accounts"] < team["scope"]["accounts"]
    with book.session_factory() as s:
        ids = query.user_identifiers(s.scalars(select(User).where(User.handle == "bob")).one())
        owned = s.scalar(
            select(func.count()).select_from(Account).where(func.lower(Account.owner).in_(ids))
        )
    assert bob["scope"]["accounts"] == owned  # "bob's accounts" = those he owns
    assert {r["owner"] for r in bob["renewals"]["rows"]} <= {"bob"}
    # someone from another team is not a filter: the team's figures stay
    other = _data(book, "mark", person="li")
    assert other["scope"]["person"] is None
    assert other["scope"]["accounts"] == team["scope"]["accounts"]


def test_logins_per_week_add_up_to_the_events_in_those_weeks(book: Services) -> None:
    with book.session_factory() as s:
        scope = query.scope_for(s, "admin")
        points = query.measure_by_week(s, Spec(), scope, AS_OF, "logins", 8)
        assert len(points) == 8
        assert points[-1][0] == AS_OF - dt.timedelta(days=6)
        end = dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time())
        for i, (start, value) in enumerate(points):
            lo = end - dt.timedelta(weeks=8 - i)
            assert start == lo.date()
            n = s.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.type == "login", Event.ts >= lo, Event.ts < lo + dt.timedelta(weeks=1))
            )
            assert value == n
        red = query.measure_by_week(
            s, Spec(where={"all": [Filter(field="health_band", value="red")]}), scope, AS_OF
        )
        assert sum(v for _, v in red) < sum(
            v for _, v in query.measure_by_week(s, Spec(), scope, AS_OF)
        )


def test_dashboard_in_chat_sends_the_asker_their_own_link_privately(book: Services) -> None:
    svc = Services(
        settings=_settings(database_url=book.settings.database_url),
        session_factory=book.session_factory,
        as_of=AS_OF,
        clock=lambda: NOW,
    )
    for text, zh in (("dashboard", False), ("看板", True), ("my dashboard", False)):
        reply = router.handle(svc, IncomingMessage(user="alice", text=text, as_of=AS_OF))[0]
        assert reply.private
        url = re.search(r"https?://\S+", reply.text).group(0)
        token = url.split("token=", 1)[1]
        assert verify_token(svc.settings, token, NOW) == "alice"
        assert reply.buttons and reply.buttons[0].url == url
        assert ("看板" in reply.text) == zh
    nobody = router.handle(svc, IncomingMessage(user="", text="dashboard", as_of=AS_OF))[0]
    assert "token=" not in nobody.text
    unset = Services(
        settings=_settings(dashboard_secret=None, database_url=book.settings.database_url),
        session_factory=book.session_factory,
        as_of=AS_OF,
    )
    refusal = router.handle(unset, IncomingMessage(user="alice", text="dashboard"))[0]
    assert "PROFILEBOT_DASHBOARD_SECRET" in refusal.text and "token=" not in refusal.text


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture
def web(book: Services):
    svc = Services(
        settings=_settings(database_url=book.settings.database_url),
        session_factory=book.session_factory,
        as_of=AS_OF,
        clock=lambda: NOW,
    )
    server = make_server(make_wsgi_app(svc), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield svc, f"http://127.0.0.1:{server.effective_port}"
    server.close()


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _token(svc: Services, handle: str, minutes: int = 60) -> str:
    return make_token(svc.settings, handle, NOW + dt.timedelta(minutes=minutes))


def test_forged_expired_and_missing_tokens_get_403_and_no_data(web) -> None:
    svc, base = web
    good = _token(svc, "alice")
    v, _user, exp, sig = good.split(".")
    bad = {
        "missing": "",
        "expired": "token=" + make_token(svc.settings, "alice", NOW - dt.timedelta(seconds=1)),
        "forged user": f"token={v}.{dashboard._b64(b'admin')}.{exp}.{sig}",
        "forged signature": "token="
        + make_token(
            _settings(dashboard_secret=SecretStr("guess")), "admin", NOW + dt.timedelta(hours=1)
        ),
        "malformed": "token=admin",
        "twice": f"token={good}&token={good}",
        "gone user": "token=" + _token(svc, "nobody-here"),
    }
    with svc.session_factory() as s:
        some_name = s.scalars(select(Account.name).order_by(Account.id)).first()
    for path in ("/dashboard", "/dashboard/data", "/dashboard/font"):
        for why, qs in bad.items():
            status, headers, body = _get(f"{base}{path}?{qs}")
            assert status == 403, (path, why)
            assert some_name.encode() not in body and b"arr" not in body.lower(), (path, why)
            assert headers.get("Cache-Control") == "no-store", (path, why)
    status, _h, body = _get(f"{base}/dashboard?token={good}")
    assert status == 200 and b"<svg" in body
    status, _h, body = _get(f"{base}/dashboard/data?token={good}")
    assert status == 200 and json.loads(body)["user"]["handle"] == "alice"


def test_the_page_and_data_of_a_salesperson_hold_only_their_accounts(web, book: Services) -> None:
    svc, base = web
    token = _token(svc, "alice")
    status, headers, body = _get(f"{base}/dashboard/data?token={token}")
    assert status == 200
    data = json.loads(body)
    mine = _owned_ids(book, "alice")
    ids = {r["id"] for r in data["renewals"]["rows"]} | {
        r["id"] for r in data["completeness"]["lowest"]
    }
    assert ids and ids <= mine
    status, headers, page = _get(f"{base}/dashboard?token={token}")
    html = page.decode("utf-8")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    with svc.session_factory() as s:
        names = {i: n for i, n in s.execute(select(Account.id, Account.name))}
    own_names = {names[i] for i in mine}
    foreign = {n for i, n in names.items() if i not in mine and n not in own_names}
    leaked = [n for n in foreign if re.search(rf"\b{re.escape(n)}\b", html)]
    assert not leaked
    assert f"{len(mine)} accounts" in html
    # no script, nothing from elsewhere
    assert "<script" not in html
    assert not re.search(r"(src|href)=\"https?://", html)


def test_customer_text_is_escaped_on_the_page(web, book: Services) -> None:
    svc, base = web
    with book.session_factory.begin() as s:
        acc = s.scalars(
            select(Account).where(Account.owner == "alice").order_by(Account.id)
        ).first()
        acc.name = '<img src=x onerror=alert(1)>"Evil"'
        acc.contract_end = AS_OF + dt.timedelta(days=3)
    html = _get(f"{base}/dashboard?token={_token(svc, 'alice')}")[2].decode("utf-8")
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;Evil&quot;" in html


def test_the_cli_prints_a_link_or_says_what_is_missing(cli_env: dict[str, str]) -> None:
    cmd = [sys.executable, "-m", "bot.cli"]
    subprocess.run(
        [*cmd, "demo", "--accounts", "20", "--as-of", "2026-11-01"],
        env=cli_env,
        check=True,
        capture_output=True,
    )
    env = {
        **cli_env,
        "PROFILEBOT_DASHBOARD_SECRET": SECRET,
        "PROFILEBOT_PUBLIC_URL": "https://pb.example.org",
    }
    out = subprocess.run(
        [*cmd, "dashboard-link", "--user", "mia", "--minutes", "15"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip()
    assert url.startswith("https://pb.example.org/dashboard?token=v1.")
    assert (
        verify_token(
            _settings(), url.split("token=", 1)[1], dt.datetime.now(dt.UTC).replace(tzinfo=None)
        )
        == "mia"
    )
    bare = {
        k: v
        for k, v in cli_env.items()
        if k not in ("PROFILEBOT_DASHBOARD_SECRET", "PROFILEBOT_WEBHOOK_SECRET")
    }
    out = subprocess.run(
        [*cmd, "dashboard-link", "--user", "mia"], env=bare, capture_output=True, text=True
    )
    assert (
        out.returncode != 0
        and "PROFILEBOT_DASHBOARD_SECRET" in out.stderr
        and "token" not in out.stdout
    )
    out = subprocess.run(
        [*cmd, "dashboard-link", "--user", "nobody"], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0 and "nobody" in out.stderr


def test_the_font_a_page_names_holds_every_character_of_that_page(web) -> None:
    """The @font-face URL is read as CSS (no HTML entities) and names this page's subset."""
    import io

    from fontTools.ttLib import TTFont

    svc, base = web
    token = _token(svc, "mia")
    for query_string in (f"token={token}", f"token={token}&person=li", f"token={token}&lang=en"):
        html = _get(f"{base}/dashboard?{query_string}")[2].decode("utf-8")
        css = html.split("<style>", 1)[1].split("</style>", 1)[0]
        src = re.search(r'url\("(dashboard/font\?[^"]+)"\)', css).group(1)
        assert "&amp;" not in src
        status, headers, font = _get(f"{base}/{src}")
        assert status == 200 and headers["Content-Type"] == "font/woff"
        cmap = TTFont(io.BytesIO(font)).getBestCmap()
        text = re.sub(r"<[^>]+>", "", html.split("</style>", 1)[1])
        missing = sorted({c for c in text if ord(c) > 0x7F and ord(c) not in cmap})
        assert missing == [], (query_string, missing)
