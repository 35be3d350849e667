"""Rules written as a sentence in chat: understood, echoed with a live count, confirmed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import rules_chat
from handlers.messages import IncomingMessage
from handlers.services import Services
from store.models import Rule

pytest.importorskip("handlers.parser", reason="the deterministic parser (handlers/parser.py)")

EN = "if no login for 15 days then tag churn warning and create a to-do for the owner"
ZH = "如果近30天购买金额大于5000且购买次数大于3次，则把客户等级设为高价值客户"


def _say(services: Services, user: str, text: str):  # noqa: ANN202
    return rules_chat.try_handle(services, IncomingMessage(user=user, text=text))


def _handles(services: Services) -> dict[str, str]:
    from store.models import User

    with services.session_factory.begin() as s:
        return {u.role: u.handle for u in s.scalars(select(User).order_by(User.id))}


def test_english_sentence_echoed_and_saved_on_yes(demo_services: Services) -> None:
    admin = _handles(demo_services)["admin"]
    (reply,) = _say(demo_services, admin, EN)
    rule = reply.data["rule"]
    assert rule["if"]["all"][0]["field"] == "days_since_login"
    assert [a["type"] for a in rule["then"]] == ["tag", "todo"]
    assert rule["then"][0]["tag"] == "churn_warning" and rule["then"][1]["to"] == "owner"
    assert f"matches {reply.data['matches']} accounts now" in reply.text
    (saved,) = _say(demo_services, admin, "yes")
    assert "Saved rule" in saved.text
    with demo_services.session_factory.begin() as s:
        row = s.scalars(select(Rule).where(Rule.source_text == EN, Rule.owner == admin)).one()
        assert row.enabled and not row.is_default
    assert _say(demo_services, admin, "yes") is None  # nothing pending any more


def test_chinese_sentence_sets_tier(demo_services: Services) -> None:
    admin = _handles(demo_services)["admin"]
    (reply,) = _say(demo_services, admin, ZH)
    assert reply.language == "zh" and "现在匹配" in reply.text
    (action,) = reply.data["rule"]["then"]
    assert (action["type"], action["field"], action["value"]) == ("set_field", "tier", "high_value")
    (dropped,) = _say(demo_services, admin, "取消")
    assert "没有保存" in dropped.text


@pytest.mark.parametrize("role", ["sales", "manager"])
def test_only_admins_save_and_previews_count_only_what_the_asker_sees(
    demo_services: Services, role: str
) -> None:
    # rules act on every account, so a sales rep or a manager may preview but not save one
    who = _handles(demo_services)[role]
    admin = _handles(demo_services)["admin"]
    (reply,) = _say(demo_services, who, EN)
    assert "Only an admin can save rules" in reply.text and not reply.buttons
    assert _say(demo_services, who, "yes") is None
    (everyone,) = _say(demo_services, admin, EN)
    assert reply.data["matches"] < everyone.data["matches"]


def test_not_a_rule_passes_through_and_bad_action_is_named(demo_services: Services) -> None:
    admin = _handles(demo_services)["admin"]
    assert _say(demo_services, admin, "show churn-risk accounts") is None
    (reply,) = _say(demo_services, admin, "if no login for 15 days then dance wildly")
    assert reply.kind == "error" and "dance wildly" in reply.text
