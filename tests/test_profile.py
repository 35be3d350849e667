"""The profile card: JSON shape, chat reply (en/zh), scope, audit, custom fields from chat, CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from handlers.messages import IncomingMessage
from handlers.profile import parse_add_field, profile_card
from handlers.router import handle
from store import audit
from store.models import Account, AccountTag, User
from store.query import Scope, find_account, scope_for
from tests.conftest import AS_OF


def _admin(s) -> str:
    return s.scalars(select(User).where(User.role == "admin")).first().handle


def _sales_and_foreign_account(s) -> tuple[str, Account]:
    for u in s.scalars(select(User).where(User.role == "sales")):
        ids = {x for x in (u.handle, u.email) if x}
        other = s.scalars(select(Account).where(Account.owner.not_in(ids))).first()
        mine = s.scalars(select(Account).where(Account.owner.in_(ids))).first()
        if other is not None and mine is not None:
            return u.handle, other
    pytest.skip("demo book has no sales user with accounts")


def test_card_json_shape(demo_services):
    with demo_services.session_factory.begin() as s:
        acc = s.scalars(select(Account).order_by(Account.id)).first()
        s.add(
            AccountTag(
                account_id=acc.id,
                tag="vip",
                source="person",
                set_by="alice",
                reason={"note": "board member"},
            )
        )
        s.flush()
        card = profile_card(s, acc, AS_OF, Scope.everything())
    json.dumps(card)  # JSON-able as is
    assert card["id"] == acc.id and card["name"] == acc.name
    assert set(card["rfm"]) >= {
        "recency_days",
        "frequency",
        "monetary",
        "r",
        "f",
        "m",
        "score",
        "segment",
    }
    assert card["fields"]["industry"] == acc.industry
    assert card["health"]["band"] in ("green", "yellow", "red")
    assert set(card["health"]["components"]) == {
        "usage",
        "engagement_trend",
        "support_load",
        "nps",
        "renewal",
    }
    assert all(c["why"] for c in card["health"]["components"].values())
    tag = next(t for t in card["tags"] if t["tag"] == "vip")
    assert tag["set_by"] == "alice" and tag["reason"] == {"note": "board member"}
    roles = [p["role"] for p in card["key_people"] if p["role"]]
    assert roles == sorted(roles, key=["EB", "TB", "UB"].index)
    comp = card["completeness"]
    assert 0 <= comp["key"] <= 1 and 0 <= comp["all"] <= 1
    keys_first = [m["is_key"] for m in comp["missing"]]
    assert keys_first == sorted(keys_first, reverse=True)
    assert card["figures"]["days_to_renewal"] is not None or acc.contract_end is None


def test_rfm_in_card_matches_figures(demo_services):
    with demo_services.session_factory.begin() as s:
        from store.models import AccountFigures
        from store.refresh import ensure_fresh

        ensure_fresh(s, AS_OF)
        fig = s.scalars(
            select(AccountFigures).where(AccountFigures.rfm_segment.is_not(None))
        ).first()
        acc = s.get(Account, fig.account_id)
        card = profile_card(s, acc, AS_OF, Scope.everything())
        assert card["rfm"]["segment"] == fig.rfm_segment
        assert card["rfm"]["score"] == 100 * fig.rfm_r + 10 * fig.rfm_f + fig.rfm_m


def test_chat_profile_en_and_zh(demo_services):
    with demo_services.session_factory() as s:
        admin = _admin(s)
        acc = next(a for a in s.scalars(select(Account).order_by(Account.id)) if a.name.isascii())
    [r] = handle(
        demo_services, IncomingMessage(user=admin, text=f"tell me about {acc.name}", as_of=AS_OF)
    )
    assert r.kind == "profile" and r.language == "en" and acc.name in r.title
    assert any("Health" in h for h, _ in r.sections)
    assert r.buttons[0].action == "interview_start"
    assert r.buttons[0].value == {"account_id": acc.id}
    [z] = handle(
        demo_services, IncomingMessage(user=admin, text=f"{acc.name}的客户画像", as_of=AS_OF)
    )
    assert z.kind == "profile" and z.language == "zh"
    assert any("健康度" in h for h, _ in z.sections)
    assert any("信息完成度" in h for h, _ in z.sections)
    with demo_services.session_factory() as s:
        views = [e for e in audit.entries(s, account_id=acc.id) if e.action == "profile.view"]
        assert len(views) == 2 and views[0].actor == admin


def test_chat_profile_respects_scope(demo_services):
    with demo_services.session_factory() as s:
        sales, other = _sales_and_foreign_account(s)
        assert find_account(s, other.name, scope_for(s, sales)) is None
        with pytest.raises(PermissionError):
            profile_card(s, other, AS_OF, scope_for(s, sales))
    replies = handle(
        demo_services, IncomingMessage(user=sales, text=f"tell me about {other.name}", as_of=AS_OF)
    )
    assert all(r.kind != "profile" for r in replies)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add field budget owner (预算负责人) text", ("budget_owner", "预算负责人", "text", False)),
        ("add field Renewal risk number key", ("renewal_risk", None, "number", True)),
        ("添加字段 采购周期 选项: 月度,季度,年度", (None, "采购周期", "choice", False)),
        ("new field Go-live date date", ("go_live_date", None, "date", False)),
    ],
)
def test_parse_add_field(text, expected):
    args = parse_add_field(text)
    assert (args["key"], args["label_zh"], args["type"], args["is_key"]) == expected
    assert parse_add_field("tell me about acme") is None


def test_chat_add_field_admin_only_and_counted(demo_services):
    with demo_services.session_factory() as s:
        admin = _admin(s)
        sales = s.scalars(select(User).where(User.role == "sales")).first().handle
        acc = s.scalars(select(Account).order_by(Account.id)).first()
    [no] = handle(demo_services, IncomingMessage(user=sales, text="add field budget owner text"))
    assert no.kind == "error" and "admin" in no.text
    [ok] = handle(
        demo_services,
        IncomingMessage(user=admin, text="add field budget owner (预算负责人) text key"),
    )
    assert "budget_owner" in ok.text
    with demo_services.session_factory.begin() as s:
        card = profile_card(s, s.get(Account, acc.id), AS_OF, Scope.everything())
        assert "budget_owner" in card["custom_fields"]
        missing = {m["field"]: m for m in card["completeness"]["missing"]}
        assert missing["budget_owner"]["is_key"]


def test_cli_profile_and_fields(cli_env):
    from bot.cli import app

    runner = CliRunner()
    r = runner.invoke(
        app, ["demo", "--accounts", "12", "--seed", "2", "--as-of", "2026-11-01"], env=cli_env
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["fields", "add", "budget_owner", "--label-zh", "预算负责人", "--key"], env=cli_env
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["fields", "list", "--json"], env=cli_env)
    listed = json.loads(r.stdout)
    assert "budget_owner" in [f["key"] for f in listed["fields"]]
    assert "budget_owner" in listed["key_fields"]
    r = runner.invoke(app, ["profile", "1", "--as-of", "2026-11-01", "--json"], env=cli_env)
    assert r.exit_code == 0, r.output
    card = json.loads(r.stdout)
    assert card["id"] == 1 and "rfm" in card and "budget_owner" in card["custom_fields"]
    r = runner.invoke(app, ["profile", "1", "--as-of", "2026-11-01"], env=cli_env)
    assert r.exit_code == 0 and "Health" in r.stdout
    r = runner.invoke(app, ["profile", "no such company", "--json"], env=cli_env)
    assert r.exit_code != 0
