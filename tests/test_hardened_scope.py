"""Scope re-checked where it used to be checked once: a name the asker cannot see is never
answered with a lookalike they can; an interview stops when its account leaves the asker's
scope; an alert's people lose their buttons when the account or the alert moves away.
On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from handlers import alerts as alert_handlers
from handlers.actions import ActionId
from handlers.messages import IncomingMessage, Reply
from handlers.router import handle
from handlers.services import Services
from store import alerts
from store.importer import import_rows
from store.models import Account, Alert, Contact, InterviewSession
from store.users import upsert_user

AS_OF = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 11, 1, 9)


@pytest.fixture
def book(services: Services) -> Services:
    """Alice sees 同创电商, Northwind Traders and Acme Robotics; Bob owns their lookalikes."""
    with services.session_factory.begin() as s:
        upsert_user(s, handle="mia", role="manager")
        upsert_user(s, handle="alice", role="sales", manager="mia")
        upsert_user(s, handle="bob", role="sales")
        upsert_user(s, handle="ada", role="admin")
        import_rows(
            s,
            "accounts",
            [
                {"account_id": "T1", "name": "同创网络科技有限公司", "owner": "bob", "arr": "90万"},
                {"account_id": "T2", "name": "同创电商", "owner": "alice", "arr": "12万"},
                {"account_id": "N1", "name": "Northwind Health", "owner": "bob", "arr": "5000"},
                {"account_id": "N2", "name": "Northwind Traders", "owner": "alice", "arr": "7000"},
                {"account_id": "A1", "name": "Acme Analytics", "owner": "bob", "arr": "5100"},
                {"account_id": "A2", "name": "Acme Robotics", "owner": "alice", "arr": "6200"},
            ],
            actor="test",
        )
    return services


def say(services: Services, user: str, text: str) -> list[Reply]:
    return handle(services, IncomingMessage(user=user, text=text, as_of=AS_OF))


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.plain() for r in replies)


# --------------------------------------------------------------------------- lookalike names


@pytest.mark.parametrize(
    ("question", "asked", "lookalike", "its_arr"),
    [
        ("同创网络科技的ARR是多少", "同创网络科技", "同创电商", "120,000"),
        ("同创网络科技", "同创网络科技", "同创电商", "120,000"),
        ("同创网络的年合同额", "同创网络", "同创电商", "120,000"),
    ],
)
def test_a_chinese_name_you_cannot_see_is_not_answered_with_a_lookalike(
    book: Services, question: str, asked: str, lookalike: str, its_arr: str
) -> None:
    out = text_of(say(book, "alice", question))
    assert f"没有你能看到的名为“{asked}”的客户" in out, out
    assert lookalike not in out and its_arr not in out and "900,000" not in out


@pytest.mark.parametrize(
    ("question", "asked", "lookalike", "its_arr"),
    [
        ("what is the ARR of Northwind Health", "Northwind Health", "Traders", "7,000"),
        ("Northwind Health", "Northwind Health", "Traders", "7,000"),
        ("ARR of Acme Analytics", "Acme Analytics", "Robotics", "6,200"),
        ("tell me about Acme Analytics", "Acme Analytics", "Robotics", "6,200"),
    ],
)
def test_an_english_name_you_cannot_see_is_not_answered_with_a_lookalike(
    book: Services, question: str, asked: str, lookalike: str, its_arr: str
) -> None:
    out = text_of(say(book, "alice", question))
    assert f"No account called '{asked}' that you can see" in out, out
    assert lookalike not in out and its_arr not in out and "5,000" not in out


def test_names_you_can_see_still_answer_in_full_and_short(book: Services) -> None:
    assert "120,000" in text_of(say(book, "alice", "同创电商的ARR"))
    assert "120,000" in text_of(say(book, "alice", "同创的年合同额"))  # the one 同创 she sees
    assert "7,000" in text_of(say(book, "alice", "tell me about Northwind"))
    assert "7,000" in text_of(say(book, "alice", "how is northwind traders doing"))
    assert "6,200" in text_of(say(book, "alice", "Acme Robotics"))
    # and the owner of the lookalike gets their own account
    assert "900,000" in text_of(say(book, "bob", "同创网络科技的ARR是多少"))


# --------------------------------------------------------------------------- interviews


def _account_state(services: Services, external_id: str) -> tuple:
    with services.session_factory() as s:
        acc = s.scalars(select(Account).where(Account.external_id == external_id)).one()
        contacts = s.scalars(select(Contact.name).where(Contact.account_id == acc.id)).all()
        return (acc.industry, acc.employees, acc.city, acc.pains, acc.arr, tuple(contacts))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_interview_stops_when_its_account_is_reassigned_away(book: Services, lang: str) -> None:
    start = "interview 同创电商" if lang == "en" else "访谈 同创电商"
    r = say(book, "alice", start)
    assert any(x.kind == "interview" for x in r), text_of(r)
    say(book, "alice", "about 300 people in Hangzhou, logistics; the CFO Li Na signs off")
    before = _account_state(book, "T2")
    with book.session_factory.begin() as s:  # the account goes to Bob mid-interview
        s.execute(update(Account).where(Account.external_id == "T2").values(owner="bob"))
    answer = "Dispatch runs on spreadsheets" if lang == "en" else "调度全靠表格"
    out = text_of(say(book, "alice", answer))
    if lang == "en":
        assert "no longer one you can see" in out and "nothing was written" in out
    else:
        assert "不在你能看到的范围内" in out and "没有写入任何内容" in out
    assert "300" not in out and "Hangzhou" not in out  # no summary of the account
    finished = text_of(say(book, "alice", "finish" if lang == "en" else "结束"))
    assert "Li Na" not in finished and "李娜" not in finished
    assert _account_state(book, "T2") == before  # nothing written
    with book.session_factory() as s:
        row = s.scalars(select(InterviewSession)).one()
        assert row.status == "cancelled"


def test_a_paused_interview_cannot_be_resumed_after_the_account_moved(book: Services) -> None:
    say(book, "alice", "interview 同创电商")
    say(book, "alice", "pause")
    with book.session_factory.begin() as s:
        s.execute(update(Account).where(Account.external_id == "T2").values(owner="bob"))
    out = text_of(say(book, "alice", "resume"))
    assert "no longer one you can see" in out
    assert "同创电商" not in out


# --------------------------------------------------------------------------- alerts


def _alert(services: Services, owner: str = "alice") -> int:
    with services.session_factory.begin() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "T2")).one()
        a = alerts.create(
            s,
            kind="todo",
            title="Call 同创电商",
            assignee=owner,
            now=NOW,
            account_id=acc.id,
            open_key=f"test:{acc.id}",
        )
        return a.id


def _status(services: Services, alert_id: int) -> str:
    with services.session_factory() as s:
        return s.get(Alert, alert_id).status


def test_the_old_assignee_cannot_act_after_the_account_is_reassigned(book: Services) -> None:
    aid = _alert(book)
    with book.session_factory.begin() as s:
        s.execute(update(Account).where(Account.external_id == "T2").values(owner="bob"))
    for user in ("alice", "mia"):  # the assignee and her manager: both lost the account
        reply = alert_handlers.handle_action(book, user, ActionId.ALERT_ACK, {"alert_id": aid}, NOW)
        assert reply.kind == "error" and "may not change" in reply.text
        assert _status(book, aid) == "open"
    ok = alert_handlers.handle_action(book, "ada", ActionId.ALERT_ACK, {"alert_id": aid}, NOW)
    assert ok.kind != "error" and _status(book, aid) == "acknowledged"


def test_the_old_assignee_cannot_act_after_the_alert_is_reassigned(book: Services) -> None:
    aid = _alert(book)
    with book.session_factory.begin() as s:
        upsert_user(s, handle="carol", role="sales")
        s.execute(update(Account).where(Account.external_id == "T2").values(csm="carol"))
    moved = alert_handlers.handle_action(
        book, "alice", ActionId.ALERT_REASSIGN, {"alert_id": aid, "to": "carol"}, NOW
    )
    assert moved.kind != "error", moved.text
    for action in (ActionId.ALERT_ACK, ActionId.ALERT_RESOLVE, ActionId.ALERT_SNOOZE):
        reply = alert_handlers.handle_action(book, "alice", action, {"alert_id": aid}, NOW)
        assert reply.kind == "error", reply.text
    assert _status(book, aid) == "open"
