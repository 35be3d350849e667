"""Classes, tags and missing fields: a tag ("churn risk", "非VIP"), an NPS class (detractors,
推荐者), a health band (red, 健康度为红色), an RFM segment (champions); a field left empty ("accounts
with no industry", "没填城市"); open alerts ("有未处理预警的客户", "no unresolved alerts").

Example notation (the spec's conditions of these topics, space-separated, any order):
"tag=churn_risk" a tag (for high_value / churn_warning: the tag or the tier / status a rule sets);
"tag!=vip" not that tag; "health_band=red|yellow" one of; "nps_class!=detractor" anything but (or
no answer); "industry:empty" a field left empty ("tag:empty": no tag at all); "open_alerts>=1" /
"open_alerts=0" alerts still open or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers import lexicon as lx
from handlers.understand.table import Env, Item, Row, Show
from handlers.understand.tags import Tag
from store import vocab
from store.fields import EVENT_MEASURES
from store.lang.classes import TAG_ALSO_FIELD, tag_key
from store.spec import Condition, Filter

TOPIC = "classes"
MISSING = "missing"
ALERTS = "open alerts"

# fields an account holds one value of: two values asked of one are either ("red or yellow")
ONE_VALUE = frozenset({"health_band", "nps_class", "rfm_segment"})

# the class kinds: kind -> (the field, the field words that may stand beside it, a column to show)
_CLASS = {
    "HEALTH": ("health_band", {"health_band", "health_score"}, "health_score"),
    "NPSCLASS": ("nps_class", {"nps_class", "nps_latest"}, "nps_latest"),
    "RFM": ("rfm_segment", {"rfm_segment", "rfm_score"}, None),
}
_NEG = ("NEG", "EXCEPT")


def book_tables(ctx: Any) -> dict[str, dict[str, Any]]:
    """TAG phrases of this book: its tags as stored and spelt with spaces or hyphens, and by the
    label a Chinese reply shows them with (vip -> 重要客户); the value is the tag's one spelling
    (store.lang.classes.tag_key: the compiler reads a tag in any spelling)."""
    tags: dict[str, Any] = {}
    for tg in ctx.tags:
        key = tag_key(tg)
        spelt = (tg.lower(), key, key.replace("_", " "), key.replace("_", "-"))
        for n in (*spelt, *vocab.SHOWN["tag"].get(key, ())):
            tags.setdefault(n.lower(), key)
    return {"TAG": tags}


def _tag_filter(tag: str, negate: bool) -> Filter | Condition:
    """A tag; high_value / churn_warning may also be the tier / status a rule sets, so either is
    asked for, and "not X" negates both (an empty tier still counts as not X)."""
    also = TAG_ALSO_FIELD.get(tag.replace("-", "_").replace(" ", "_"))
    if also is None:
        return Filter(field="tag", op="ne" if negate else "eq", value=tag)
    if not negate:
        return Condition(
            any=[Filter(field="tag", op="eq", value=tag), Filter(field=also, op="eq", value=tag)]
        )
    return Condition(
        any=[
            Filter(field="tag", op="eq", value=tag),
            Condition(
                all=[Filter(field=also, op="not_empty"), Filter(field=also, op="eq", value=tag)]
            ),
        ],
        negate=True,
    )


def tagged(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A tag, or not: "churn-risk accounts", "not tagged vip", "非VIP客户", "打了高价值标签的"."""
    if any(t.kind == "FIELD" and t.value != "tag" for t in tags):
        return None
    negate = any(t.kind in _NEG for t in tags)
    return [_tag_filter(v, negate) for v in dict.fromkeys(t.value for t in tags if t.kind == "TAG")]


def untagged(tags: Sequence[Tag], env: Env) -> list[Item]:
    """No tag at all: "untagged accounts", "没打标签的客户"."""
    return [Filter(field="tag", op="empty")]


