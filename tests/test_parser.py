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


BOOK = ParseContext(
    values={
        "industry": ["Biotech", "生物科技", "Insurance"],
        "plan": ["growth", "成长版", "starter"],
        "price_sensitivity": ["high", "low", "medium"],
    },
    users=[UserRef("liuyang", "刘洋", "liu.yang@x.io", "sales")],
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dormant accounts: no login for 90+ days", ("ge", 90)),
        ("inactive clients, 60+ days without a login", ("ge", 60)),
        ("不活跃客户（90天以上未登录）", ("ge", 90)),
        ("which accounts have never logged in?", ("empty", None)),
        ("customers who have not logged in even once", ("empty", None)),
        ("从来没有登录过的客户", ("empty", None)),
        ("一次都没登录过的客户", ("empty", None)),
        ("accounts that never logged in during the last 30 days", ("ge", 30)),
    ],
)
def test_the_number_said_wins_and_never_means_no_login_at_all(text: str, expected: tuple) -> None:
    (f,) = flt(text)
    assert (f.field, f.op, f.value) == ("days_since_login", *expected)


@pytest.mark.parametrize(
    ("text", "field", "op", "value", "window"),
    [
        ("who made a purchase in the last 2 weeks?", "purchase_count", "ge", 1, 14),
        ("accounts that placed an order in the past 30 days", "purchase_count", "ge", 1, 30),
        ("customers that opened a support ticket in the last 7 days", "tickets", "ge", 1, 7),
        ("clients who raised a case in the past 10 days", "tickets", "ge", 1, 10),
        ("最近两周有购买的客户", "purchase_count", "ge", 1, 14),
        ("近7天提交过工单的客户", "tickets", "ge", 1, 7),
        ("近30天下过单的客户", "purchase_count", "ge", 1, 30),
        ("accounts that haven't made a purchase in 90 days", "purchase_count", "eq", 0, 90),
        ("近90天没有提交过工单的客户", "tickets", "eq", 0, 90),
        (
            "accounts that bought more than 5000 in the last 30 days",
            "purchase_amount",
            "gt",
            5000,
            30,
        ),
        ("近30天购买超过1万的客户", "purchase_amount", "gt", 10000, 30),
        (
            "accounts that bought more than 3 times in the last 30 days",
            "purchase_count",
            "gt",
            3,
            30,
        ),
    ],
)
def test_events_in_a_window(text: str, field: str, op: str, value: int, window: int) -> None:
    (f,) = flt(text)
    assert (f.field, f.op, f.value, f.window_days) == (field, op, value, window)


@pytest.mark.parametrize(
    ("text", "field", "window", "limit", "desc"),
    [
        ("which 3 accounts logged in the most in the last 30 days?", "logins", 30, 3, True),
        ("who logged in the least in the last 7 days", "logins", 7, 10, False),
        ("最近90天购买金额前3的客户", "purchase_amount", 90, 3, True),
        ("近90天购买金额最多的客户", "purchase_amount", 90, 10, True),
        ("上海年合同额前5的客户", "arr", None, 5, True),
        ("ARR排名前三的客户", "arr", None, 3, True),
    ],
)
def test_rankings(text: str, field: str, window: int | None, limit: int, desc: bool) -> None:
    spec = parse(text, context=CTX).spec
    s = spec.sort[0]
    assert (s.field, s.window_days, spec.limit, s.desc) == (field, window, limit, desc)


def test_values_words_and_listings() -> None:
    assert [(f.field, f.op, f.value) for f in flt("customers paying less than ¥80,000 a year")] == [
        ("arr", "lt", 80000)
    ]
    got = parse("accounts with high price sensitivity", context=BOOK).spec.where.filters()
    assert [(f.field, f.value) for f in got] == [("price_sensitivity", "high")]
    got = parse("价格敏感度低的客户", context=BOOK).spec.where.filters()
    assert [(f.field, f.value) for f in got] == [("price_sensitivity", "low")]
    # "high" alone is not a price sensitivity; "high risk" is the churn-risk tag
    got = parse("high risk accounts", context=BOOK).spec.where.filters()
    assert [(f.field, f.value) for f in got] == [("tag", "churn_risk")]
    p = parse("List accounts and industries", context=BOOK)
    assert p.matched and p.spec.where.is_empty() and "industry" in p.spec.show
    assert parse("my team's accounts", context=BOOK).spec.where.is_empty()
    p = parse("which city has the most customers")
    assert (p.spec.group_by, p.spec.limit) == ("city", 1)
    assert parse("industry breakdown").spec.group_by == "industry"
