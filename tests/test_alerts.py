"""Alert lifecycle through the chat handlers: list, buttons, who may act, snooze wakes,
escalation to the manager, and the history of who did what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from handlers import alerts as alert_handlers
from handlers.actions import ActionId
from handlers.messages import IncomingMessage
from handlers.services import Services
from store import alerts
from store.models import Account, Alert, OutboxMessage
from store.users import upsert_user

NOW = dt.datetime(2026, 11, 1, 9)


def _setup(services: Services) -> int:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="mia", role="manager")
        upsert_user(s, handle="bob", role="sales", manager="mia")
        upsert_user(s, handle="eve", role="sales")
        acc = Account(name="Acme", name_norm="acme", owner="bob", csm="eve")
        s.add(acc)
        s.flush()
        a = alerts.create(
            s,
            kind="todo",
            title="Call Acme",
            assignee="bob",
            now=NOW,
            account_id=acc.id,
            open_key=f"test:{acc.id}",
        )
        assert (
            alerts.create(
                s, kind="todo", title="dup", assignee="bob", now=NOW, open_key=f"test:{acc.id}"
            )
            is None
        )
        return a.id


def test_listing_in_both_languages_with_buttons(services: Services) -> None:
    _setup(services)
    en = alert_handlers.try_handle(services, IncomingMessage(user="bob", text="my alerts"))
    assert "1 open" in en[0].text
    actions = {b.action for b in en[1].buttons}
    assert {
        ActionId.ALERT_ACK,
        ActionId.ALERT_SNOOZE,
        ActionId.ALERT_RESOLVE,
        ActionId.OPEN_PROFILE,
    } <= actions
    zh = alert_handlers.try_handle(services, IncomingMessage(user="bob", text="待办"))
    assert "待办" in zh[1].title and zh[1].language == "zh"
    assert alert_handlers.try_handle(services, IncomingMessage(user="eve", text="alerts"))[
        0
    ].text.startswith("You have no")
    assert (
        alert_handlers.try_handle(
            services, IncomingMessage(user="bob", text="alerts for acme please")
        )
        is None
    )


def test_buttons_check_the_clicking_user_and_record_history(services: Services) -> None:
    aid = _setup(services)
    denied = alert_handlers.handle_action(
        services, "eve", ActionId.ALERT_ACK, {"alert_id": aid}, NOW
    )
    assert denied.kind == "error"
    ok = alert_handlers.handle_action(services, "bob", ActionId.ALERT_ACK, {"alert_id": aid}, NOW)
    assert ok.data["status"] == "acknowledged"
    snoozed = alert_handlers.handle_action(
        services,
        "mia",
        ActionId.ALERT_SNOOZE,
        {"alert_id": aid, "days": 3},
        NOW,
        reason="customer on holiday",
    )
    assert snoozed.data["status"] == "snoozed"
    with services.session_factory.begin() as s:
        upsert_user(s, handle="zed", role="sales")
    refused = alert_handlers.handle_action(  # zed cannot see Acme: the alert would tell him
        services, "mia", ActionId.ALERT_REASSIGN, {"alert_id": aid, "to": "zed"}, NOW
    )
    assert refused.kind == "error" and "cannot see" in refused.text
    moved = alert_handlers.handle_action(
        services, "mia", ActionId.ALERT_REASSIGN, {"alert_id": aid, "to": "eve"}, NOW
    )
    assert moved.data["status"] == "open"
    done = alert_handlers.handle_action(
        services, "eve", ActionId.ALERT_RESOLVE, {"alert_id": aid}, NOW
    )
    assert done.data["status"] == "resolved"
    steps = [(h["by"], h["action"]) for h in done.data["history"]]
    assert steps == [
        (None, "opened"),
        ("bob", "acknowledged"),
        ("mia", "snoozed"),
        ("mia", "reassigned"),
        ("eve", "resolved"),
    ]
    with services.session_factory.begin() as s:
        assert s.get(Alert, aid).snooze_reason == "customer on holiday"


def test_snooze_stays_quiet_until_its_date(services: Services) -> None:
    aid = _setup(services)
    with services.session_factory.begin() as s:
        alerts.notify_new(s, NOW)
        alerts.act(s, aid, "bob", "snooze", NOW, until=NOW + dt.timedelta(days=1), reason="later")
    with services.session_factory.begin() as s:
        assert alerts.notify_new(s, NOW + dt.timedelta(hours=5)) == 0
        assert alerts.notify_new(s, NOW + dt.timedelta(days=1, hours=1)) == 1
        assert s.get(Alert, aid).status == "open"
        keys = set(s.scalars(select(OutboxMessage.key)))
    assert keys == {f"alert:{aid}:open", f"alert:{aid}:wake:2026-11-02"}


def test_unacknowledged_alert_escalates_to_manager_once(services: Services) -> None:
    aid = _setup(services)
    with services.session_factory.begin() as s:
        assert alerts.escalate(s, NOW + dt.timedelta(hours=2), after_hours=24) == 0
        assert alerts.escalate(s, NOW + dt.timedelta(hours=25), after_hours=24) == 1
        assert alerts.escalate(s, NOW + dt.timedelta(hours=50), after_hours=24) == 0
        a = s.get(Alert, aid)
        assert a.escalated_to == "mia"
    # the manager now sees it too
    replies = alert_handlers.try_handle(services, IncomingMessage(user="mia", text="alerts"))
    assert len(replies) == 2
