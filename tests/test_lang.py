"""The language layer's corpora are its tests: every reader — the importer's value reader, the
interview's answer reader and the question parser in both languages — reads each example of a
store/lang dimension as the same value ("1千万" is 10,000,000 and "5w" is 50,000 everywhere; "决策人"
is the EB in an import, an edit, a question and a reply's label)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from handlers.alerts import snooze_length
from handlers.extract import find_people, read_value
from handlers.parser import ParseContext, UserRef, parse
from handlers.textnorm import normalise
from handlers.understand.tags import tag
from handlers.understand.topics.events import event_notation
from store import vocab
from store.aliases import map_headers
from store.lang import (
    classes,
    compare,
    dates,
    events,
    fields,
    negation,
    numbers,
    people,
    places,
    yesno,
)
from store.spec import PERIODS, Condition, RelativeDate, period_bounds
from store.values import parse_date, parse_number


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


@pytest.mark.parametrize(("text", "value"), numbers.NUMERAL_EXAMPLES)
def test_every_reader_reads_the_chinese_numeral_corpus_alike(text: str, value: int) -> None:
    assert numbers.zh_int(text) == value
    assert numbers.read_number(text) == value  # import, hand edits
    assert read_value("integer", text, today=dt.date(2026, 11, 1)) == value  # interview answers
    assert normalise(f"员工超过{text}人的客户") == f"员工 > {value}人的客户"  # questions
    assert snooze_length(text, "天") == dt.timedelta(days=value)  # "暂缓两天" on an alert


@pytest.mark.parametrize(("text", "value"), numbers.EXAMPLES)
def test_the_tagger_reads_the_number_corpus_alike(text: str, value: float) -> None:
    # as typed (MONEY when written as money) and as the question parser sees it
    for seen in (text.lower(), normalise(text)):
        (t,) = [t for t in tag(seen) if t.kind in ("NUMBER", "MONEY")]
        assert (t.value, t.text) == (value, seen), seen
    (t,) = tag(normalise(f"ARR超过{text}"), ("NUMBER", "MONEY"))
    assert t.value == value


@pytest.mark.parametrize(("text", "bounds"), compare.RANGE_EXAMPLES)
def test_the_tagger_reads_the_range_corpus_alike(text: str, bounds: tuple[float, float]) -> None:
    for seen in (text, normalise(text)):
        (t,) = tag(seen, ("NUMBER", "MONEY", "CMP", "CONJ"))
        assert (t.kind, t.value) == ("NUMBER", bounds), seen


def test_a_date_or_a_count_is_no_money() -> None:
    assert [t.kind for t in tag("2026-03-01", ("NUMBER", "MONEY"))] == []
    (t,) = tag("5万人", ("NUMBER", "MONEY"))
    assert (t.kind, t.value) == ("NUMBER", 50000)


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


@pytest.mark.parametrize(("text", "field", "value"), classes.EXAMPLES)
def test_every_reader_reads_the_class_corpus_alike(text: str, field: str, value: str) -> None:
    got = parse(text, context=ParseContext(tags=["vip"])).spec
    assert got is not None and (field, "eq", value) in [
        (f.field, f.op, f.value) for f in got.where.filters()
    ], text


@pytest.mark.parametrize(
    ("field", "value"),
    [(f, v) for f in ("health_band", "nps_class") for v in vocab.SHOWN[f]]
    + [("tag", "vip"), ("tag", "key_account"), ("tag", "churn_risk")],
)
def test_a_class_s_label_in_a_reply_reads_back_as_that_class(field: str, value: str) -> None:
    """The label a Chinese reply shows a class with (红色（风险）, 贬损者, 重要客户) asks for it."""
    label = vocab.shown(field, value, "zh")
    ctx = ParseContext(tags=[value] if field == "tag" else [])
    got = parse(f"{label}的客户", context=ctx)
    assert [(f.field, f.op, f.value) for f in got.spec.where.filters()] == [(field, "eq", value)]
    assert got.unparsed == "", (label, got.unparsed)


def test_a_tag_reads_alike_however_it_is_spelt() -> None:
    assert {classes.tag_key(t) for t in ("Churn-Risk", "churn risk", "churn_risk")} == {
        "churn_risk"
    }


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


# ---------------------------------------------------------------------------- dates and periods

AS_OF = dates.AS_OF


def _bounds(flt) -> tuple[dt.date | None, dt.date | None]:
    kw = {k: getattr(flt, k) for k in ("window_days", "period", "since", "until")}
    return dates.window_bounds({k: v for k, v in kw.items() if v is not None}, AS_OF)


def _questions(text: str) -> list[str]:
    """The text in an English question, and in a Chinese one unless it is written in words."""
    out = [f"accounts that made a purchase since {text}"]
    if not re.search("[a-z]", text, re.IGNORECASE):
        out.append(f"{text}以来有购买的客户")
    return out


def _event_filter(question: str):
    spec = parse(question).spec
    assert spec is not None, question
    (flt,) = spec.where.filters()
    assert flt.field == "purchase_count", question
    return flt


@pytest.mark.parametrize(("text", "day"), dates.DATE_EXAMPLES)
def test_every_reader_reads_the_date_corpus_alike(text: str, day: dt.date) -> None:
    assert dates.read_date(text) == day
    assert parse_date(text) == day  # import cells, hand edits, custom fields
    assert read_value("date", text, today=AS_OF) == day.isoformat()  # interview answers
    for question in _questions(text):
        assert _bounds(_event_filter(question)) == (day, None), question


@pytest.mark.parametrize(("text", "latest", "upcoming"), dates.YEARLESS_EXAMPLES)
def test_a_day_without_its_year(text: str, latest: dt.date, upcoming: dt.date) -> None:
    assert dates.read_date(text, AS_OF) == latest
    assert dates.read_date(text, AS_OF, future=True) == upcoming
    assert parse_date(text) is None  # an import cell without a year is not guessed
    assert read_value("date", text, today=AS_OF) == upcoming.isoformat()  # a renewal date
    for question in _questions(text):
        assert _bounds(_event_filter(question)) == (latest, None), question


@pytest.mark.parametrize(("text", "bounds"), dates.WINDOW_EXAMPLES)
def test_every_reader_reads_the_window_corpus_alike(text: str, bounds: tuple) -> None:
    kw = dates.read_window(text)
    assert kw is not None and dates.window_bounds(kw, AS_OF) == bounds
    zh = bool(re.search(r"[\u4e00-\u9fff]", text))
    question = f"{text}有购买的客户" if zh else f"accounts that made a purchase {text}"
    assert _bounds(_event_filter(question)) == bounds, question


@pytest.mark.parametrize(("text", "bounds"), dates.DEADLINE_EXAMPLES)
def test_every_reader_reads_a_deadline_alike(text: str, bounds: tuple) -> None:
    found = dates.find_deadline(text)
    assert found is not None and found[2].resolve(AS_OF) == bounds[1]
    assert read_value("date", text, today=AS_OF) == bounds[1].isoformat()
    zh = bool(re.search(r"[\u4e00-\u9fff]", text))
    question = f"{text}到期的客户" if zh else f"accounts whose contract ends {text}"
    spec = parse(question).spec
    assert spec is not None, question
    (flt,) = spec.where.filters()
    assert flt.field == "contract_end" and flt.op == "between", question
    assert [v.resolve(AS_OF) for v in flt.value] == list(bounds), question


def _field_bounds(flt) -> tuple[str, object]:
    """A date field's filter on AS_OF: (op, day) or (op, (first, last))."""

    def day(v):
        return v.resolve(AS_OF) if isinstance(v, RelativeDate) else dt.date.fromisoformat(v)

    if flt.op == "in_period":
        return flt.op, period_bounds(flt.value, AS_OF)
    if flt.op == "between":
        return flt.op, tuple(day(v) for v in flt.value)
    return flt.op, day(flt.value)


