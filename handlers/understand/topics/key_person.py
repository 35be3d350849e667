"""Key people: a role, a title, an attitude, on one person; presence and absence.

Example notation (the spec items a row adds): "+role=EB attitude=blocker" is one key person with
both; "-role=TB" is no key person with them; "-" is no key person at all; "attitude!=blocker" is a
key person whose attitude is anything but; "title=CFO" a title among the CFO spellings; "" nothing
(a question word only).
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.understand.table import Env, Item, Row
from handlers.understand.tags import Tag
from store.spec import Condition, Filter

TOPIC = "key person"

_TRAIT = {"ROLE": "contact_role", "TITLE": "contact_title", "ATT": "contact_attitude"}
_TRAIT["TITLED"] = "contact_title"
_TRAIT["ATTW"] = "contact_attitude"


def key_person(tags: Sequence[Tag], env: Env) -> list[Item]:
    """One key person described by every trait matched (role, title, attitude); a negation
    before the person says there is none such, a negation before an attitude says any other
    attitude. A trait said twice ("EB TB") is a second person."""
    people: list[list[Filter]] = [[]]
    negate = False
    pending_neg = False
    seen_person = False
    for t in tags:
        if t.kind == "ABSENT":  # "没有录入决策人", "the EB is unknown": no such person
            negate = True
            continue
        if t.kind == "NEG":
            if seen_person:
                pending_neg = True
            else:
                negate = True
            continue
        if t.kind == "KP":
            seen_person = True
            continue
        field = _TRAIT.get(t.kind)
        if field is None:
            continue
        seen_person = True
        if any(f.field == field for f in people[-1]):
            people.append([])
        if field == "contact_title":
            people[-1].append(Filter(field=field, op="has_word", value=list(t.value)))
        else:
            op = "ne" if pending_neg and field == "contact_attitude" else "eq"
            people[-1].append(Filter(field=field, op=op, value=t.value))
        pending_neg = False
    return [Condition(all=list(p), on="contact", negate=negate) for p in people]


# ----------------------------------------------------------------------------- the rows

MACROS = {
    # presence and its negation before a person: "have", "dont have", "have no", "没有录入"
    "PRE": "(HAVE? NEG HAVE? | HAVE | ABSENT)?",
    # who is meant: a role, a title or "key person", possibly two of them ("CFO contact")
    "WHO": "(ROLE | TITLE | KP) HAVE? (ROLE | TITLE | KP)?",
    "TITLEX": "(TITLE | TITLED)",
    "ATTX": "(ATT | ATTW)",
}

ROWS: tuple[Row, ...] = (
    Row(
        "key person: a role, title or attitude",
        TOPIC,
        "PRE (ROLE | TITLE | ATT) (HAVE? KP)? (HAVE | ABSENT)?",
        key_person,
        (
            ("accounts with a blocker", "+attitude=blocker"),
            ("有反对者的客户", "+attitude=blocker"),
            ("accounts without a TB", "-role=TB"),
            ("no EB", "-role=EB"),
            ("accounts that dont have an EB", "-role=EB"),
            ("which of those have no TB", "-role=TB"),
            ("没有录入决策人的客户有几个", "-role=EB"),
            ("缺少技术负责人的客户", "-role=TB"),
            ("accounts where we haven't identified the EB", "-role=EB"),
            ("which accounts have no decision maker identified", "-role=EB"),
            ("accounts whose economic buyer is unknown", "-role=EB"),
            ("决策人未知的客户", "-role=EB"),
            ("which customers have a CFO among their contacts", "+title=CFO"),
            ("有财务总监联系人的客户", "+title=finance director"),
            ("持反对态度的关键人", "+attitude=blocker"),
            ("accounts with no CTO on file", "-title=CTO"),
            ("没有首席技术官的客户", "-title=CTO"),
        ),
    ),
    Row(
        "key person: titled <any title>",
        TOPIC,
        "PRE KP? HAVE? TITLED KP? (HAVE | ABSENT)?",
        key_person,
        (
            ("accounts with a contact titled Solutions Architect", "+title=solutions architect"),
            ("customers whose key person has the job title VP Sales", "+title=vp sales"),
            ("accounts with no contact titled head of IT", "-title=head of it"),
            ("职位是解决方案架构师的联系人", "+title=解决方案架构师"),
            ("有职务为采购总监的关键人的客户", "+title=采购总监"),
            ("没有职位为采购总监的联系人的客户", "-title=采购总监"),
        ),
        not_examples=("职位空缺的客户", "accounts with a title change"),
    ),
    Row(
        "key person: anyone on file",
        TOPIC,
        "PRE KP (HAVE | ABSENT)?",
        key_person,
        (
            ("accounts with no key people on file", "-"),
            ("customers that don't have any contacts", "-"),
            ("没有关键人的客户", "-"),
            ("没有录入联系人的客户有哪些", "-"),
            ("有关键人的客户", "+"),
            ("哪些客户没有任何联系人", "-"),
            ("关键人都没录入的客户", "-"),
        ),
        # a contact in a time window is an interaction, not a person
        unless=("WINDOW", "DURATION", "PERIOD", "DATE", "CAL", "DAYS", "RANGE", "DEADLINE"),
        not_examples=(
            "accounts with no contact in the last 30 days",
            "no contact since march",
            "上个月没有联系的客户",
            "accounts without a contact phone",
            "没有联系人电话的客户",
            "accounts with email contact",
        ),
    ),
    Row(
        "key person: who is <attitude>",
        TOPIC,
        "PRE WHO NEG? ATTX",
        key_person,
        (
            ("accounts with an EB who is a blocker", "+role=EB attitude=blocker"),
            ("accounts whose EB is a blocker", "+role=EB attitude=blocker"),
            ("where is the decision maker against us?", "+role=EB attitude=blocker"),
            ("decision maker is a supporter", "+role=EB attitude=supporter"),
            ("accounts where a key person is neutral", "+attitude=neutral"),
            ("accounts whose CFO is a blocker", "+title=CFO attitude=blocker"),
            ("accounts whose EB is not a blocker", "+role=EB attitude!=blocker"),
            ("accounts whose technical buyer opposes us", "+role=TB attitude=blocker"),
            ("哪些客户的决策人是反对者", "+role=EB attitude=blocker"),
            ("决策人持反对态度的客户", "+role=EB attitude=blocker"),
            ("我的客户里有没有决策人反对的", "+role=EB attitude=blocker"),
            ("决策者是支持者的客户", "+role=EB attitude=supporter"),
            ("技术负责人是反对者的客户一共有几家", "+role=TB attitude=blocker"),
            ("财务总监是反对者的客户", "+title=finance director attitude=blocker"),
            ("决策人不是支持者的客户", "+role=EB attitude!=supporter"),
        ),
    ),
    Row(
        "key person: <attitude> as who",
        TOPIC,
        "PRE ATTX WHO",
        key_person,
        (
            ("which accounts have a blocker as economic buyer", "+role=EB attitude=blocker"),
            ("customers with a supportive contact", "+attitude=supporter"),
            ("accounts with no opposed decision maker", "-role=EB attitude=blocker"),
            ("有反对的决策人的客户", "+role=EB attitude=blocker"),
            ("没有支持者决策人的客户", "-role=EB attitude=supporter"),
        ),
    ),
    Row(
        "key person: attitude is <attitude>",
        TOPIC,
        "PRE WHO? CUE NEG? ATTX CUE? KP?",
        key_person,
        (
            ("accounts whose key contact attitude is negative", "+attitude=blocker"),
            ("decision maker attitude is against us", "+role=EB attitude=blocker"),
            ("关键人态度为反对的美国客户", "+attitude=blocker"),
            ("关键人态度是支持的客户", "+attitude=supporter"),
            ("决策人态度是反对的客户", "+role=EB attitude=blocker"),
            ("态度中立的关键人所在客户", "+attitude=neutral"),
            ("联系人态度为中立", "+attitude=neutral"),
            ("首席财务官持中立态度的客户", "+title=CFO attitude=neutral"),
            ("key people whose stance is neutral", "+attitude=neutral"),
        ),
    ),
    Row(
        "key person: <attitude> attitude",
        TOPIC,
        "PRE ATTW CUE WHO?",
        key_person,
        (
            ("accounts with a negative attitude decision maker", "+role=EB attitude=blocker"),
            ("反对态度的决策人", "+role=EB attitude=blocker"),
            ("中立立场的关键人", "+attitude=neutral"),
        ),
    ),
)
