"""Rules as data: YAML, defaults, set-based state actions (tags with reasons, fields that go
back), preview, and the messaging actions of a rule run — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from handlers.services import Services
from store import rules
from store.models import Account, AccountFigures, AccountTag, Alert, AuditEntry, OutboxMessage, User
from store.spec import Condition, Filter

AS_OF = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 11, 1, 9)


def _book(s) -> dict[str, int]:
    """Six accounts with hand-set figures, so each default rule's branch is exercised."""
    s.add_all([User(handle="bob", role="sales"), User(handle="mia", role="manager")])
    s.flush()
    s.scalars(select(User).where(User.handle == "bob")).one().manager_id = s.scalars(
        select(User.id).where(User.handle == "mia")
    ).one()
    spec = {
        "active_buyer": dict(
            days_since_login=3,
            login_trend=0.1,
            purchase_amount_30d=6000,
            purchase_count_30d=4,
            nps_latest=9,
            days_to_renewal=200,
        ),
        "quiet": dict(days_since_login=20, login_trend=0.0, nps_latest=9, days_to_renewal=200),
        "never": dict(days_since_login=None, login_trend=None, days_to_renewal=200),
        "fading": dict(
            days_since_login=5,
            login_trend=-0.6,
            purchase_amount_30d=9000,
            purchase_count_30d=5,
            nps_latest=9,
            days_to_renewal=200,
        ),
        "unhappy_renewing": dict(
            days_since_login=5, login_trend=0.2, nps_latest=5, days_to_renewal=30
        ),
        "healthy": dict(
            days_since_login=1,
            login_trend=0.0,
            purchase_amount_30d=6000,
            purchase_count_30d=2,
            nps_latest=10,
            days_to_renewal=60,
        ),
    }
    ids = {}
    for name, figs in spec.items():
        a = Account(name=name, name_norm=name, owner="bob", tier="standard", arr=1000)
        s.add(a)
        s.flush()
        s.add(AccountFigures(account_id=a.id, as_of=AS_OF, **figs))
        ids[name] = a.id
    s.flush()
    return ids


def _tags(s, tag: str) -> set[int]:
    return set(s.scalars(select(AccountTag.account_id).where(AccountTag.tag == tag)))


def test_default_rules_tag_set_fields_and_explain(services: Services) -> None:
    with services.session_factory.begin() as s:
        assert rules.install_default_rules(s) == 3
        assert rules.install_default_rules(s) == 0
        ids = _book(s)
        rules.apply_state_actions(s, AS_OF)
        risky = {ids[n] for n in ("quiet", "never", "fading", "unhappy_renewing")}
        assert _tags(s, "churn_risk") == risky
        tiers = dict(s.execute(select(Account.name, Account.tier)).all())
        assert {n for n, t in tiers.items() if t == "high_value"} == {"active_buyer", "fading"}
        statuses = dict(s.execute(select(Account.name, Account.status)).all())
        assert {n for n, st in statuses.items() if st == "churn_warning"} == {"quiet", "never"}
        why = rules.why(s, ids["fading"], "churn_risk")[0]
        assert why["rule"] == "churn_risk"
        assert why["values"]["login_trend"] == pytest.approx(-0.6)
        assert rules.why(s, ids["quiet"])[0]["values"]["days_since_login"] == 20
        assert s.scalar(select(func.count()).where(AuditEntry.action == "tag.set")) == 4


def test_tags_leave_and_fields_go_back_when_rule_stops_matching(services: Services) -> None:
    with services.session_factory.begin() as s:
        rules.install_default_rules(s)
        ids = _book(s)
        rules.apply_state_actions(s, AS_OF)
        s.get(AccountFigures, ids["quiet"]).days_since_login = 0
        s.get(AccountFigures, ids["active_buyer"]).purchase_amount_30d = 10
        stats = rules.apply_state_actions(s, AS_OF)
        assert stats["untagged"] == 1
        assert ids["quiet"] not in _tags(s, "churn_risk")
        assert s.get(Account, ids["active_buyer"]).tier == "standard"
        assert s.get(Account, ids["quiet"]).status is None
        # a person's tag is never removed by a rule
        s.add(
            AccountTag(account_id=ids["healthy"], tag="churn_risk", source="person", set_by="bob")
        )
        s.flush()
        rules.apply_state_actions(s, AS_OF)
        assert ids["healthy"] in _tags(s, "churn_risk")


