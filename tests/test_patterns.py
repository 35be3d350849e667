"""The pattern table's examples are its tests: every row's examples, in both languages, are parsed
and must fire their row and yield the spec items the example says (handlers/understand). The key
person conditions they produce are then compiled and run on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from handlers.parser import CustomRef, ParseContext, UserRef, book_tags, parse
from handlers.services import Services
from handlers.understand import clauses, patterns
from handlers.understand.table import Env
from handlers.understand.tags import tag
from handlers.understand.topics import dates as topic_dates
from handlers.understand.topics.events import event_notation
from store import vocab
from store.identity import normalise_name
from store.lang import people as lang_people
from store.lang import places
from store.models import Account, Contact
from store.spec import Condition, Filter
from tests.test_understanding import ask, names

_CJK = re.compile(r"[\u3400-\u9fff]")
EXAMPLES = [
    pytest.param(row, q, want, id=f"{row.name} | {q}")
    for row in patterns.ROWS
    for q, want in row.examples
]


def expected(notation: str) -> list[Condition]:
    """'+role=EB attitude=blocker' / '-role=TB' / '-' / '' -> the key-person conditions meant."""
    if not notation:
        return []
    negate = notation[0] == "-"
    filters = []
    for key, op, value in re.findall(r"(\w+)(!=|=)(.+?)(?=\s+\w+!?=|$)", notation[1:]):
        if key == "title":
            filters.append(
                Filter(
                    field="contact_title",
                    op="has_word",
                    value=list(lang_people.TITLE_WORDS.get(value, (value,))),
                )
            )
        else:
            filters.append(
                Filter(field=f"contact_{key}", op="ne" if op == "!=" else "eq", value=value)
            )
    return [Condition(all=filters, on="contact", negate=negate)]


def key_person_items(cond: Condition) -> list[Condition]:
    out = []
    for x in (*cond.all, *cond.any):
        if isinstance(x, Condition):
            out.extend([x] if x.on == "contact" else key_person_items(x))
    return out


def canonical(conds: list[Condition]) -> list[tuple]:
    return sorted(
        (c.negate, sorted((f.field, f.op, str(f.value)) for f in c.all)) for c in conds
    )  # fmt: skip


# The book the examples are read against: values a book could hold, so a row reading a book's own
# words (an industry, a city, a custom field's values) has them. Add what a new topic's examples need.
EXAMPLE_CONTEXT = ParseContext(
    values={
        "industry": ["Technology", "Healthcare", "Manufacturing", "Retail", "制造业", "医疗"],
        "city": ["Shanghai", "Beijing", "Hangzhou", "上海", "北京", "杭州"],
        "plan": ["Basic", "Pro", "Enterprise"],
        "price_sensitivity": ["high", "medium", "low"],
        "tier": ["A", "B", "C"],
        "country": ["United States", "China", "中国"],
    },
    tags=["churn-risk", "vip"],
    custom=[CustomRef("competitor", "Competitor", "竞争对手")],
    users=[
        UserRef("alice", "Alice Chen", "alice@example.com"),
        UserRef("zhangwei", "张伟"),
        UserRef("bob", "Bob", role="csm"),
        UserRef("rocco", "Rocco", role="manager"),
    ],
    custom_values={"competitor": ["Salesforce", "HubSpot", "纷享销客"]},
    event_types=["login", "purchase", "ticket", "meeting", "email"],
    features=["api", "sso", "reports"],
)


def hits_of(text: str, ctx: ParseContext = EXAMPLE_CONTEXT) -> set[str]:
    """The names of the rows that read a (normalised) question."""
    hits = patterns.find(text, text, None, Env(ctx=ctx, text=text), book_tags(ctx))
    return {h.row.name for h in hits}


def check_key_person(parsed, want: str) -> None:
    got = key_person_items(parsed.spec.where)
    assert canonical(got) == canonical(expected(want) if want else []), parsed.text


def value_filters(cond: Condition) -> list[tuple]:
    """The value filters of a spec (key people left out), each as (field, kept?, value keys)."""
    out = []
    for x in (*cond.all, *cond.any):
        if isinstance(x, Condition):
            out.extend([] if x.on == "contact" else value_filters(x))
        elif x.op in ("eq", "in", "ne", "not_in"):
            vals = x.value if isinstance(x.value, list) else [x.value]
            keys = sorted({vocab.key(x.field, str(v)) for v in vals})
            out.append((x.field, x.op in ("eq", "in"), keys))
    return sorted(out)


def check_values(parsed, want: str) -> None:
    """'city=Shanghai industry=Healthcare|Retail city!=上海 city~jiangzhehu city!~tier 1 cities'."""
    expect = []
    people = {"owner": parsed.spec.owner, "team": parsed.spec.team}
    for field, op, value in re.findall(r"(\w+)(!=|=|!~|~)(.+?)(?=\s+\w+(?:!=|=|!~|~)|$)", want):
        if op == "=" and field in people and "|" not in value:
            assert people.pop(field) == value, parsed.text
            continue
        if "~" in op:
            keys = sorted(set(places.CITY_GROUPS[value].cities))
        else:
            keys = sorted({vocab.key(field, v) for v in value.split("|")})
        expect.append((field, not op.startswith("!"), keys))
    assert value_filters(parsed.spec.where) == sorted(expect), parsed.text
    assert not any(people.values()), parsed.text


def check_dates(parsed, want: str) -> None:
    got = [f for f in parsed.spec.where.filters() if f.field in DATE_FIELDS]
    assert topic_dates.notation(got) == want, parsed.text


DATE_FIELDS = {"contract_start", "contract_end", "last_login_at", "last_purchase_at", "nps_date"}


_CLASS_FIELDS = {"tag", "health_band", "nps_class", "rfm_segment", "open_alerts"}


def class_notation(item: Filter | Condition) -> str | None:
    """A condition of the classes topics in their notation (topics/classes.py), else None."""
    if isinstance(item, Condition):  # a tag that may also be the tier / status a rule sets
        tags = [f for f in item.any if isinstance(f, Filter) and f.field == "tag"]
        if len(tags) == 1 and not item.all:
            return f"tag{'!=' if item.negate else '='}{tags[0].value}"
        return None
    if item.op in ("empty", "not_empty"):
        return f"{item.field}:{item.op}"
    if item.field not in _CLASS_FIELDS:
        return None
    value = "|".join(map(str, item.value)) if isinstance(item.value, list) else item.value
    sign = {"eq": "=", "in": "=", "ne": "!=", "not_in": "!=", "ge": ">="}[item.op]
    return f"{item.field}{sign}{value}"


def check_classes(parsed, want: str) -> None:
    got = [class_notation(x) for x in parsed.spec.where.all]
    wanted = re.findall(r"\S+?(?:!=|>=|=|:).*?(?=\s+\w+(?:!=|>=|=|:)|$)", want)
    assert sorted(n for n in got if n) == sorted(wanted), parsed.text


# topic -> how its example notation is checked against the parsed question (each topic module's
# docstring says its notation). A topic moved to the table adds its checker here.
def check_events(parsed, want: str) -> None:
    assert event_notation(parsed.spec.where) == want, parsed.text


CHECKERS = {
    "key person": check_key_person,
    "events": check_events,
    "question words": check_key_person,  # its examples are written in the key-person notation
    "values": check_values,
    "dates": check_dates,
    "classes": check_classes,
    "missing": check_classes,
    "open alerts": check_classes,
}


@pytest.mark.parametrize("row", patterns.ROWS, ids=lambda r: r.name)
def test_every_row_has_examples_in_both_languages(row: patterns.Row) -> None:
    langs = {"zh" if _CJK.search(q) else "en" for q, _ in row.examples}
    assert langs == {"en", "zh"}, row.name


@pytest.mark.parametrize(("row", "question", "want"), EXAMPLES)
def test_each_example_fires_its_row_and_yields_its_spec(
    row: patterns.Row, question: str, want: str
) -> None:
    parsed = parse(question, context=EXAMPLE_CONTEXT)
    assert parsed.matched and parsed.spec is not None, (question, parsed.unparsed)
    assert row.name in hits_of(parsed.text), question
    assert row.topic in CHECKERS, f"topic {row.topic!r} has no notation checker in CHECKERS"
    CHECKERS[row.topic](parsed, want)
    # every content word of an example was used (nothing reported as ignored)
    assert parsed.unparsed == "", (question, parsed.unparsed)


@pytest.mark.parametrize(
    ("row", "question"),
    [
        pytest.param(row, q, id=f"{row.name} | not: {q}")
        for row in patterns.ROWS
        for q in row.not_examples
    ],
)
def test_no_row_reads_its_counter_examples(row: patterns.Row, question: str) -> None:
    parsed = parse(question, context=EXAMPLE_CONTEXT)
    assert row.name not in hits_of(parsed.text), question


def test_a_negation_binds_inside_its_own_clause() -> None:
    got = key_person_items(parse("accounts with no EB and a CFO who is a supporter").spec.where)
    assert canonical(got) == canonical(
        expected("-role=EB") + expected("+title=CFO attitude=supporter")
    )
    zh = key_person_items(parse("没有技术负责人，但决策人是支持者的客户").spec.where)
    assert canonical(zh) == canonical(
        expected("-role=TB") + expected("+role=EB attitude=supporter")
    )


@pytest.mark.parametrize(
    "text", ["accounts without a contact phone", "没有联系人电话的客户", "key person email of acme"]
)
def test_a_key_person_noun_as_a_modifier_is_no_key_person(text: str) -> None:
    p = parse(text)
    assert not (p.spec and key_person_items(p.spec.where))


@pytest.mark.parametrize(
    "text", ["accounts with an EB but no TB", "有决策人但没有技术负责人的客户"]
)
def test_the_conjunction_between_two_conditions_is_used(text: str) -> None:
    p = parse(text)
    assert canonical(key_person_items(p.spec.where)) == canonical(
        expected("+role=EB") + expected("-role=TB")
    )
    assert p.unparsed == ""


def test_two_roles_are_two_people() -> None:
    got = key_person_items(parse("accounts with an EB and a blocker").spec.where)
    assert canonical(got) == canonical(expected("+role=EB") + expected("+attitude=blocker"))


def test_a_negation_elsewhere_does_not_reach_the_key_person() -> None:
    spec = parse("accounts not in Shanghai with an EB").spec
    assert canonical(key_person_items(spec.where)) == canonical(expected("+role=EB"))
    assert any(f.field == "city" and f.op == "ne" for f in spec.where.filters())


@pytest.mark.parametrize(
    "text", ["有支持工单的客户", "accounts opposed to renewal", "positive NPS"]
)
def test_an_attitude_word_without_a_person_is_no_key_person(text: str) -> None:
    p = parse(text)
    assert not (p.spec and key_person_items(p.spec.where))


def test_is_there_any_is_no_negation() -> None:
    assert [t.kind for t in tag("有没有决策人反对的")] == ["QANY", "ROLE", "ATTW"]


def test_clauses_cut_at_conjunctions() -> None:
    text = "accounts with an eb who is a blocker and no tb"
    cut = clauses.split(text, tag(text))
    assert [[t.kind for t in c.tags] for c in cut] == [["HAVE", "ROLE", "ATT"], ["NEG", "ROLE"]]


def test_a_pattern_naming_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown tag kind"):
        patterns._compile("ROLE WHOM")


# ----------------------------------------------------------------------------- on the database


@pytest.fixture
def people(services: Services) -> Services:
    """Five accounts whose key people make every key-person answer known by construction."""
    with services.session_factory.begin() as s:
        rows = {
            "Alpha": [("EB", "blocker", "CFO")],  # one person: EB and blocker
            "Bravo": [("EB", "supporter", "CEO"), ("TB", "blocker", "CTO, Asia")],
            "Charlie": [("EB", "blocker", "财务总监"), ("TB", "neutral", "IT经理")],
            "Delta": [("TB", "supporter", "IT Director")],
            "Echo": [],  # no key people on file
        }
        for name, persons in rows.items():
            a = Account(name=name, name_norm=normalise_name(name), arr=10_000)
            s.add(a)
            s.flush()
            for role, att, title in persons:
                s.add(
                    Contact(
                        account_id=a.id, name=f"{name}-{role}", role=role, attitude=att,
                        title=title,
                    )
                )  # fmt: skip
    return services


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("accounts that dont have an EB", {"Delta", "Echo"}),
        ("没有录入决策人的客户", {"Delta", "Echo"}),
        ("accounts with no key people on file", {"Echo"}),
        ("没有关键人的客户", {"Echo"}),
        ("which customers have a CFO among their contacts", {"Alpha"}),
        ("有财务总监联系人的客户", {"Charlie"}),
        ("accounts with a CTO", {"Bravo"}),  # not the IT Director: a whole word
        ("有首席技术官的客户", {"Bravo"}),
        ("where is the decision maker against us?", {"Alpha", "Charlie"}),
        ("决策人态度是反对的客户", {"Alpha", "Charlie"}),
        ("有没有决策人反对的客户", {"Alpha", "Charlie"}),
        ("accounts whose EB is not a blocker", {"Bravo"}),
        ("决策人不是支持者的客户", {"Alpha", "Charlie"}),
        ("accounts with no opposed decision maker", {"Bravo", "Delta", "Echo"}),
        ("accounts with no EB and a TB who is a supporter", {"Delta"}),
        ("accounts whose CTO is a blocker", {"Bravo"}),
    ],
)
def test_key_person_answers(people: Services, text: str, want: set[str]) -> None:
    reply = ask(people, text)
    assert names(reply) == want, (text, reply.text)


def test_a_value_left_out_needs_its_own_words() -> None:
    # 外 alone is no exclusion (上海外企: foreign companies in Shanghai), and 外企 is left unread
    p = parse("上海外企客户", context=EXAMPLE_CONTEXT)
    assert [(f.field, f.op) for f in p.spec.where.filters()] == [("city", "eq")]
    assert "外企" in p.unparsed
    # a negation binds to the value of its own clause only
    spec = parse("accounts not in Shanghai with an EB in retail", context=EXAMPLE_CONTEXT).spec
    got = {(f.field, f.op) for f in spec.where.filters()}
    assert got == {("city", "ne"), ("industry", "eq"), ("contact_role", "eq")}


@pytest.fixture
def places_book(services: Services) -> Services:
    """Accounts whose cities, provinces and industries make every value answer known."""
    with services.session_factory.begin() as s:
        rows = {
            "Hz": ("杭州", None, "Healthcare"),  # in 江浙沪 by its city
            "Js": (None, "江苏", "Retail"),  # in 江浙沪 by its province
            "Bj": ("Beijing", "北京", "Healthcare"),
            "Sz": ("深圳", "广东", "Manufacturing"),
            "Cd": ("Chengdu", "Sichuan", "Retail"),
            "Nowhere": (None, None, None),
        }
        for name, (city, province, industry) in rows.items():
            s.add(
                Account(
                    name=name, name_norm=normalise_name(name), arr=10_000, city=city,
                    province=province, industry=industry,
                )
            )  # fmt: skip
    return services


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("江浙沪的客户", {"Hz", "Js"}),
        ("accounts in jiangzhehu", {"Hz", "Js"}),
        ("不在北上广深的客户", {"Hz", "Js", "Cd", "Nowhere"}),
        ("accounts outside tier 1 cities", {"Hz", "Js", "Cd", "Nowhere"}),
        ("长三角以外的医疗客户", {"Bj"}),
        ("healthcare or retail accounts in Beijing", {"Bj"}),
        ("医疗或零售客户", {"Hz", "Js", "Bj", "Cd"}),
        ("accounts not in Beijing or Chengdu", {"Hz", "Js", "Sz", "Nowhere"}),
        ("除了北京、成都以外的客户", {"Hz", "Js", "Sz", "Nowhere"}),
    ],
)
def test_value_answers(places_book: Services, text: str, want: set[str]) -> None:
    reply = ask(places_book, text)
    assert names(reply) == want, (text, reply.text)


def test_a_book_value_that_is_an_article_is_no_value_before_a_missing_field() -> None:
    """A book whose grades are A/B/C: "without a CSM" is a missing CSM, not "grade is not A"."""
    ctx = ParseContext(custom=[CustomRef("grade", "Grade", "等级", "choice", choices=("A", "B"))])
    p = parse("accounts without a CSM", context=ctx)
    assert [(f.field, f.op) for f in p.spec.where.filters()] == [("csm", "empty")]
    assert p.unparsed == ""


def test_a_word_that_is_a_value_and_a_feature_is_the_value() -> None:
    """A book whose events' feature column holds its plan names: 'enterprise' alone is the plan."""
    ctx = ParseContext(values={"plan": ["Basic", "Enterprise"]}, features=["Enterprise", "api"])
    spec = parse("enterprise accounts with no EB", context=ctx).spec
    assert ("plan", "Enterprise") in {(f.field, f.value) for f in spec.where.filters()}


def test_any_title_after_a_cue_is_one_key_persons_title(people: Services) -> None:
    with people.session_factory.begin() as s:
        a = s.query(Account).filter_by(name="Delta").one()
        s.add(Contact(account_id=a.id, name="Ana", title="Senior Solutions Architect"))
        s.add(Contact(account_id=a.id, name="Bo", title="解决方案架构师"))
    for text in (
        "accounts with a contact titled Solutions Architect",
        "职位是解决方案架构师的联系人",
    ):
        assert names(ask(people, text)) == {"Delta"}, text
    reply = ask(people, "accounts with a contact titled solutions architect")
    assert "Solutions Architect" in reply.text