def class_of(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A health band, an NPS class or an RFM segment, one of several, or anything but."""
    kind = next(t.kind for t in tags if t.kind in _CLASS)
    field, words, show = _CLASS[kind]
    if any(t.kind == "FIELD" and t.value not in words for t in tags):
        return None
    values = list(dict.fromkeys(t.value for t in tags if t.kind == kind))
    negate = any(t.kind in _NEG for t in tags)
    if len(values) == 1:
        flt = Filter(field=field, op="ne" if negate else "eq", value=values[0])
    else:
        flt = Filter(field=field, op="not_in" if negate else "in", value=values)
    return [flt, *([Show(show)] if show else [])]


# fields whose absence is no empty value: a band or class (computed), a count or an event measure
_NOT_MISSING = (
    (lx.GROUPABLE - {*lx.VALUE_FIELDS, "owner", "csm", "parent", "tag"})
    | set(EVENT_MEASURES)
    | {"logins", "tickets", "purchase_count", "purchase_amount", "open_alerts"}
)


def missing(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """A field left empty: "accounts with no industry", "phone is missing", "没填城市的客户". A
    book value that is an English stop word ("A" of a grade) stands as the article it is there
    ("without a CSM")."""
    if any(t.kind == "VALUE" and t.text.strip() not in lx.STOPWORDS_EN for t in tags):
        return None
    field = next(t.value for t in tags if t.kind == "FIELD")
    if field in _NOT_MISSING:
        return None
    return [Filter(field=field, op="empty")]


def _compared(tags: Sequence[Tag], env: Env) -> bool:
    """A number or a comparison right after: "open alerts > 2" is a comparison, read later."""
    after = env.text[tags[-1].end :].lstrip()
    return bool(after) and (after[0] in "<>=!" or after[0].isdigit())


def alerts(tags: Sequence[Tag], env: Env) -> list[Item] | None:
    """Alerts still open, or none: "accounts with an open alert", "没有待处理提醒的客户"."""
    if next(t.value for t in tags if t.kind == "FIELD") != "open_alerts" or _compared(tags, env):
        return None
    none = any(t.kind == "NEG" for t in tags)
    flt = (
        Filter(field="open_alerts", op="eq", value=0)
        if none
        else Filter(field="open_alerts", op="ge", value=1)
    )
    return [flt, Show("open_alerts")]


# ----------------------------------------------------------------------------- the rows

MACROS = {
    # a class set apart: "not", "without", "除了", "non-", "非"
    "APART": "(NEG | EXCEPT)",
}

ROWS: tuple[Row, ...] = (
    Row(
        "class: a tag",
        TOPIC,
        "HAVE? APART? HAVE? TAGCUE? TAG+ TAGCUE?",
        tagged,
        (
            ("show churn-risk accounts", "tag=churn_risk"),
            ("流失风险客户", "tag=churn_risk"),
            ("accounts at risk of churning", "tag=churn_risk"),
            ("vip accounts in shanghai", "tag=vip"),
            ("accounts tagged vip", "tag=vip"),
            ("标签为vip的客户", "tag=vip"),
            ("accounts that are not churn risk", "tag!=churn_risk"),
            ("非VIP客户", "tag!=vip"),
            ("non-vip accounts", "tag!=vip"),
            ("不是高价值的客户", "tag!=high_value"),
            ("没有流失风险的客户", "tag!=churn_risk"),
            ("churn risk accounts that are not high value", "tag=churn_risk tag!=high_value"),
            ("贬损者且流失风险的客户", "tag=churn_risk nps_class=detractor"),
            ("高风险且高价值的客户", "tag=churn_risk tag=high_value"),
            ("accounts where tag = churn_risk", "tag=churn_risk"),
        ),
        not_examples=("accounts by tag", "按标签统计客户数", "非常重要的客户"),
    ),
    Row(
        "class: a tag, the word tag beside",
        TOPIC,
        "HAVE? APART? HAVE? (TAGCUE | FIELD)? TAG+ (TAGCUE | FIELD)?",
        tagged,
        (
            ("打了高价值标签的客户", "tag=high_value"),
            ("accounts with the vip tag", "tag=vip"),
            ("不带vip标签的客户", "tag!=vip"),
            ("有流失风险标签的客户", "tag=churn_risk"),
            ("accounts without the high value tag", "tag!=high_value"),
        ),
    ),
    Row(
        "class: no tag at all",
        TOPIC,
        "UNTAGGED",
        untagged,
        (
            ("untagged accounts", "tag:empty"),
            ("没打标签的客户", "tag:empty"),
            ("unlabelled customers in shanghai", "tag:empty"),
            ("未打标签的客户有几个", "tag:empty"),
        ),
    ),
    Row(
        "class: a health band, an NPS class, an RFM segment",
        TOPIC,
        "HAVE? APART? HAVE? NEG? (HEALTH+ | NPSCLASS+ | RFM+)",
        class_of,
        (
            ("detractors", "nps_class=detractor"),
            ("贬损者有哪些", "nps_class=detractor"),
            ("promoters in shanghai", "nps_class=promoter"),
            ("accounts that aren't detractors", "nps_class!=detractor"),
            ("不是推荐者的客户", "nps_class!=promoter"),
            ("detractors or passives", "nps_class=detractor|passive"),
            ("red or yellow accounts", "health_band=red|yellow"),
            ("accounts in poor health", "health_band=red"),
            ("not red accounts", "health_band!=red"),
            ("绿灯客户", "health_band=green"),
            ("champions", "rfm_segment=Champions"),
            ("at-risk champions", "tag=churn_risk rfm_segment=Champions"),
            ("忠诚客户有哪些", "rfm_segment=Loyal Customers"),
            ("can't lose them accounts", "rfm_segment=Can't Lose Them"),
            ("即将沉睡的客户", "rfm_segment=About To Sleep"),
        ),
        not_examples=("健康度低于50的客户", "accounts by health band", "按NPS分类统计"),
    ),
    Row(
        "class: a health band, an NPS class, an RFM segment, its field beside",
        TOPIC,
        "HAVE? APART? FIELD? HAVE? NEG? (HEALTH+ | NPSCLASS+ | RFM+) FIELD?",
        class_of,
        (
            ("accounts with nps class detractor", "nps_class=detractor"),
            ("red health accounts", "health_band=red"),
            ("健康度为红色的客户", "health_band=red"),
            ("健康度不是红色的客户", "health_band!=red"),
            ("红色或黄色健康度的客户", "health_band=red|yellow"),
            ("health band green", "health_band=green"),
            ("accounts whose health is not green", "health_band!=green"),
            ("NPS是贬损者的客户", "nps_class=detractor"),
            ("champions segment accounts", "rfm_segment=Champions"),
            ("RFM分群为冠军客户的有哪些", "rfm_segment=Champions"),
        ),
    ),
    Row(
        "missing: a field left empty, the absence before it",
        MISSING,
        "HAVE? (NEG | ABSENT) HAVE? VALUE? FIELD SET?",
        missing,
        (
            ("accounts with no industry", "industry:empty"),
            ("没填城市的客户", "city:empty"),
            ("missing phone", "contact_phone:empty"),
            ("accounts that don't have an owner", "owner:empty"),
            ("缺少行业信息的客户", "industry:empty"),
            ("没有竞争对手的客户", "competitor:empty"),
            ("accounts without tags", "tag:empty"),
            ("没有标签的客户", "tag:empty"),
            ("blank email accounts", "contact_email:empty"),
            ("accounts with no industry set", "industry:empty"),
        ),
        not_examples=(
            "accounts with no open alerts",
            "accounts with no logins in 30 days",
            "没有登录的客户",
            "accounts without a health band",
        ),
    ),
    Row(
        "missing: a field left empty, the absence after it",
        MISSING,
        "FIELD SET? HAVE? ABSENT",
        missing,
        (
            ("行业为空的客户", "industry:empty"),
            ("price sensitivity is missing", "price_sensitivity:empty"),
            ("联系电话为空", "contact_phone:empty"),
            ("accounts whose city is unknown", "city:empty"),
            ("competitor is empty", "competitor:empty"),
            ("城市未填写的客户", "city:empty"),
        ),
    ),
    Row(
        "open alerts: some, or none",
        ALERTS,
        "HAVE? NEG? HAVE FIELD | HAVE? NEG HAVE? FIELD",
        alerts,
        (
            ("accounts with open alerts", "open_alerts>=1"),
            ("有未处理预警的客户", "open_alerts>=1"),
            ("no unresolved alerts", "open_alerts=0"),
            ("没有待处理提醒的客户", "open_alerts=0"),
            ("which accounts have an open alert", "open_alerts>=1"),
            ("存在未处理预警的客户", "open_alerts>=1"),
        ),
        not_examples=("accounts with more than 2 open alerts", "accounts with open alerts > 2"),
    ),
)