def test_disabled_rule_cleans_up(services: Services) -> None:
    with services.session_factory.begin() as s:
        rules.install_default_rules(s)
        _book(s)
        rules.apply_state_actions(s, AS_OF)
        rules.set_enabled(s, "churn_risk", False)
        rules.apply_state_actions(s, AS_OF)
        assert _tags(s, "churn_risk") == set()


def test_yaml_rule_shorthands_and_errors(tmp_path) -> None:
    f = tmp_path / "r.yaml"
    f.write_text(
        "name: vip\nif:\n  all:\n    - {field: arr, op: ge, value: 500000}\n"
        "then:\n  - {tag: VIP account}\n  - {set: {tier: strategic}}\n  - {alert: csm}\n"
        "  - {webhook: 'https://example.test/hook'}\n",
        encoding="utf-8",
    )
    (rd,) = rules.load_rule_file(f)
    assert [a.type for a in rd.actions] == ["tag", "set_field", "alert", "webhook"]
    assert rd.actions[0].tag == "vip_account" and rd.actions[2].to == "csm"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nif: {all: [{field: arr, op: gt}]}\nthen: [{tag: t}]\n")
    with pytest.raises(rules.RuleError, match="bad.yaml"):
        rules.load_rule_file(bad)
    with pytest.raises(rules.RuleError, match="webhook"):
        rules.parse_rules({"name": "w", "if": {}, "then": [{"webhook": "ftp://x"}]})


def test_save_rejects_unknown_field(services: Services) -> None:
    rd = rules.RuleDef.model_validate(
        {
            "name": "x",
            "if": {"all": [{"field": "nonsense", "op": "gt", "value": 1}]},
            "then": [{"tag": "t"}],
        }
    )
    with services.session_factory.begin() as s, pytest.raises(rules.RuleError, match="nonsense"):
        rules.save_rule(s, rd)


def test_preview_counts_without_acting(services: Services) -> None:
    with services.session_factory.begin() as s:
        ids = _book(s)
        rd = rules.RuleDef(
            name="quiet15",
            condition=Condition(all=[Filter(field="days_since_login", op="ge", value=15)]),
            actions=[rules.Action(type="tag", tag="quiet")],
        )
        total, rows = rules.preview(s, rd, AS_OF)
        assert total == 2
        assert {r["id"] for r in rows} == {ids["quiet"], ids["never"]}
        assert _tags(s, "quiet") == set()


def test_run_rules_opens_todos_once_and_updates_on_repeat(services: Services) -> None:
    from store.refresh import mark_stale  # noqa: F401  (figures are hand-set: keep them)

    with services.session_factory.begin() as s:
        rules.install_default_rules(s)
        ids = _book(s)
        rules.apply_state_actions(s, AS_OF)
        _pretend_fresh(s)
        first = rules.run_rules(s, AS_OF, NOW)
        assert first["alerts_opened"] == 2
        todos = s.scalars(select(Alert).where(Alert.kind == "todo")).all()
        assert {a.account_id for a in todos} == {ids["quiet"], ids["never"]}
        assert {a.assignee for a in todos} == {"bob"}
        again = rules.run_rules(s, AS_OF, NOW + dt.timedelta(hours=1))
        assert again["alerts_opened"] == 0 and again["alerts_updated"] == 2
        assert s.scalar(select(func.count()).select_from(Alert)) == 2
        n_msgs = s.scalar(select(func.count()).select_from(OutboxMessage))
        assert n_msgs == 2
        # the account logs in again: its to-do closes; the next quiet spell opens a new one
        s.get(AccountFigures, ids["quiet"]).days_since_login = 0
        rules.apply_state_actions(s, AS_OF)
        closed = rules.run_rules(s, AS_OF, NOW + dt.timedelta(hours=2))
        assert closed["alerts_closed"] == 1


