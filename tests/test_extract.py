"""The deterministic fact extractor: numbers, money, dates, choices, cities, industries, people."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers import extract as ex
from store.lang.dates import read_due_date

TODAY = dt.date(2026, 11, 1)


def test_multi_fact_answer_in_english() -> None:
    got = ex.extract(
        "about 300 people in Hangzhou, logistics; the CFO Li Na signs off", "en", today=TODAY
    )
    assert got["employees"] == 300
    assert got["city"] == "Hangzhou"
    assert got["industry"] == "Logistics"
    assert got["contact:EB"]["name"] == "Li Na"
    assert got["contact:EB"]["title"] == "CFO"


def test_multi_fact_answer_in_chinese() -> None:
    got = ex.extract("杭州的物流公司，大约300人，财务总监李娜拍板", "zh", today=TODAY)
    assert got["employees"] == 300
    assert got["city"] == "杭州"
    assert got["industry"] == "物流"
    assert got["contact:EB"] == {"name": "李娜", "title": "财务总监", "role": "EB"}


def test_roles_and_attitudes_stay_with_their_person() -> None:
    got = ex.extract(
        "CTO Wang Bo evaluates it and is skeptical; the ops manager Zhang Wei uses it daily",
        "en",
        today=TODAY,
    )
    assert got["contact:TB"]["name"] == "Wang Bo"
    assert got["contact:TB"]["attitude"] == "blocker"
    assert got["contact:UB"]["name"] == "Zhang Wei"
    assert "attitude" not in got["contact:UB"]
    assert "industry" not in got  # "it" is a pronoun here, not the IT industry
    zh = ex.extract("技术负责人王博在评估，比较反对；运营经理张伟每天用", "zh", today=TODAY)
    assert zh["contact:TB"]["name"] == "王博" and zh["contact:TB"]["attitude"] == "blocker"
    assert zh["contact:UB"]["name"] == "张伟"


def test_name_before_title() -> None:
    got = ex.extract("We met Sarah Jones, their CTO, who likes us", "en", today=TODAY)
    assert got["contact:TB"] == {
        "name": "Sarah Jones",
        "title": "CTO",
        "role": "TB",
        "attitude": "supporter",
    }


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("budget is about 50万", "budget", "¥500,000"),  # a budget is text: amount + status
        ("they pay ¥120,000 a year", "arr", 120000.0),
        ("年费12万", "arr", 120000.0),
        ("revenue around 3 million", "annual_revenue", 3_000_000.0),
    ],
)
def test_money_goes_where_the_words_say(text: str, field: str, value: float | str) -> None:
    assert ex.extract(text, "en", today=TODAY)[field] == value


def test_money_with_the_question_as_focus() -> None:
    assert ex.extract("roughly 80k", "en", today=TODAY, focus="arr") == {"arr": 80000.0}
    assert "arr" not in ex.extract("roughly 80k", "en", today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-31", dt.date(2027, 3, 31)),
        ("2027/3/1", dt.date(2027, 3, 1)),
        ("2027年3月31日", dt.date(2027, 3, 31)),
        ("March 2027", dt.date(2027, 3, 31)),
        ("next March", dt.date(2027, 3, 31)),
        ("明年3月", dt.date(2027, 3, 31)),
        ("下个月", dt.date(2026, 12, 31)),
        ("in 3 months", dt.date(2027, 2, 1)),
        ("March 5, 2027", dt.date(2027, 3, 5)),
    ],
)
def test_dates(text: str, expected: dt.date) -> None:
    assert read_due_date(text, TODAY) == expected


def test_renewal_date_only_with_renewal_words() -> None:
    assert ex.extract("contract renews next March", "en", today=TODAY)["contract_end"] == (
        "2027-03-31"
    )
    assert "contract_end" not in ex.extract("we met them last March", "en", today=TODAY)


@pytest.mark.parametrize(
    ("text", "n"),
    [("员工三百多人", 300), ("1.2k staff", 1200), ("headcount of about 450", 450), ("80人", 80)],
)
def test_employees(text: str, n: int) -> None:
    assert ex.find_employees(text) == n


def test_read_value_validates_with_a_hint_in_both_languages() -> None:
    with pytest.raises(ex.AnswerError) as err:
        ex.read_value("money", "lots", today=TODAY)
    assert "amount" in err.value.hint("en") and "金额" in err.value.hint("zh")
    with pytest.raises(ex.AnswerError):
        ex.read_value("integer", "2300", today=TODAY, min_value=1800, max_value=2100)
    assert ex.read_value("integer", "founded in 1998", today=TODAY, min_value=1800) == 1998
    assert ex.read_value("date", "2027年3月31日", today=TODAY) == "2027-03-31"


def test_choices_by_number_label_alias_and_language() -> None:
    choices = [
        {"value": "low", "en": "low", "zh": "低", "aliases": ["不敏感"]},
        {"value": "high", "en": "high", "zh": "高", "aliases": ["很敏感"]},
    ]
    assert ex.read_value("choice", "2", today=TODAY, choices=choices) == "high"
    assert ex.read_value("choice", "低", today=TODAY, choices=choices) == "low"
    assert ex.read_value("choice", "他们很敏感", today=TODAY, choices=choices) == "high"
    with pytest.raises(ex.AnswerError) as err:
        ex.read_value("choice", "purple", today=TODAY, choices=choices, language="zh")
    assert "低" in err.value.hint("zh")


def test_city_and_person_answers() -> None:
    assert ex.read_value("city", "上海", today=TODAY) == "Shanghai"
    assert ex.read_value("city", "Shanghai", today=TODAY, language="zh") == "上海"
    assert ex.read_value("city", "Ulm", today=TODAY) == "Ulm"  # unknown cities are kept
    with pytest.raises(ex.AnswerError):
        ex.read_value("city", "12345", today=TODAY)
    person = ex.read_value("person", "李娜，财务总监，很支持", today=TODAY, role="EB")
    assert person == {"name": "李娜", "title": "财务总监", "role": "EB", "attitude": "supporter"}
    assert ex.read_value("person", "Zhang Wei, ops manager", today=TODAY, role="UB")["name"] == (
        "Zhang Wei"
    )
    with pytest.raises(ex.AnswerError):
        ex.read_value("person", "supportive", today=TODAY, role="TB")


def test_questions_and_unknowns() -> None:
    assert ex.looks_like_question("which accounts renew next month?")
    assert ex.looks_like_question("哪些客户超过15天没登录")
    assert not ex.looks_like_question("about 300 people")
    assert ex.is_unknown("don't know") and ex.is_unknown("不清楚")
    assert not ex.is_unknown("they don't know the budget yet, maybe 50k")


def test_chinese_numerals() -> None:  # the corpus is store/lang/numbers.py's (tests/test_lang.py)
    assert ex.read_value("integer", "三百", today=dt.date(2026, 1, 1)) == 300
    assert ex.read_value("number", "大概12万", today=dt.date(2026, 1, 1)) == 120000
