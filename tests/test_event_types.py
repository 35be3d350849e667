"""Events of any type a book stores (a CRM's meetings, emails, calls, visits): counted over any
window — rolling, calendar, absolute, or all time when none is said — asked in both languages,
compiled by the one query layer on SQLite and PostgreSQL, inside the asker's scope; a word for
events the book does not hold is said not understood, never dropped."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers import ask
from handlers.messages import IncomingMessage, Reply
from handlers.parser import ParseContext, parse
from handlers.services import Services
from store import query
from store.models import Account, Event
from store.query import Scope
from store.spec import Aggregate, Filter, Sort, Spec
from store.users import upsert_user
from tests.conftest import AS_OF  # 2026-11-01: last month is October, last quarter Q3

EVENTS = {
    "Acme": [("meeting", "2026-10-20"), ("email", "2026-10-25"), ("email", "2026-08-20")],
    "Birch": [("meeting", "2026-09-10"), *(("visit", f"2026-0{m}-05") for m in (3, 5, 6, 9))],
    "Cedar": [("email", "2026-08-01"), ("visit", "2026-10-02")],
    "Dune": [("login", "2026-10-30")],
}
OWNERS = {"Acme": "bob", "Birch": "eve", "Cedar": "bob", "Dune": "eve"}


def _book(services: Services) -> None:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="bob", role="sales")
        upsert_user(s, handle="eve", role="sales")
        for name, rows in EVENTS.items():
            acc = Account(name=name, name_norm=name.lower(), owner=OWNERS[name], arr=1000)
            s.add(acc)
            s.flush()
            for i, (etype, day) in enumerate(rows):
                ts = dt.datetime.fromisoformat(day) + dt.timedelta(hours=10)
                s.add(Event(account_id=acc.id, ts=ts, type=etype, event_key=f"{name}-{i}"))


def _ask(services: Services, text: str, user: str = "local") -> Reply:
    replies = ask.try_handle(services, IncomingMessage(user=user, text=text, as_of=AS_OF))
    assert replies and len(replies) == 1, text
    return replies[0]


def _names(services: Services, text: str, user: str = "local") -> set[str]:
    reply = _ask(services, text, user)
    assert reply.data.get("understood") is not None, (text, reply.text)
    return {a["name"] for a in reply.data["accounts"]}


def test_meetings_over_every_kind_of_window_in_both_languages(services: Services) -> None:
    _book(services)
    for text in (
        "accounts with a meeting in the last 14 days",
        "accounts we met with last month",
        "上个月开过会的客户",
        "最近30天开过会的客户",
    ):
        assert _names(services, text) == {"Acme"}, text
    assert _names(services, "上季度有会议记录的客户") == {"Birch"}
    assert _names(services, "accounts with a meeting last quarter") == {"Birch"}
    # none said with no window: none ever
    for text in (
        "还没开过会的客户",
        "accounts we have never met with",
        "accounts with no meetings",
    ):
        assert _names(services, text) == {"Cedar", "Dune"}, text
    assert _names(services, "no meetings this quarter") == {"Birch", "Cedar", "Dune"}
    assert _names(services, "本季度没有开过会的客户") == {"Birch", "Cedar", "Dune"}


def test_email_since_a_day_keeps_the_condition_and_the_scope(services: Services) -> None:
    _book(services)
    assert _names(services, "which of my accounts had email contact since Aug 15", "bob") == {
        "Acme"
    }
    assert _names(services, "8月15号以来有邮件往来的客户", "bob") == {"Acme"}
    assert _names(services, "accounts with email contact", "bob") == {"Acme", "Cedar"}
    assert _names(services, "accounts with email contact", "eve") == set()
    assert _names(services, "还没开过会的客户", "eve") == {"Dune"}


def test_counts_and_rankings_of_a_type(services: Services) -> None:
    _book(services)
    assert _names(services, "拜访次数超过3次的客户") == {"Birch"}
    assert _names(services, "accounts with more than 3 visits") == {"Birch"}
    assert _names(services, "accounts with at least 1 visit this quarter") == {"Cedar"}
    reply = _ask(services, "which 2 accounts had the most visits")
    assert [a["name"] for a in reply.data["accounts"]] == ["Birch", "Cedar"]


def test_the_answer_shows_the_count_of_the_asked_type_in_the_askers_language(
    services: Services,
) -> None:
    _book(services)
    en = _ask(services, "accounts we met with last month")
    zh = _ask(services, "上个月开过会的客户")
    (row_en,) = en.rows
    (row_zh,) = zh.rows
    assert any("meetings" in k and v == "1" for k, v in row_en.fields.items()), row_en.fields
    assert any("会议次数" in k and v == "1" for k, v in row_zh.fields.items()), row_zh.fields
    assert "meeting" in en.text.lower() and "会议" in zh.text


def test_a_type_the_book_does_not_hold_is_not_understood(services: Services) -> None:
    _book(services)
    for text in ("accounts we called last week", "最近30天打过电话的客户"):
        reply = _ask(services, text)
        assert reply.data.get("understood") is None, (text, reply.text)
        assert "电话" in reply.text or "called" in reply.text, reply.text


def test_the_spec_counts_a_type_on_both_backends(services: Services) -> None:
    _book(services)
    scope = Scope.everything()

    def names(spec: Spec) -> list[str]:
        with services.session_factory.begin() as s:
            return [r.name for r in query.run(s, spec, scope, AS_OF).rows]

    email = {"field": "events", "event_type": "email", "op": "ge", "value": 1}
    assert names(Spec(where={"all": [email]})) == ["Acme", "Cedar"]  # all time
    assert names(Spec(where={"all": [{**email, "since": "2026-08-15"}]})) == ["Acme"]
    assert names(Spec(where={"all": [{**email, "period": "last_month"}]})) == ["Acme"]
    assert names(Spec(where={"all": [{**email, "window_days": 100}]})) == ["Acme", "Cedar"]
    assert names(Spec(where={"all": [Filter(field="events", event_type="EMAIL", value=0)]})) == [
        "Birch",
        "Dune",
    ]
    ranked = Spec(sort=[Sort(field="events", event_type="visit")], limit=1)
    assert names(ranked) == ["Birch"]


def test_a_type_stored_in_the_books_own_words_counts_as_that_type(services: Services) -> None:
    _book(services)
    with services.session_factory.begin() as s:  # rows kept as a CRM spelled them
        elm = Account(name="Elm", name_norm="elm", owner="bob", arr=1000)
        s.add(elm)
        s.flush()
        s.add(Event(account_id=elm.id, ts=dt.datetime(2026, 10, 12, 9), type="会议", event_key="e"))
    assert _names(services, "上个月开过会的客户") == {"Acme", "Elm"}
    assert _names(services, "accounts we met with last month") == {"Acme", "Elm"}


CTX = ParseContext(event_types=["login", "purchase", "meeting", "email", "call", "visit", "demo"])
READINGS = [  # question -> (type, op, value, window)
    ("accounts that held a meeting in Q3", ("meeting", "ge", 1, {"period": "q3"})),
    ("accounts we had a call with this week", ("call", "ge", 1, {"period": "this_week"})),
    ("accounts not contacted by email since September 1", ("email", "eq", 0, {"since": "09-01"})),
    ("accounts that haven't been visited this year", ("visit", "eq", 0, {"period": "this_year"})),
    (
        "accounts with fewer than 2 emails this quarter",
        ("email", "lt", 2, {"period": "this_quarter"}),
    ),
    ("accounts that got a demo", ("demo", "ge", 1, {})),
    ("近两周有拜访的客户", ("visit", "ge", 1, {"window_days": 14})),
    ("本月没有电话沟通的客户", ("call", "eq", 0, {"period": "this_month"})),
    ("过去90天里电话超过5次的客户", ("call", "gt", 5, {"window_days": 90})),
    ("没拜访过的客户", ("visit", "eq", 0, {})),
    ("3次以上会议的客户", ("meeting", "ge", 3, {})),
]


@pytest.mark.parametrize(("text", "reading"), READINGS)
def test_the_parser_reads_a_type_its_count_and_its_window(text: str, reading: tuple) -> None:
    p = parse(text, context=CTX)
    assert p.spec is not None and not p.unparsed, (text, p.unparsed)
    (flt,) = p.spec.where.filters()
    etype, op, value, window = reading
    assert (flt.field, flt.event_type, flt.op, flt.value) == ("events", etype, op, value), text
    said = {k: getattr(flt, k) for k in ("window_days", "period", "since") if getattr(flt, k)}
    if "since" in said:
        said["since"] = said["since"].month_day
    assert said == window, text


@pytest.mark.parametrize(
    ("text", "windows"),
    [
        ("accounts with meetings and emails this quarter", {"meeting": "this_quarter", "email": "this_quarter"}),
        ("meetings and emails in the last 30 days", {"meeting": 30, "email": 30}),
        ("本季度有会议和邮件往来的客户", {"meeting": "this_quarter", "email": "this_quarter"}),
        ("accounts with a meeting this quarter and emails last month", {"meeting": "this_quarter", "email": "last_month"}),
        ("最近14天开过会 且 上个月发过邮件的客户", {"meeting": 14, "email": "last_month"}),
    ],
)  # fmt: skip
def test_a_window_said_of_a_list_of_types_counts_each_over_it(text: str, windows: dict) -> None:
    """A window binds to every event type of its clause, and only of its clause."""
    p = parse(text, context=CTX)
    assert p.spec is not None and not p.unparsed, (text, p.unparsed)
    got = {f.event_type: f.window_days or f.period for f in p.spec.where.filters()}
    assert got == windows, text


def test_a_key_persons_email_or_phone_is_no_event() -> None:
    for text in ("what is the EB's email", "决策人的电话是多少"):
        p = parse(text, context=CTX)
        assert not any(f.field == "events" for f in (p.spec.where.filters() if p.spec else [])), (
            text
        )


def test_a_ranking_by_a_type_counts_over_the_window_said(services: Services) -> None:
    _book(services)
    reply = _ask(services, "which account had the most visits this quarter")
    assert [a["name"] for a in reply.data["accounts"]] == ["Cedar"]  # Birch's were in Q1-Q3
    reply = _ask(services, "拜访最多的客户")
    assert [a["name"] for a in reply.data["accounts"]][:1] == ["Birch"]


def test_a_rule_written_in_chat_reads_the_books_event_types(services: Services) -> None:
    from handlers import rules_chat

    _book(services)
    with services.session_factory.begin() as s:
        rd = rules_chat.understand(
            services, s, "if no meetings in the last 30 days then tag cold", "en"
        )
    assert rd is not None
    (flt,) = rd.condition.filters()
    assert (flt.field, flt.event_type, flt.op, flt.value, flt.window_days) == (
        "events",
        "meeting",
        "eq",
        0,
        30,
    )


def test_a_model_spec_naming_events_the_book_does_not_hold_is_refused(services: Services) -> None:
    from handlers.ask import validate_spec
    from store.query import SpecError, load_catalogue, stored_event_types

    _book(services)
    with services.session_factory.begin() as s:
        fields, held = load_catalogue(s), stored_event_types(s)
    ok = Spec(where={"all": [{"field": "events", "event_type": "Meeting", "value": 0}]})
    validate_spec(ok, fields, held)
    bad = Spec(where={"all": [{"field": "events", "event_type": "webinar", "value": 0}]})
    with pytest.raises(SpecError, match="webinar"):
        validate_spec(bad, fields, held)


def test_a_total_of_an_event_measure_is_over_the_window_said(services: Services) -> None:
    """Aggregate carries the windows a Filter has: a sum or an average of events over a calendar,
    absolute or rolling window (not the stored 30-day figure), said so in both languages."""
    _book(services)
    base = dict(func="sum", field="events", event_type="email")
    cases = [
        (Aggregate(**base, period="last_month"), 1),  # Acme's 10-25
        (Aggregate(**base, since=dt.date(2026, 8, 1), until=dt.date(2026, 8, 31)), 2),
        (Aggregate(**base, window_days=90), 2),  # Aug 3 – Nov 1: not Cedar's Aug 1
        (Aggregate(func="sum", field="events", event_type="visit", period="this_year"), 5),
    ]
    for agg, want in cases:
        with services.session_factory() as s:
            res = query.run(s, Spec(aggregate=agg), Scope.everything("local"), AS_OF)
        assert res.value == want, agg
    with services.session_factory() as s:
        for lang, said in (("en", "emails last month"), ("zh", "上个月")):
            msg = IncomingMessage(user="local", text="总" if lang == "zh" else "x", as_of=AS_OF)
            reply = ask.answer(services, s, msg, Spec(aggregate=cases[0][0]), source="parser")
            assert said in reply.text and reply.data["value"] == 1, reply.text
