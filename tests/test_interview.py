"""Interview capture: the state machine through the router, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from handlers import interview
from handlers.interview_template import TemplateError, load, packaged, parse_template
from handlers.messages import IncomingMessage, Reply
from handlers.router import handle
from handlers.services import Services
from store import interviews as repo
from store.db import make_engine, make_session_factory
from store.identity import normalise_name
from store.models import (
    Account,
    AuditEntry,
    Contact,
    FiguresState,
    InterviewSession,
    OutboxMessage,
    User,
)

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture
def book(services: Services) -> Services:
    """Two sales reps, an admin, a thin account of Alice's and a fuller one of Bob's."""
    return seed_book(services)


def seed_book(services: Services) -> Services:
    """Fill the interview book (shared with other interview test modules)."""
    with services.session_factory.begin() as s:
        s.add_all(
            [
                User(handle="alice", name="Alice", role="sales", language="en"),
                User(handle="bob", name="Bob", role="sales", language="zh"),
                User(handle="ada", name="Ada", role="admin"),
            ]
        )
        s.add(
            Account(
                external_id="A1", name="Acme Logistics", name_norm="acmelogistics", owner="alice"
            )
        )
        s.add(
            Account(
                external_id="A2",
                name="Beta Retail",
                name_norm="betaretail",
                owner="alice",
                industry="Retail",
                employees=120,
                city="Shanghai",
            )
        )
        s.add(
            Account(
                external_id="B1",
                name="某某科技有限公司",
                name_norm=normalise_name("某某科技"),
                owner="bob",
            )
        )
    return services


def say(services: Services, user: str, text: str, as_of: dt.date = AS_OF) -> list[Reply]:
    return handle(services, IncomingMessage(user=user, text=text, as_of=as_of))


def text_of(replies: list[Reply]) -> str:
    return "\n\n".join(r.plain() for r in replies)


def current(replies: list[Reply]) -> str | None:
    return replies[-1].data.get("interview", {}).get("question")


def row_of(services: Services, user: str = "alice") -> InterviewSession:
    with services.session_factory() as s:
        return s.scalars(
            select(InterviewSession)
            .where(InterviewSession.user_handle == user)
            .order_by(InterviewSession.id.desc())
        ).first()


def test_start_and_multi_fact_answer(book: Services) -> None:
    r = say(book, "alice", "interview Acme Logistics")
    assert "Key completeness now 0%" in r[0].text and current(r) == "overview"
    r = say(book, "alice", "about 300 people in Hangzhou, logistics; the CFO Li Na signs off")
    out = text_of(r)
    assert "Industry = Logistics" in out
    assert "Also noted" in out and "Employees = 300" in out and "Hangzhou" in out
    assert "Li Na (CFO)" in out
    assert current(r) == "pains"
    row = row_of(book)
    assert row.answers["employees"]["value"] == 300 and row.answers["employees"]["via"] == (
        "extracted"
    )
    assert row.answers["contact:EB"]["value"]["name"] == "Li Na"
    # questions whose fields were filled by the extra facts are not asked
    seen = set()
    for _ in range(25):
        q = row_of(book).current
        if q is None:
            break
        seen.add(q)
        say(book, "alice", "skip")
    assert not seen & {"employees", "city", "eb"}


def test_validation_error_reasks_the_same_question_never_jumps(book: Services) -> None:
    say(book, "alice", "interview A1")
    say(book, "alice", "edit arr")
    r = say(book, "alice", "lots")
    assert current(r) == "arr" and "I couldn't use that" in r[-1].text and "50k" in r[-1].text
    r = say(book, "alice", "plenty")
    assert current(r) == "arr" and "`skip`" in r[-1].text
    assert row_of(book).retries == 2
    r = say(book, "alice", "120k")
    assert "ARR = ¥120,000" in r[-1].text and current(r) != "arr"
    assert row_of(book).retries == 0


def test_skip_back_and_edit(book: Services) -> None:
    say(book, "alice", "interview A1")
    say(book, "alice", "Logistics")
    r = say(book, "alice", "skip")  # pains
    assert "Skipped." in r[-1].text
    nxt = current(r)
    r = say(book, "alice", "back")
    assert current(r) == "pains" and "Back one question" in r[-1].text
    assert "pains" not in row_of(book).skipped
    r = say(book, "alice", "Manual dispatch")
    assert current(r) == nxt  # back where we were
    r = say(book, "alice", "edit industry")
    assert current(r) == "overview" and "Current answer: Logistics" in r[-1].text
    r = say(book, "alice", "fintech")
    assert row_of(book).answers["industry"]["value"] == "Fintech"
    assert current(r) == nxt
    r = say(book, "alice", "修改 城市")
    assert current(r) == "city"
    r = say(book, "alice", "edit shoe size")
    assert "don't know a field 'shoe size'" in r[0].text and current(r) == "city"


def test_digression_is_answered_and_the_interview_continues(book: Services) -> None:
    say(book, "alice", "interview A1")
    before = row_of(book)
    r = say(book, "alice", "which accounts renew in the next 30 days?")
    assert len(r) >= 2
    assert r[-1].data["interview"]["question"] == "overview"
    assert "Back to the interview" in r[-1].text
    after = row_of(book)
    assert after.current == before.current and after.answers == before.answers
    r = say(book, "alice", "有哪些客户快到期？")
    assert current(r) == "overview"


def test_state_survives_a_restart(book: Services, db_url: str) -> None:
    say(book, "alice", "interview A1")
    say(book, "alice", "about 300 people in Hangzhou, logistics")
    q = row_of(book).current
    # a new process: a fresh engine and session factory, nothing kept in memory
    engine = make_engine(db_url)
    fresh = Services(
        settings=book.settings, session_factory=make_session_factory(engine), as_of=AS_OF
    )
    r = say(fresh, "alice", "status")
    assert "Industry: Logistics" in r[0].plain() and "Employees: 300" in r[0].plain()
    assert current(r) == q
    engine.dispose()


def test_pause_and_resume_a_week_later(book: Services) -> None:
    say(book, "alice", "interview A1")
    say(book, "alice", "logistics")
    q = row_of(book).current
    r = say(book, "alice", "pause")
    assert "Paused" in r[0].text and row_of(book).status == "paused"
    say(book, "alice", "Shanghai")  # while paused, messages are not interview answers
    assert row_of(book).answers.keys() == {"industry"}
    r = say(book, "alice", "resume", as_of=AS_OF + dt.timedelta(days=7))
    assert current(r) == q and row_of(book).status == "active"
    assert "1 answers kept" in r[-1].text


def test_one_active_interview_per_user(book: Services) -> None:
    say(book, "alice", "interview A1")
    say(book, "alice", "logistics")
    r = say(book, "alice", "interview Beta Retail")
    assert "Paused your interview with Acme Logistics" in r[-1].text
    with book.session_factory() as s:
        rows = {r.account_id: r.status for r in s.scalars(select(InterviewSession))}
    assert sorted(rows.values()) == ["active", "paused"]
    r = say(book, "alice", "interview Acme Logistics")
    assert "Resuming" in r[-1].text and "1 answers kept" in r[-1].text


def test_filled_fields_are_skipped_or_offered_for_confirmation(book: Services) -> None:
    r = say(book, "alice", "interview Beta Retail")
    assert current(r) == "overview"
    assert "We have Industry = Retail — keep it?" in r[-1].text
    r = say(book, "alice", "yes")
    assert "Kept." in r[-1].text
    asked = set()
    for _ in range(25):
        q = row_of(book).current
        if q is None:
            break
        asked.add(q)
        say(book, "alice", "skip")
    assert "employees" not in asked and "city" not in asked  # already in the profile
    with book.session_factory() as s:
        audits = s.scalars(select(AuditEntry).where(AuditEntry.action == "interview.write")).all()
        assert not [a for a in audits if a.detail["field"] == "industry"]  # kept, not rewritten


def test_sensitive_question_reminds_to_infer(book: Services) -> None:
    say(book, "alice", "interview A1")
    r = say(book, "alice", "edit competitors")
    assert r[-1].text.startswith("Editing:\n⚠ sensitive: infer from context rather than ask")
    say(book, "alice", "cancel")
    say(book, "bob", "访谈 某某科技")
    r = say(book, "bob", "修改 competitors")
    assert "⚠ 敏感话题：建议侧面了解，不要直接问" in r[-1].text


def test_finish_writes_the_profile_with_audit_outbox_and_summary(book: Services) -> None:
    say(book, "ada", "interview A1")  # the admin interviews Alice's account
    say(book, "ada", "about 300 people in Hangzhou, logistics; the CFO Li Na signs off")
    say(book, "ada", "Dispatch runs on spreadsheets")
    say(book, "ada", "edit eb_attitude")
    say(book, "ada", "supporter")
    say(book, "ada", "edit contract_end")
    say(book, "ada", "2026-12-31")
    r = say(book, "ada", "finish")
    reply = r[-1]
    assert reply.title == "Interview summary · Acme Logistics"
    headings = [h for h, _ in reply.sections]
    assert headings == ["Key findings", "Open hypotheses", "Next steps"]
    assert reply.data["completeness_before"] == 0.0
    assert reply.data["completeness_after"] > 0.4
    assert "0% →" in reply.text
    assert set(reply.data["summary"]) == {"en", "zh"}
    assert "续约" in str(reply.data["summary"]["zh"]["sections"])  # renewal within 120 days
    with book.session_factory() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "A1")).one()
        assert (acc.industry, acc.employees, acc.city) == ("Logistics", 300, "Hangzhou")
        assert acc.pains == "Dispatch runs on spreadsheets"
        assert acc.contract_end == dt.date(2026, 12, 31)
        eb = s.scalars(select(Contact).where(Contact.account_id == acc.id)).one()
        assert (eb.name, eb.title, eb.role, eb.attitude) == ("Li Na", "CFO", "EB", "supporter")
        audits = s.scalars(select(AuditEntry).where(AuditEntry.action == "interview.write")).all()
        fields = {a.detail["field"]: a for a in audits}
        assert fields["employees"].detail == {
            "field": "employees",
            "old": None,
            "new": 300,
            "source": "interview",
            "interview_id": fields["employees"].detail["interview_id"],
        }
        assert all(a.actor == "ada" and a.platform == "terminal" for a in audits)
        out = s.scalars(select(OutboxMessage)).all()
        assert [(o.recipient, o.payload["kind"]) for o in out] == [("alice", "interview_summary")]
        assert out[0].payload["language"] == "en"
        state = s.get(FiguresState, 1)  # the finished interview refreshed the figures itself
        assert not state.stale and state.refreshed_at is not None
        assert repo.active_for(s, "ada") is None


def test_cancel_writes_nothing(book: Services) -> None:
    say(book, "alice", "interview A1")
    say(book, "alice", "logistics")
    r = say(book, "alice", "取消")
    assert "nothing was written" in r[0].text or "没有任何改动" in r[0].text
    with book.session_factory() as s:
        assert s.scalars(select(Account.industry).where(Account.external_id == "A1")).one() is None
    after = say(book, "alice", "logistics")  # no longer an answer to anything
    assert not any(r.kind == "interview" for r in after or [])
    assert row_of(book).status == "cancelled"


def test_chinese_interview(book: Services) -> None:
    r = say(book, "bob", "访谈 某某科技")
    assert "开始与某某科技有限公司的访谈" in r[-1].text and "用一两句话" in r[-1].text
    r = say(book, "bob", "杭州的物流公司，大约300人，财务总监李娜拍板")
    out = text_of(r)
    assert "行业 = 物流" in out and "另外记下了" in out and "李娜" in out
    r = say(book, "bob", "进度")
    assert "已答" in r[0].text
    r = say(book, "bob", "结束")
    assert r[-1].sections[0][0] == "关键发现"
    with book.session_factory() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "B1")).one()
        assert (acc.city, acc.industry, acc.employees) == ("杭州", "物流", 300)


def test_scope_limits_who_can_interview(book: Services) -> None:
    r = say(book, "bob", "interview Acme Logistics")  # Alice's account
    assert "can't find an account" in r[0].text
    r = say(book, "stranger", "interview Acme Logistics")
    assert r[0].kind == "error"
    assert row_of(book, "bob") is None


def test_concurrent_edits_conflict_instead_of_losing_an_answer(book: Services) -> None:
    say(book, "alice", "interview A1")
    s1, s2 = book.session_factory(), book.session_factory()
    try:
        a = repo.active_for(s1, "alice")
        b = repo.active_for(s2, "alice")
        repo.save(s1, a, answers={"industry": {"value": "Retail"}})
        s1.commit()
        with pytest.raises(StaleDataError):
            repo.save(s2, b, answers={"industry": {"value": "Energy"}})
            s2.commit()
    finally:
        s1.close()
        s2.rollback()
        s2.close()
    assert row_of(book).answers["industry"]["value"] == "Retail"


def test_form_payload_and_submit(book: Services) -> None:
    payload = interview.current_question_payload(book, "alice", "Beta Retail", "en")
    keys = [q["key"] for q in payload["questions"]]
    assert "overview" in keys and "eb" in keys
    overview = next(q for q in payload["questions"] if q["key"] == "overview")
    assert overview["value"] == "Retail"
    sensitive = next(q for q in payload["questions"] if q["key"] == "competitors")
    assert sensitive["hint"].startswith("⚠")
    bad = interview.submit_form(
        book, "alice", payload["metadata"], {"employees": "lots", "city": "Suzhou"}
    )
    assert bad[0].kind == "error" and "Employees" in bad[0].text
    ok = interview.submit_form(
        book,
        "alice",
        payload["metadata"],
        {"employees": "250", "eb": "Li Na, CFO", "overview": "Retail"},
    )
    assert ok[-1].data["interview"]["status"] == "done"
    with book.session_factory() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "A2")).one()
        assert (acc.employees, acc.city) == (250, "Suzhou")
        assert [c.name for c in acc.contacts] == ["Li Na"]


class FakeLLM:
    """An understander whose extraction says some right and some wrong things."""

    def understand(self, text, language, context):  # noqa: ANN001, ANN201
        return None

    def extract(self, text, fields, language):  # noqa: ANN001, ANN201
        self.fields = fields
        return {"industry": "Logistics", "employees": "not a number", "arr": 90000}


def test_llm_extraction_is_validated_like_any_answer(book: Services) -> None:
    book.understander = FakeLLM()
    say(book, "alice", "interview A1")
    r = say(book, "alice", "they move goods around, pay 90k yearly")
    assert "industry" in book.understander.fields
    row = row_of(book)
    assert row.answers["industry"]["value"] == "Logistics"
    assert row.answers["arr"]["value"] == 90000.0
    assert "employees" not in row.answers  # the invalid value was dropped
    assert "ARR = ¥90,000" in text_of(r)


def test_packaged_template_is_valid_and_bilingual() -> None:
    tpl = packaged("default")
    groups = [g.title.zh for g in tpl.groups]
    assert groups == ["行业特征", "企业特征", "关键人职业属性", "关键人个人属性"]
    assert all(q.ask.en and q.ask.zh for q in tpl.questions)
    assert {q.id for q in tpl.questions if q.sensitive} == {"competitors", "eb_kpi", "eb_personal"}
    assert all(q.note for q in tpl.questions if q.sensitive)


def test_template_errors_name_the_question(book: Services) -> None:
    bad = """
name: t
title: {en: T, zh: T}
groups:
  - id: g
    title: {en: G, zh: G}
    questions:
      - {id: q1, field: shoe_size, type: text, ask: {en: a, zh: b}}
"""
    with pytest.raises(TemplateError, match="q1.*shoe_size"):
        parse_template(bad)
    with pytest.raises(TemplateError, match="not valid YAML"):
        parse_template("a: [")
    mine = bad.replace("shoe_size", "pains").replace("name: t", "name: default")
    with book.session_factory.begin() as s:
        repo.put_template(s, "default", mine, actor="ada")
    with book.session_factory() as s:
        assert [q.id for q in load(s, "default").questions] == ["q1"]
    r = say(book, "alice", "interview A1")
    assert current(r) == "q1"
