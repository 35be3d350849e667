"""The foundation: schema on both backends, users and scopes, audit, the terminal chat, demo data."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, inspect, select

from handlers.messages import IncomingMessage, detect_language
from handlers.router import handle
from store import audit
from store.db import init_schema
from store.identity import normalise_domain, normalise_name
from store.models import Account, Event, User
from store.query import Scope, find_account, run, scope_for
from store.spec import Condition, Filter, Spec
from store.users import upsert_user

CLI = [sys.executable, "-m", "bot.cli"]


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def test_schema_has_every_table_and_event_index(engine):
    insp = inspect(engine)
    tables = set(insp.get_table_names())
    for t in (
        "accounts",
        "contacts",
        "users",
        "events",
        "nps_responses",
        "account_tags",
        "custom_fields",
        "custom_values",
        "interview_sessions",
        "rules",
        "alerts",
        "outbox",
        "audit_log",
        "import_batches",
        "account_figures",
    ):
        assert t in tables, t
    idx = {i["name"]: i["column_names"] for i in insp.get_indexes("events")}
    assert idx["ix_events_account_type_ts"] == ["account_id", "type", "ts"]


def test_init_is_idempotent(engine):
    assert init_schema(engine) == init_schema(engine)


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("某某科技有限公司", "某某科技"),
        ("某某科技", "某某科技"),
        ("ACME Co., Ltd.", "acme"),
        ("  Acme   Inc ", "acme"),
        ("华信金融科技股份有限公司", "华信金融科技"),
    ],
)
def test_company_names_normalise(raw, norm):
    assert normalise_name(raw) == norm


def test_domains_normalise():
    assert normalise_domain("https://www.Acme.cn/about?x=1") == "acme.cn"
    assert normalise_domain("bob@acme.cn") == "acme.cn"
    assert normalise_domain("  ") is None


def test_language_detection():
    assert detect_language("哪些客户超过15天没登录") == "zh"
    assert detect_language("show churn-risk accounts") == "en"


def test_scopes_follow_roles(demo_services):
    with demo_services.session_factory.begin() as s:
        total = s.scalar(select(func.count()).select_from(Account))
        spec = Spec(limit=10000)
        as_of = demo_services.today()

        def visible(handle):
            return {r.id for r in run(s, spec, scope_for(s, handle), as_of).rows}

        assert len(visible("admin")) == total
        wang = visible("wang")
        assert wang and all(
            a.owner == "wang" or a.csm == "wang"
            for a in s.scalars(select(Account).where(Account.id.in_(wang)))
        )
        mia = visible("mia")  # wang's manager sees wang's accounts and more, not everything
        assert wang < mia and len(mia) < total
        zhao = visible("zhao")  # CSM: the accounts they serve
        assert zhao and all(s.get(Account, i).csm == "zhao" for i in zhao)
        assert visible("nobody") == set()


def test_filters_compile_on_both_backends(demo_services):
    with demo_services.session_factory.begin() as s:
        spec = Spec(where=Condition(all=[Filter(field="city", op="eq", value="上海")]), limit=1000)
        zh = {r.id for r in run(s, spec, Scope.everything(), demo_services.today()).rows}
        spec_en = Spec(
            where=Condition(all=[Filter(field="city", op="eq", value="Shanghai")]), limit=1000
        )
        en = {r.id for r in run(s, spec_en, Scope.everything(), demo_services.today()).rows}
        direct = set(s.scalars(select(Account.id).where(Account.city.in_(["上海", "Shanghai"]))))
        assert zh == en == direct and direct


def test_find_account_by_id_domain_and_name(demo_services):
    with demo_services.session_factory.begin() as s:
        acc = s.scalars(select(Account).order_by(Account.id)).first()
        assert find_account(s, acc.external_id).id == acc.id
        assert find_account(s, f"https://www.{acc.domain}/").id == acc.id
        assert find_account(s, acc.name.upper()).id == acc.id
        outsider = scope_for(s, "nobody")
        assert find_account(s, acc.name, outsider) is None


def test_users_and_audit(services):
    with services.session_factory.begin() as s:
        upsert_user(s, handle="boss", role="经理", name="Boss", actor="ops")
        user, created = upsert_user(s, handle="bob", role="sales", manager="boss", actor="ops")
        assert created and user.manager.handle == "boss"
        with pytest.raises(ValueError, match="unknown role"):
            upsert_user(s, handle="x", role="wizard")
    with services.session_factory.begin() as s:
        assert s.scalar(select(User.role).where(User.handle == "boss")) == "manager"
        entries = audit.entries(s, user="ops")
        assert [e.action for e in entries] == ["user.add", "user.add"]


def test_unknown_chat_user_sees_no_data(demo_services):
    msg = IncomingMessage(user="", text="show churn-risk accounts", platform="slack")
    [reply] = handle(demo_services, msg)
    assert reply.kind == "error" and not reply.rows
    with demo_services.session_factory.begin() as s:
        for name in s.scalars(select(Account.name)):
            assert name not in reply.text


def test_help_in_both_languages(demo_services):
    [en] = handle(demo_services, IncomingMessage(user="admin", text="help"))
    [zh] = handle(demo_services, IncomingMessage(user="admin", text="帮助"))
    assert "churn" in en.text and "流失风险" in zh.text
    assert en.language == "en" and zh.language == "zh"


def test_demo_book_is_realistic_and_deterministic(services, tmp_path):
    from store.demo import generate

    with services.session_factory.begin() as s:
        stats = generate(s, accounts=80, seed=11, today=services.today())
    with services.session_factory.begin() as s:
        names = list(s.scalars(select(Account.name)))
        assert stats["accounts"] == 80 == len(names)
        assert any("\u4e00" <= ch <= "\u9fff" for n in names for ch in n)  # Chinese names
        assert any(n.isascii() for n in names)  # and English ones
        types = dict(s.execute(select(Event.type, func.count()).group_by(Event.type)).all())
        assert {"login", "feature_use", "ticket", "purchase"} <= set(types)
        roles = set(s.scalars(select(User.role)))
        assert roles == {"sales", "csm", "manager", "admin"}
        first = [(a.name, a.arr) for a in s.scalars(select(Account).order_by(Account.id).limit(5))]
    # same seed, same book
    from store.db import make_engine, make_session_factory

    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    init_schema(other)
    with make_session_factory(other).begin() as s2:
        generate(s2, accounts=80, seed=11, today=services.today())
        again = [(a.name, a.arr) for a in s2.scalars(select(Account).order_by(Account.id).limit(5))]
    assert again == first


def test_cli_demo_then_chat_answers_help(cli_env):
    res = cli(cli_env, "demo", "--accounts", "30", "--seed", "2", "--as-of", "2026-11-01")
    assert res.returncode == 0, res.stderr
    assert "30 accounts" in res.stdout
    chat = cli(cli_env, "chat", stdin="help\n帮助\n")
    assert chat.returncode == 0, chat.stderr
    assert "What profilebot can do" in chat.stdout and "profilebot 能做什么" in chat.stdout


def test_cli_without_schema_says_how_to_fix(cli_env):
    res = cli(cli_env, "audit")
    assert res.returncode != 0
    assert "profilebot init" in res.stderr


def test_cli_users_add_and_audit_json(cli_env):
    assert cli(cli_env, "init").returncode == 0
    res = cli(cli_env, "users", "add", "lee", "--role", "csm", "--email", "Lee@X.com")
    assert res.returncode == 0, res.stderr
    out = json.loads(cli(cli_env, "users", "list", "--json").stdout)
    assert out["users"][0]["email"] == "lee@x.com"
    log = json.loads(cli(cli_env, "audit", "--json").stdout)
    assert log["entries"][0]["action"] == "user.add"