def test_dm_and_webhook_once_per_episode(services: Services) -> None:
    with services.session_factory.begin() as s:
        _book(s)
        rd = rules.RuleDef.model_validate(
            {
                "name": "quiet-dm",
                "if": {"all": [{"field": "days_since_login", "op": "ge", "value": 15}]},
                "then": [{"dm": "manager"}, {"webhook": "http://127.0.0.1:9/hook"}],
            }
        )
        rules.save_rule(s, rd)
        rules.apply_state_actions(s, AS_OF)
        _pretend_fresh(s)
        assert rules.run_rules(s, AS_OF, NOW)["messages"] == 4
        assert rules.run_rules(s, AS_OF, NOW)["messages"] == 0
        dms = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "dm")).all()
        assert {m.recipient for m in dms} == {"mia"}


def _pretend_fresh(s) -> None:
    """Hand-set figures stand: mark the figures table fresh for AS_OF."""
    from store.refresh import _state

    st = _state(s)
    st.as_of, st.stale = AS_OF, False
    s.flush()


def test_defaults_on_demo_book_are_sensible(demo_services: Services) -> None:
    from store.refresh import ensure_fresh

    with demo_services.session_factory.begin() as s:
        ensure_fresh(s, AS_OF)
        rules.apply_state_actions(s, AS_OF)
        total = s.scalar(select(func.count()).select_from(Account))
        risky = _tags(s, "churn_risk")
        assert 0 < len(risky) < total
        # every rule-set tag explains itself with the values that fired it
        for t in s.scalars(select(AccountTag).where(AccountTag.source == "rule")):
            assert t.reason["rule"] == "churn_risk" and t.reason["values"]
        # the tag agrees with its definition
        figs = {f.account_id: f for f in s.scalars(select(AccountFigures))}
        for acc_id, f in figs.items():
            d = f.days_since_login
            expect = (
                d is None
                or d >= 15
                or (f.login_trend is not None and f.login_trend <= -0.5)
                or (
                    f.nps_latest is not None
                    and f.nps_latest <= 6
                    and f.days_to_renewal is not None
                    and 0 <= f.days_to_renewal <= 90
                )
            )
            assert (acc_id in risky) == expect, acc_id
        hv = s.scalars(select(Account.id).where(Account.tier == "high_value")).all()
        for acc_id in hv:
            assert figs[acc_id].purchase_amount_30d > 5000 and figs[acc_id].purchase_count_30d > 3


def test_cli_rules_list_and_add_take_as_of(cli_env, tmp_path) -> None:
    """The contract's `rules list|add|preview|run [--as-of D] [--json]`: list and add took no
    --as-of (typer refused it); with it they also say how many accounts each rule matches."""
    import json

    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    day = "2026-11-01"
    r = runner.invoke(app, ["demo", "--accounts", "30", "--seed", "3", "--as-of", day], env=cli_env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["rules", "list", "--as-of", day, "--json"], env=cli_env)
    assert r.exit_code == 0, r.output
    listed = json.loads(r.stdout)
    assert listed["as_of"] == day
    r = runner.invoke(app, ["rules", "preview", "--as-of", day, "--json"], env=cli_env)
    previewed = {p["rule"]: p["matches"] for p in json.loads(r.stdout)["rules"]}
    assert {x["name"]: x["matches"] for x in listed["rules"] if x["enabled"]} == previewed
    assert previewed["churn_warning"] > 0  # the demo book has quiet accounts
    f = tmp_path / "r.yaml"
    f.write_text(
        "name: big_quiet\nif: {all: [{field: days_since_login, op: ge, value: 15}]}\n"
        "then: [{tag: big_quiet}]\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["rules", "add", str(f), "--as-of", day, "--json"], env=cli_env)
    assert r.exit_code == 0, r.output
    (added,) = json.loads(r.stdout)["rules"]
    assert added["name"] == "big_quiet" and added["created"] is True
    assert added["matches"] == previewed["churn_warning"]  # the same condition, the same day
    r = runner.invoke(app, ["rules", "add", str(f), "--as-of", day], env=cli_env)
    assert r.exit_code == 0 and f"matches {added['matches']} accounts on {day}" in r.stdout
    r = runner.invoke(app, ["rules", "list", "--json"], env=cli_env)  # without: as before
    assert "as_of" not in json.loads(r.stdout)
