"""The deterministic parser: pure units (no database)."""

from __future__ import annotations

import pytest

from handlers.parser import ParseContext, UserRef, parse, parse_condition
from handlers.textnorm import normalise
from store.spec import Filter

CTX = ParseContext(
    values={"industry": ["Fintech", "Retail"], "city": ["Shanghai", "北京"], "plan": ["Pro"]},
    tags=["churn_risk", "vip"],
    users=[UserRef("bob", "Bob Smith", "bob@x.com", "sales"), UserRef("zhao", "赵静", None, "csm")],
    accounts=["Acme Corp", "金桥智能制造"],
)


def flt(text: str) -> list[Filter]:
    p = parse(text, context=CTX)
    assert p.matched, text
    return p.spec.where.filters()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5万", "50000"),
        ("1.2万", "12000"),
        ("50k", "50000"),
        ("1.2M", "1200000"),
        ("¥5,000", "5000"),
        ("十五天", "15天"),
        ("一周", "7天"),
        ("两个月", "60天"),
        ("two weeks", "14天"),
        ("超过", ">"),
        ("不超过", "<="),
        ("at least", ">="),
        ("6 or below", "6 以下"),
    ],
)
def test_normalise_numbers_durations_comparators(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("not logged in for 15 days", "ge", 15),
        ("15天没登录", "ge", 15),
        ("no login in the last 15 days", "ge", 15),
        ("超过15天没登录", "gt", 15),
        ("more than 15 days without login", "gt", 15),
        ("超过一周没登录", "gt", 7),
        ("haven't logged in for two weeks", "ge", 14),
    ],
)
def test_inactivity(text: str, op: str, value: int) -> None:
    (f,) = flt(text)
    assert (f.field, f.op, f.value) == ("days_since_login", op, value)
    assert parse(text, context=CTX).spec.sort[0].field == "days_since_login"


@pytest.mark.parametrize("text", ["renew in the next 30 days", "未来30天内合同到期", "30天内到期"])
def test_renewal_window_is_next_n_days(text: str) -> None:
    (f,) = flt(text)
    assert f.field == "contract_end" and f.op == "between"
    assert [v.days for v in f.value] == [0, 30]
    assert parse(text).spec.sort[0].desc is False


def test_firmographics_map_across_languages() -> None:
    en = {(f.field, f.op, str(f.value).lower()) for f in flt("fintech accounts with ARR over 50k")}
    zh = {(f.field, f.op, str(f.value).lower()) for f in flt("金融科技行业年合同额超过5万")}
    assert en == zh == {("industry", "eq", "fintech"), ("arr", "gt", "50000")}


def test_condition_only_phrase_for_rules() -> None:
    cond = parse_condition("近30天购买金额大于5000且购买次数大于3次")
    got = {(f.field, f.op, f.value, f.window_days) for f in cond.filters()}
    assert got == {("purchase_amount", "gt", 5000, 30), ("purchase_count", "gt", 3, 30)}


def test_top_n_count_breakdown_aggregate() -> None:
    p = parse("ARR最高的5个客户")
    assert (p.spec.sort[0].field, p.spec.sort[0].desc, p.spec.limit) == ("arr", True, 5)
    assert parse("which account has the highest ARR").spec.limit == 1
    assert parse("上海有多少客户", context=CTX).spec.intent == "count"
    p = parse("how many accounts per industry")
    assert (p.spec.intent, p.spec.group_by) == ("breakdown", "industry")
    p = parse("total ARR by industry")
    assert (p.spec.group_by, p.spec.aggregate.func, p.spec.aggregate.field) == (
        "industry",
        "sum",
        "arr",
    )
    assert parse("平均年合同额").spec.aggregate.func == "avg"


def test_owners_mine_and_csm() -> None:
    assert parse("我的客户").spec.mine
    assert parse("accounts owned by bob", context=CTX).spec.owner == "bob"
    assert parse("Bob Smith's accounts", context=CTX).spec.owner == "bob"
    (f,) = flt("赵静的客户")
    assert (f.field, f.value) == ("csm", "zhao")


def test_tags_nps_health() -> None:
    assert [(f.field, f.value) for f in flt("流失风险客户")] == [("tag", "churn_risk")]
    assert [(f.field, f.value) for f in flt("show churn-risk accounts")] == [("tag", "churn_risk")]
    assert {f.value for f in flt("高价值客户")} == {"high_value"}
    assert [(f.field, f.value) for f in flt("detractors")] == [("nps_class", "detractor")]
    assert [(f.field, f.op, f.value) for f in flt("NPS below 7")] == [("nps_latest", "lt", 7)]
    assert [(f.field, f.value) for f in flt("red accounts")] == [("health_band", "red")]
    assert [(f.field, f.op, f.value) for f in flt("健康度低于50")] == [("health_score", "lt", 50)]
    (f,) = flt("more than 5 tickets in the last 7 days")
    assert (f.field, f.op, f.value, f.window_days) == ("tickets", "gt", 5, 7)


def test_named_account_is_a_profile() -> None:
    assert parse("tell me about Acme Corp", context=CTX).spec.account == "Acme Corp"
    assert parse("金桥智能制造的客户画像", context=CTX).spec.account == "金桥智能制造"
    assert parse("Acme怎么样", context=CTX).spec.account == "Acme Corp"


def test_not_understood_leaves_no_spec() -> None:
    p = parse("如何提升客户留存率？", context=CTX)
    assert not p.matched and p.spec is None
    assert not parse("what's the weather tomorrow", context=CTX).matched
