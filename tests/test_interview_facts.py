"""Interviews read through the same readers as questions: several facts at once, a new key person
replaces the one on file only after a yes, a question typed mid-interview is answered (with or
without a question mark), and a budget keeps whether it is approved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.services import Services
from store.models import Account, Contact
from tests.test_interview import current, row_of, say, seed_book, text_of


@pytest.fixture
def book(services: Services) -> Services:
    return seed_book(services)


def _add_eb(services: Services, ext: str, name: str, title: str) -> None:
    with services.session_factory.begin() as s:
        acc = s.scalars(select(Account).where(Account.external_id == ext)).one()
        s.add(Contact(account_id=acc.id, name=name, title=title, role="EB"))


def _people(services: Services, ext: str) -> dict[str, str | None]:
    with services.session_factory() as s:
        acc = s.scalars(select(Account).where(Account.external_id == ext)).one()
        return {
            c.name: c.role for c in s.scalars(select(Contact).where(Contact.account_id == acc.id))
        }


def test_one_chinese_sentence_files_industry_size_city_and_founding_year(book: Services) -> None:
    say(book, "bob", "访谈 某某科技")
    out = text_of(say(book, "bob", "我们是上海的一家制造企业，大约500人，2008年成立"))
    assert "制造" in out and "500" in out and "上海" in out and "2008" in out
    answers = row_of(book, "bob").answers
    assert answers["industry"]["value"] == "制造"
    assert answers["employees"]["value"] == 500
    assert answers["city"]["value"] == "上海"
    assert answers["founded"]["value"] == 2008


def test_one_english_sentence_files_several_facts(book: Services) -> None:
    say(book, "alice", "interview A1")
    say(book, "alice", "a Shenzhen fintech firm with about 80 employees, founded in 2015")
    answers = row_of(book).answers
    assert answers["industry"]["value"] == "Fintech"
    assert answers["employees"]["value"] == 80
    assert answers["city"]["value"] == "Shenzhen"
    assert answers["founded"]["value"] == 2015


def test_a_new_economic_buyer_replaces_the_one_on_file_after_yes(book: Services) -> None:
    _add_eb(book, "A2", "Tom Hart", "CFO")
    say(book, "alice", "interview A2")
    say(book, "alice", "edit eb")
    r = say(book, "alice", "Jane Roe, the CEO, signs off now")
    out = text_of(r)
    assert "Tom Hart" in out and "Jane Roe" in out and "Replace" in out
    assert current(r) == "eb"
    r = say(book, "alice", "yes")
    assert current(r) != "eb"
    say(book, "alice", "finish")
    people = _people(book, "A2")
    assert people["Jane Roe"] == "EB" and people["Tom Hart"] != "EB"


def test_no_keeps_the_economic_buyer_on_file(book: Services) -> None:
    _add_eb(book, "A2", "Tom Hart", "CFO")
    say(book, "alice", "interview A2")
    say(book, "alice", "edit eb")
    say(book, "alice", "Jane Roe, the CEO")
    r = say(book, "alice", "no")
    assert "Tom Hart" in text_of(r)
    say(book, "alice", "finish")
    people = _people(book, "A2")
    assert people["Tom Hart"] == "EB" and people.get("Jane Roe") != "EB"


def test_chinese_replacement_of_the_decision_maker(book: Services) -> None:
    _add_eb(book, "B1", "张伟", "总经理")
    say(book, "bob", "访谈 某某科技")
    say(book, "bob", "修改 决策人")
    r = say(book, "bob", "现在是财务总监王芳拍板")
    out = text_of(r)
    assert "张伟" in out and "王芳" in out and "替换" in out
    say(book, "bob", "是")
    say(book, "bob", "结束")
    people = _people(book, "B1")
    assert people["王芳"] == "EB" and people["张伟"] != "EB"


def test_a_question_without_a_question_mark_is_answered_not_filed(book: Services) -> None:
    say(book, "bob", "访谈 某某科技")
    before = row_of(book, "bob")
    r = say(book, "bob", "上海有多少客户")
    assert current(r) == before.current  # the same interview question is asked again
    assert "回到访谈" in r[-1].text
    after = row_of(book, "bob")
    assert after.answers == before.answers  # nothing filed as the industry
    r = say(book, "alice", "interview A1")
    r = say(book, "alice", "accounts in Shanghai how many")
    assert "Back to the interview" in r[-1].text
    assert "industry" not in row_of(book).answers


def test_a_budget_keeps_that_it_is_already_approved(book: Services) -> None:
    say(book, "alice", "interview A1")
    say(book, "alice", "logistics company, budget of 500k already approved")
    value = row_of(book).answers["budget"]["value"]
    assert "500,000" in str(value) and "approved" in str(value)
    say(book, "bob", "访谈 某某科技")
    say(book, "bob", "物流公司，预算50万，已经批了")
    value = row_of(book, "bob").answers["budget"]["value"]
    assert "500,000" in str(value) and "已批" in str(value)
    say(book, "bob", "结束")
    with book.session_factory() as s:
        acc = s.scalars(select(Account).where(Account.external_id == "B1")).one()
        assert "已批" in acc.budget
