"""The language layer's corpora are its tests: every reader — the importer's value reader, the
interview's answer reader and the question parser in both languages — reads each example of a
store/lang dimension as the same value ("1千万" is 10,000,000 and "5w" is 50,000 everywhere; "决策人"
is the EB in an import, an edit, a question and a reply's label)."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.extract import find_people, read_value
from handlers.parser import parse
from store import vocab
from store.lang import numbers, people, yesno
from store.values import parse_number


@pytest.mark.parametrize(("text", "value"), numbers.EXAMPLES)
def test_every_reader_reads_the_number_corpus_alike(text: str, value: float) -> None:
    assert numbers.read_number(text) == value
    assert parse_number(text) == value  # import, hand edits, custom fields
    assert read_value("money", text, today=dt.date(2026, 11, 1)) == value  # interview answers
    for question in (f"accounts with ARR over {text}", f"年合同额超过{text}的客户"):
        spec = parse(question).spec
        assert spec is not None, question
        (flt,) = spec.where.filters()
        assert (flt.field, flt.op, flt.value) == ("arr", "gt", value), question


def test_lone_letters_apart_from_a_number_are_no_scale() -> None:
    assert [a.value for a in numbers.find_amounts("top 5 b2b accounts")] == [5]
    assert numbers.read_number("3 m") is None  # a cell "3 m" is not three million
    assert numbers.write_out("in 3 months") == "in 3 months"


def test_amounts_in_free_text() -> None:
    found = numbers.find_amounts("预算大概5w，已经批了；去年花了1.2万元")
    assert [(a.value, a.explicit) for a in found] == [(50000, True), (12000, True)]


def _filters(question: str) -> list[tuple[str, str, object]]:
    spec = parse(question).spec
    assert spec is not None, question
    return [(f.field, f.op, f.value) for f in spec.where.filters()]


@pytest.mark.parametrize(("text", "role"), people.ROLE_EXAMPLES)
def test_every_reader_reads_the_role_corpus_alike(text: str, role: str) -> None:
    assert people.read_role(text) == role  # import cells, hand edits
    assert vocab.read("role", text) == role.lower()  # a reply's label read back
    for question in (f"accounts with a {text}", f"有{text}的客户"):
        assert _filters(question) == [("contact_role", "eq", role)], question


@pytest.mark.parametrize(("text", "attitude"), people.ATTITUDE_EXAMPLES)
def test_every_reader_reads_the_attitude_corpus_alike(text: str, attitude: str) -> None:
    assert people.read_attitude(text) == attitude  # import cells, hand edits
    assert vocab.read("attitude", text) == attitude  # a reply's label read back
    for question in (f"accounts whose key person is a {text}", f"关键人态度为{text}的客户"):
        assert _filters(question) == [("contact_attitude", "eq", attitude)], question
    for answer in (f"the CFO Li Na is {text}", f"财务总监李娜，{text}"):  # interviews, notes
        assert [p.attitude for p in find_people(answer)] == [attitude], answer


@pytest.mark.parametrize(("text", "yes"), yesno.EXAMPLES)
def test_every_door_reads_the_yes_no_corpus_alike(text: str, yes: bool | None) -> None:
    # the interview ("keep"), a rule written in chat ("save") and quick notes ("file") read
    # through read_yes_no with their own words added; a plain yes or no is the same in each
    for context in (None, *yesno.CONTEXT_WORDS):
        assert yesno.read_yes_no(text, context) is yes, (text, context)


def test_a_door_s_own_words_answer_only_its_question() -> None:
    assert yesno.read_yes_no("keep", "keep") is True and yesno.read_yes_no("keep", "save") is None
    assert yesno.read_yes_no("保存", "save") is True and yesno.read_yes_no("保存", "file") is None
    assert yesno.read_yes_no("replace", "keep") is False