def _date_field_filter(question: str, field: str):
    spec = parse(question).spec
    assert spec is not None, question
    found = [f for f in spec.where.filters() if f.field == field]
    assert len(found) == 1 and len(spec.where.filters()) == 1, (question, spec.where)
    return found[0]


@pytest.mark.parametrize(("text", "op", "value"), dates.END_EXAMPLES)
def test_a_contract_s_end_said_with_when(text: str, op: str, value: object) -> None:
    zh = bool(re.search(r"[\u4e00-\u9fff]", text))
    questions = (
        [f"{text}到期的客户", f"合同{text}到期的客户"]
        if zh
        else [
            f"contracts ending {text}",
            f"accounts renewing {text}",
        ]
    )
    for question in questions:
        flt = _date_field_filter(question, "contract_end")
        assert _field_bounds(flt) == (op, value), question
        assert parse(question).unparsed == "", question


@pytest.mark.parametrize(("text", "op", "value"), dates.START_EXAMPLES)
def test_an_account_s_start_said_with_when(text: str, op: str, value: object) -> None:
    zh = bool(re.search(r"[\u4e00-\u9fff]", text))
    questions = (
        [f"{text}签约的客户", f"{text}新增的客户"]
        if zh
        else [
            f"accounts added {text}",
            f"new customers {text}",
        ]
    )
    for question in questions:
        flt = _date_field_filter(question, "contract_start")
        assert _field_bounds(flt) == (op, value), question
        assert parse(question).unparsed == "", question


