"""Alerts acted on by typing, on every platform, and one honest definition of "my alerts".

Typed commands go through the same check as a button click (the alert is reloaded and the typer
checked); every alert shown says its id and fills Reply.alerts; the list says the real total and
pages with "more" / "更多". The CLI (`profilebot alerts --user`), App Home and the digest read the
same store function.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest

from bot.slack_app import build_home
from handlers import alerts as alert_handlers
from handlers.messages import IncomingMessage
from handlers.router import handle
from handlers.services import Services
from store import alerts
from store.models import Account, Alert
from store.users import upsert_user

NOW = dt.datetime(2026, 11, 1, 9)


def _book(services: Services, n: int = 20) -> list[int]:
    """bob owns Acme and has n open to-dos; eve is another salesperson; mia manages bob."""
    with services.session_factory.begin() as s:
        upsert_user(s, handle="mia", role="manager", name="陈敏")
        upsert_user(s, handle="bob", role="sales", manager="mia", name="Bob Smith")
        upsert_user(s, handle="eve", role="sales", name="Eve")
        acc = Account(name="Acme", name_norm="acme", owner="bob")
        s.add(acc)
        s.flush()
        ids = []
        for i in range(n):
            a = alerts.create(
                s,
                kind="todo",
                title=f"Call Acme {i}",
                assignee="bob",
                now=NOW + dt.timedelta(minutes=i),
                account_id=acc.id,
            )
            ids.append(a.id)
        return ids


def _say(services: Services, user: str, text: str):
    return handle(services, IncomingMessage(user=user, text=text, as_of=services.as_of))


@pytest.mark.parametrize(
    ("text", "verb", "extra"),
    [
        ("ack 92", "ack", {}),
        ("acknowledge #92", "ack", {}),
        ("确认 92", "ack", {}),
        ("确认92", "ack", {}),
        ("snooze 92 3d because on holiday", "snooze", {"days": 3, "reason": "on holiday"}),
        ("snooze 92 for 2 weeks", "snooze", {"days": 14}),
        ("暂缓 92 3天 原因：休假", "snooze", {"days": 3, "reason": "休假"}),
        ("暂缓92 两周", "snooze", {"days": 14}),
        ("resolve 92", "resolve", {}),
        ("解决 92", "resolve", {}),
        ("reassign 92 to bob", "reassign", {"to": "bob"}),
        ("把 92 转给 bob", "reassign", {"to": "bob"}),
        ("把92转给张伟", "reassign", {"to": "张伟"}),
    ],
)
def test_typed_commands_parse_in_both_languages(text, verb, extra):
    got = alert_handlers.parse_command(text)
    assert got is not None, text
    v, value = got
    assert v == verb and value["alert_id"] == 92
    if "days" in extra:
        assert value["length"] == dt.timedelta(days=extra["days"])
    if "reason" in extra:
        assert value["reason"] == extra["reason"]
    if "to" in extra:
        assert value["to"] == extra["to"]


@pytest.mark.parametrize("text", ["ack", "确认", "resolve the issue", "snooze", "解决方案有哪些"])
def test_words_without_an_id_are_not_commands(text):
    assert alert_handlers.parse_command(text) is None


def test_typed_ack_snooze_resolve_reassign_act_like_buttons(services: Services) -> None:
    ids = _book(services, 4)
    [r] = _say(services, "bob", f"确认 {ids[0]}")
    assert r.kind == "alert" and "已确认" in r.text and f"#{ids[0]}" in r.title
    assert [(a.id, a.status) for a in r.alerts] == [(ids[0], "acknowledged")]
    [r] = _say(services, "bob", f"暂缓 {ids[1]} 3天 原因：休假")
    assert r.alerts[0].status == "snoozed" and "休假" in r.plain()
    [r] = _say(services, "bob", f"snooze {ids[2]} 2d because travelling")
    assert r.language == "en" and "travelling" in r.plain()
    [r] = _say(services, "mia", f"把 {ids[3]} 转给 eve")
    assert r.kind == "error"  # eve cannot see Acme: refused, in Chinese
    assert "看不到" in r.text
    [r] = _say(services, "bob", f"resolve {ids[3]}")
    assert r.alerts[0].status == "resolved"
    with services.session_factory.begin() as s:
        a0, a1, a3 = (s.get(Alert, i) for i in (ids[0], ids[1], ids[3]))
        assert a0.status == "acknowledged" and a0.acknowledged_by == "bob"
        assert a1.status == "snoozed" and a1.snooze_reason == "休假"
        assert (a1.snoozed_until - dt.datetime.combine(services.as_of, dt.time(9))).days == 3
        assert a3.status == "resolved"
        assert a3.assignee == "bob"


def test_a_typed_command_by_someone_else_changes_nothing_and_says_why(services) -> None:
    ids = _book(services, 1)
    [r] = _say(services, "eve", f"确认 {ids[0]}")
    assert r.kind == "error" and "你不能处理提醒" in r.text and "bob" in r.text
    [r] = _say(services, "eve", f"ack {ids[0]}")
    assert r.kind == "error" and "may not change" in r.text
    [r] = _say(services, "bob", "解决 999999")
    assert r.kind == "error" and "没有编号为 999999" in r.text
    with services.session_factory.begin() as s:
        a = s.get(Alert, ids[0])
        assert a.status == "open" and len(a.history) == 1


def test_the_list_says_the_real_total_and_pages_with_more(services: Services) -> None:
    ids = _book(services, 23)
    first = _say(services, "bob", "提醒")
    head = first[0]
    assert "23 条" in head.text and "第 1–10 条" in head.text and "更多" in head.text
    shown = [a for r in first for a in r.alerts]
    assert len(first) == 11 and len(shown) == 10
    newest = sorted(ids, reverse=True)
    assert [a.id for a in shown] == newest[:10]
    assert all(f"#{r.alerts[0].id}" in r.title for r in first[1:])
    second = _say(services, "bob", "更多")
    assert "第 11–20 条" in second[0].text
    assert [a.id for r in second for a in r.alerts] == newest[10:20]
    third = _say(services, "bob", "more")
    assert [a.id for r in third for a in r.alerts] == newest[20:]
    assert "last page" in _say(services, "bob", "more")[0].text
    en = _say(services, "bob", "my alerts")
    assert "You have 23 open" in en[0].text and "showing 1–10 of 23" in en[0].text


def test_one_definition_of_my_alerts_everywhere(services: Services) -> None:
    """Chat, App Home, the digest's count and the CLI all see bob's 12 alerts, one of them
    escalated to mia (which is then also on mia's list)."""
    ids = _book(services, 12)
    with services.session_factory.begin() as s:
        s.get(Alert, ids[0]).escalated_to = "mia"
        page = alerts.my_alerts(s, "bob")
        assert page.total == 12 and len(page.alerts) == 10 and page.more
        assert alerts.my_alerts(s, "mia").total == 1
        assert alerts.count_mine(s, ["bob", "mia", "eve"]) == {"bob": 12, "mia": 1}
    home = build_home(services, "bob")
    assert home.alerts_total == 12 and len(home.alerts) == 10
    chat = _say(services, "bob", "alerts")
    assert chat[0].data["total"] == 12
    from handlers.digest import build_digest
    from store.query import find_user

    with services.session_factory.begin() as s:
        digest = build_digest(services, s, find_user(s, "mia"), NOW, lang="zh")
    assert digest.data["unacknowledged"] == {"bob": 12, "mia": 1}
    assert "Bob Smith: 12" in dict(digest.sections)["未确认的提醒"]


def test_cli_alerts_for_a_user_lists_all_of_them(cli_env, tmp_path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["profilebot", *args], env=cli_env, capture_output=True, text=True, timeout=300
        )

    assert run("demo", "--as-of", "2026-11-01").returncode == 0
    assert run("rules", "run", "--as-of", "2026-11-01").returncode == 0
    out = run("alerts", "--json")
    everyone = json.loads(out.stdout)["alerts"]
    by_person: dict[str, int] = {}
    for a in everyone:
        by_person[a["assignee"]] = by_person.get(a["assignee"], 0) + 1
    who, n = max(by_person.items(), key=lambda kv: kv[1])
    assert n > 10  # more than one chat page, so a list stopping at 10 would show
    mine = json.loads(run("alerts", "--user", who, "--json").stdout)
    assert mine["total"] == n == len(mine["alerts"])
    lines = subprocess.run(
        ["profilebot", "chat", "--as", who, "--as-of", "2026-11-01"],
        input="alerts\n",
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    assert f"You have {n} open alerts" in lines
