"""One identity resolver: a person named by handle, email, display name (any case, spacing or
width, Chinese too), Slack id or WeCom id is one person for imports, scope, reminders, rules and
alerts — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from handlers.services import Services
from scheduler import jobs
from store import rules
from store.importer import run_import_rows
from store.models import Alert, OutboxMessage
from store.people import People, person_key
from store.query import account_rows, find_user, scope_for
from store.spec import Spec
from store.users import upsert_user

AS_OF = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 11, 1, 9)


def _book(services: Services) -> None:
    """Bob is named four ways across his accounts; 张三 twice; one account names nobody."""
    with services.session_factory.begin() as s:
        upsert_user(s, handle="boss", role="manager", name="Mia Boss")
        upsert_user(s, handle="root", role="admin", name="Ada Admin")
        upsert_user(
            s,
            handle="bob",
            role="sales",
            name="Bob Li",
            email="bob@acme.com",
            manager="boss",
            slack_id="U0BOB",
        )
        upsert_user(
            s, handle="zhang", role="sales", name="张三", wecom_id="ZhangSan", manager="boss"
        )
    end = AS_OF + dt.timedelta(days=20)
    rows = [
        {"account_id": "A1", "name": "Alpha Ltd", "owner": "Bob Li", "contract_end": end},
        {"account_id": "A2", "name": "Beta Ltd", "owner": "bob@acme.com", "contract_end": end},
        {"account_id": "A3", "name": "Gamma Ltd", "owner": "  BOB  LI ", "contract_end": end},
        {"account_id": "A4", "name": "Delta Ltd", "owner": "Ｂｏｂ Ｌｉ", "contract_end": end},
        {"account_id": "A5", "name": "甲科技", "owner": "张 三", "contract_end": end},
        {"account_id": "A6", "name": "乙科技", "owner": "zhangsan", "contract_end": end},
        {"account_id": "A7", "name": "Orphan Co", "owner": "", "contract_end": end},
    ]
    for r in rows:
        r["contract_end"] = r["contract_end"].isoformat()
    report = run_import_rows(services.session_factory, "accounts", rows)
    assert report.inserted == 7, report.to_json()


def test_person_key_folds_case_space_width_and_chinese_gaps() -> None:
    assert person_key("  Bob   LI ") == "bob li"
    assert person_key("Ｂｏｂ Ｌｉ") == "bob li"
    assert person_key("张 三") == "张三"
    assert person_key(None) == ""


def test_every_spelling_gets_its_renewal_reminder(services: Services) -> None:
    """The defect: display-name rows got no reminder, only the email one did."""
    _book(services)
    jobs.renewal_reminders(services, NOW)
    with services.session_factory.begin() as s:
        sent = s.execute(select(OutboxMessage.recipient, OutboxMessage.payload)).all()
    by_account: dict[str, set[str]] = {}
    for to, payload in sent:
        by_account.setdefault(payload["account"], set()).add(to)
    assert by_account["Alpha Ltd"] == {"bob"}
    assert by_account["Beta Ltd"] == {"bob"}
    assert by_account["Gamma Ltd"] == {"bob"}
    assert by_account["Delta Ltd"] == {"bob"}
    assert by_account["甲科技"] == {"zhang"}
    assert by_account["乙科技"] == {"zhang"}  # by WeCom id
    # nobody owns Orphan Co: the reminder goes to an admin, marked as a fallback, not dropped
    assert by_account["Orphan Co"] == {"root"}
    orphan = next(p for _t, p in sent if p["account"] == "Orphan Co")
    assert orphan["fallback"]["why"] == "admin"


def test_scope_and_people_by_every_spelling(services: Services) -> None:
    _book(services)
    with services.session_factory.begin() as s:
        for who in ("bob", "BOB@acme.com", "U0BOB", "Bob Li", " bob  li "):
            assert find_user(s, who).handle == "bob", who
        assert find_user(s, "张 三").handle == "zhang"
        mine = account_rows(s, Spec(), scope_for(s, "U0BOB"), AS_OF)
        assert sorted(r["name"] for r in mine) == [
            "Alpha Ltd",
            "Beta Ltd",
            "Delta Ltd",
            "Gamma Ltd",
        ]
        his = account_rows(s, Spec(), scope_for(s, "ZhangSan"), AS_OF)
        assert sorted(r["name"] for r in his) == ["乙科技", "甲科技"]
        team = account_rows(s, Spec(), scope_for(s, "boss"), AS_OF)
        assert len(team) == 6
        # an owner filter by any spelling finds the same accounts
        by_name = account_rows(s, Spec(owner="Bob Li"), scope_for(s, "root"), AS_OF)
        assert len(by_name) == 4


def test_two_people_sharing_a_display_name_are_nobody_by_name(services: Services) -> None:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="li1", name="Li Wei")
        upsert_user(s, handle="li2", name="Li Wei")
        people = People.load(s)
        assert people.resolve("li wei") is None
        assert people.resolve("li1").handle == "li1"


def test_rule_alerts_and_dms_reach_the_display_name_owner(services: Services) -> None:
    _book(services)
    rule = {
        "name": "renewing soon",
        "if": {"all": [{"field": "contract_end", "op": "le", "value": {"days": 30}}]},
        "then": [{"todo": "owner"}, {"dm": "manager"}],
    }
    with services.session_factory.begin() as s:
        rules.save_rule(s, rules.RuleDef.model_validate(rule), actor="root")
        rules.run_rules(s, AS_OF, NOW)
    with services.session_factory.begin() as s:
        assignees = dict(
            s.execute(select(Alert.title, Alert.assignee).where(Alert.kind == "todo")).all()
        )
        dms = s.execute(select(OutboxMessage.recipient, OutboxMessage.payload)).all()
    assert assignees["renewing soon — Alpha Ltd"] == "bob"
    assert assignees["renewing soon — Delta Ltd"] == "bob"
    assert assignees["renewing soon — 甲科技"] == "zhang"
    rule_dms = {p["account"]: to for to, p in dms if p.get("kind") == "rule_dm"}
    assert rule_dms["Alpha Ltd"] == "boss"  # Bob Li's manager
    assert rule_dms["甲科技"] == "boss"
    assert rule_dms["Orphan Co"] == "root"  # nobody to ask for a manager: an admin, not dropped