@pytest.mark.parametrize(("text", "held", "types"), events.EXAMPLES)
def test_every_reader_reads_the_event_type_corpus_alike(
    text: str, held: tuple[str, ...], types: list[str | None]
) -> None:
    found = [t for _s, _e, _w, t in events.find_event_types(text, held)]
    assert found == types, text
    p = parse(text, context=ParseContext(event_types=["login", "purchase", *held]))
    if None in types:  # a word for events the book does not hold: said, never dropped
        assert not p.matched and p.spec is None, text
        assert "did not understand" in p.problem and "没有理解" in p.problem_zh, text
        return
    assert p.spec is not None, text
    asked = [f.event_type for f in p.spec.where.filters() if f.field == "events"]
    asked += [s.event_type for s in p.spec.sort if s.field == "events"]
    assert asked == types, text
    for t in types:  # a type stored in any of its spellings is the type the question names
        assert t is not None and events.canonical(t.replace("_", " ")) == t
        assert all(events.canonical(w) == t for w in events.spellings(t))


@pytest.mark.parametrize(("text", "want"), events.ACTIVITY_EXAMPLES)
def test_every_way_of_saying_activity_reads_alike(text: str, want: str) -> None:
    # the tagger reads LOGIN_WORDS / IDLE_WORDS / EVER_WORDS / LAST_LOGIN_WORDS, the events topic
    # of the pattern table turns them into conditions (its notation)
    p = parse(text)
    assert p.spec is not None and p.unparsed == "", (text, p.unparsed)
    assert event_notation(p.spec.where) == want, text


def test_event_type_cells_and_labels() -> None:
    assert events.cell_type("登录") == "login"  # the importer stores a built-in type
    assert events.cell_type("会议") == "会议"  # and any other word as written (idempotent)
    assert events.cell_type("Demo Request") == "demo_request"
    assert events.canonical("会议") == "meeting"  # which a question counts as meetings
    assert events.canonical("Phone_Call") == "call"
    assert "会议" in events.spellings("meeting") and "phone_call" in events.spellings("call")
    assert events.type_label("meeting", "zh") == "会议次数"
    assert events.type_label("webinar", "en") == "webinar events"


@pytest.mark.parametrize(("text", "op", "day"), dates.BOUND_EXAMPLES)
def test_a_date_field_compared_with_a_dated_day(text: str, op: str, day: dt.date) -> None:
    said = re.sub(r"^(?:before|after)\s+|(?:之前|之后|以前|前)$", "", text)
    assert dates.date_bound(said, op) == day
    zh = bool(re.search(r"[\u4e00-\u9fff]", text))
    question = f"合同{text}到期的客户" if zh else f"accounts whose contract ends {text}"
    spec = parse(question).spec
    assert spec is not None, question
    (flt,) = spec.where.filters()
    assert (flt.field, flt.op, flt.value) == ("contract_end", op, day.isoformat()), question


_OPS = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "=": "eq"}


@pytest.mark.parametrize(("phrase", "symbol"), compare.EXAMPLES)
def test_every_reader_reads_the_comparator_corpus_alike(phrase: str, symbol: str) -> None:
    assert compare.read_comparator(phrase) == symbol
    questions = []
    if not re.search(r"[\u4e00-\u9fff]", phrase):
        questions.append(f"accounts with ARR {phrase} 50000")
    if not re.search(r"[a-z]", phrase):
        questions.append(f"年合同额{phrase}50000的客户")
    for question in questions:
        assert _filters(question) == [("arr", _OPS[symbol], 50000)], question


@pytest.mark.parametrize(("phrase", "symbol"), compare.EXAMPLES)
def test_the_tagger_reads_the_comparator_corpus_alike(phrase: str, symbol: str) -> None:
    for seen in (phrase, normalise(f"{phrase} 5")):
        assert [t.value for t in tag(seen, ("CMP",))] == [_OPS[symbol]], seen


@pytest.mark.parametrize("spellings", negation.EXAMPLES)
def test_every_spelling_of_a_negation_reads_alike(spellings: tuple[str, ...]) -> None:
    # the question parser reads through textnorm (write_negations) and the tagger (NEGATION)
    specs = {q: parse(q).spec for q in spellings}
    assert all(spec is not None for spec in specs.values()), specs
    assert len({spec.model_dump_json() for spec in specs.values()}) == 1, specs


