"""The language layer's corpora are its tests: every reader — the importer's value reader, the
interview's answer reader and the question parser in both languages — reads each example of
store/lang/numbers.py as the same value ("1千万" is 10,000,000 and "5w" is 50,000 everywhere)."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.extract import read_value
from handlers.parser import parse
from store.lang import numbers
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
