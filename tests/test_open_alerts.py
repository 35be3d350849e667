"""'An alert still open' as a field like any other (`open_alerts`, a count of the account's
unresolved alerts and to-dos): asked in both languages, compiled by the one query layer on SQLite
and PostgreSQL, inside the asker's scope."""

from __future__ import annotations

import datetime as dt

from handlers import ask
from handlers.messages import IncomingMessage
from handlers.services import Services
from store import alerts
from store.models import Account
from store.users import upsert_user
from tests.conftest import AS_OF

NOW = dt.datetime(2026, 11, 1, 9)


def _book(services: Services) -> None:
    """Acme: one open alert; Birch: one snoozed and one open; Cedar: only a resolved one;
    Dune: none. Bob owns Acme and Cedar, Eve owns Birch and Dune."""
    with services.session_factory.begin() as s:
        upsert_user(s, handle="bob", role="sales")
        upsert_user(s, handle="eve", role="sales")
        ids = {}
        for name, owner in (("Acme", "bob"), ("Birch", "eve"), ("Cedar", "bob"), ("Dune", "eve")):
            acc = Account(name=name, name_norm=name.lower(), owner=owner, arr=1000)
            s.add(acc)
            s.flush()
            ids[name] = acc.id

        def alert(name: str, key: str, who: str) -> int:
            a = alerts.create(
                s,
                kind="alert",
                title=f"{name} {key}",
                assignee=who,
                now=NOW,
                account_id=ids[name],
                open_key=f"t:{name}:{key}",
            )
            assert a is not None
            return a.id

        alert("Acme", "a", "bob")
        alert("Birch", "a", "eve")
        snoozed = alert("Birch", "b", "eve")
        done = alert("Cedar", "a", "bob")
        s.flush()
        alerts.act(s, snoozed, "eve", "snooze", NOW, until=NOW + dt.timedelta(days=3))
        alerts.act(s, done, "bob", "resolve", NOW)


def _names(services: Services, text: str, user: str = "local") -> set[str]:
    replies = ask.try_handle(services, IncomingMessage(user=user, text=text, as_of=AS_OF))
    assert replies and len(replies) == 1, text
    data = replies[0].data
    assert data.get("understood") is not None, (text, replies[0].text)
    return {a["name"] for a in data["accounts"]}


def test_an_alert_still_open_in_both_languages(services: Services) -> None:
    _book(services)
    for text in (
        "accounts with an open alert",
        "which accounts have unresolved alerts",
        "有未处理预警的客户",
        "哪些客户还有未解决的提醒",
    ):
        assert _names(services, text) == {"Acme", "Birch"}, text
    for text in (
        "accounts with no open alerts",
        "accounts without any unresolved alerts",
        "没有未处理提醒的客户",
    ):
        assert _names(services, text) == {"Cedar", "Dune"}, text
    assert _names(services, "accounts with more than 1 open alert") == {"Birch"}
    assert _names(services, "未处理提醒超过1个的客户") == {"Birch"}


def test_open_alerts_stay_inside_the_askers_scope(services: Services) -> None:
    _book(services)
    assert _names(services, "accounts with an open alert", user="bob") == {"Acme"}
    assert _names(services, "没有未处理提醒的客户", user="eve") == {"Dune"}


def test_open_alerts_is_shown_and_sorted_like_any_field(services: Services) -> None:
    _book(services)
    replies = ask.try_handle(
        services, IncomingMessage(user="local", text="top 2 accounts by open alerts", as_of=AS_OF)
    )
    data = replies[0].data
    assert [a["name"] for a in data["accounts"]] == ["Birch", "Acme"]