@pytest.mark.parametrize("spellings", negation.EXCLUSION_EXAMPLES)
def test_every_spelling_of_leaving_a_value_out_reads_alike(spellings: tuple[str, ...]) -> None:
    specs = {q: parse(q).spec for q in spellings}
    assert all(spec is not None for spec in specs.values()), specs
    assert len({spec.model_dump_json() for spec in specs.values()}) == 1, specs
    (flt,) = next(iter(specs.values())).where.filters()
    assert flt.op in ("ne", "not_in")
    assert all(parse(q).unparsed == "" for q in spellings), spellings


@pytest.mark.parametrize(("text", "group"), places.EXAMPLES)
def test_every_city_group_reads_as_its_cities_and_provinces(text: str, group: str) -> None:
    want = places.CITY_GROUPS[group]
    spec = parse(text).spec
    assert spec is not None and parse(text).unparsed == "", text
    cities = [f for f in spec.where.filters() if f.field == "city"]
    assert [sorted(vocab.key("city", v) for v in f.value) for f in cities] == [
        sorted(want.cities)
    ], text
    # a book recording provinces: an account is in the group by its city or its province
    held = ParseContext(values={"province": ["江苏", "Zhejiang"], "city": ["Shanghai"]})
    where = parse(text, context=held).spec.where
    either = [c for c in where.all if isinstance(c, Condition) and c.any]
    if want.provinces:
        (cond,) = either
        assert [f.field for f in cond.any] == ["city", "province"], text
        assert sorted(vocab.key("province", v) for v in cond.any[1].value) == sorted(want.provinces)
    else:
        assert not either and "province" not in {f.field for f in where.filters()}, text


_USERS = ParseContext(
    users=[
        UserRef("alice", "Alice Chen", "alice@example.com"),
        UserRef("zhangwei", "张伟"),
        UserRef("bob", "Bob", role="csm"),
        UserRef("rocco", "Rocco", role="manager"),
    ]
)


@pytest.mark.parametrize(("text", "want"), people.OWNER_EXAMPLES)
def test_every_way_to_name_a_user_s_accounts_reads_as_theirs(text: str, want: str) -> None:
    p = parse(text, context=_USERS)
    assert p.matched and p.unparsed == "", text
    field, op, handles = re.fullmatch(r"(\w+)(!=|=)([\w|]+)", want).groups()
    if field in ("owner", "team") and op == "=" and "|" not in handles:
        assert getattr(p.spec, field) == handles and not p.spec.where.filters(), text
    else:
        (got,) = p.spec.where.filters()
        value = got.value if isinstance(got.value, list) else [got.value]
        assert (got.field, got.op in ("ne", "not_in"), sorted(value)) == (
            field,
            op == "!=",
            sorted(handles.split("|")),
        ), text


def test_sloppy_negations_keep_their_not() -> None:
    for typed in ("havent", "haven't", "hvnt", "dont", "didnt", "isnt", "wont", "cant"):
        assert " not" in negation.write_negations(f"accounts that {typed} x"), typed


@pytest.mark.parametrize(
    "period", [p for p in PERIODS if not p.startswith("next") and p not in dates.FUTURE_PERIODS]
)
def test_a_period_as_an_answer_writes_it_reads_back_as_that_period(period: str) -> None:
    """The labels answers use ('去年下半年', 'last Q4', 'October') are read as the same days."""
    for label in dates.PERIOD_LABELS[period]:
        kw = dates.read_window(label)
        assert kw is not None, label
        assert dates.window_bounds(kw, AS_OF) == period_bounds(period, AS_OF), label


@pytest.mark.parametrize(("word", "field"), fields.EXAMPLES)
def test_every_reader_reads_the_field_word_corpus_alike(word: str, field: str) -> None:
    assert map_headers([word], "accounts").fields == {word: field}  # an accounts file's header
    zh = bool(re.search(r"[\u4e00-\u9fff]", word))
    question = f"{word}为空的客户" if zh else f"accounts without a {word}"  # a question
    assert (field, "empty") in [(f, op) for f, op, _ in _filters(question)], question
    assert [t.value for t in tag(word.lower(), ("FIELD",))] == [field]  # the tagger


@pytest.mark.parametrize("role", people.ROLES)
def test_a_role_s_label_is_the_one_every_door_shows_and_reads_back(role: str) -> None:
    en, zh = people.ROLE_LABELS[role]
    assert vocab.shown("role", role, "zh") == zh  # a profile card, a persona
    assert people.read_role(zh) == role and people.read_role(en) == role  # read back
    assert _filters(f"有{zh}的客户") == [("contact_role", "eq", role)]
