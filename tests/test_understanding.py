"""Questions that used to be answered wrong without saying so (issue 13), in both languages:
one key person with two traits, windows that bind inside their own clause, sloppy negations,
counts that are counts, calendar and absolute event windows, events about one feature, and words
the parser did not use. Each is checked on the spec and, through the router, on a small book whose
right answers are known by construction."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.messages import IncomingMessage, Reply
from handlers.parser import ParseContext, parse
from handlers.router import handle
from handlers.services import Services
from store import vocab
from store.identity import normalise_name
from store.models import Account, Contact, Event, NpsResponse
from store.query import Compiler
from store.spec import Condition, Filter, RelativeDate
from tests.conftest import AS_OF  # 2026-11-01

CTX = ParseContext(features=["api", "sso", "reports"])


def spec_of(text: str):  # noqa: ANN201
    p = parse(text, None, CTX)
    assert p.matched and p.spec is not None, (text, p.unparsed)
    return p.spec


def flat(text: str) -> list[tuple]:
    return [(f.field, f.op, f.value, f.window_days) for f in spec_of(text).where.filters()]


# ----------------------------------------------------------------------------- the spec


@pytest.mark.parametrize(
    "text",
    [
        "which accounts have a blocker as economic buyer",
        "accounts whose EB is a blocker",
        "哪些客户的决策人是反对者",
        "决策人持反对态度的客户",
    ],
)
def test_role_and_attitude_describe_one_key_person(text: str) -> None:
    (cond,) = spec_of(text).where.all
    assert isinstance(cond, Condition) and cond.on == "contact" and not cond.negate
    assert {(f.field, f.value) for f in cond.all} == {
        ("contact_role", "EB"),
        ("contact_attitude", "blocker"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "accounts with more than 3 purchases in the last 30 days and no login for 15 days",
        "no login for 15 days and more than 3 purchases in the last 30 days",
        "近30天购买超过3次且15天没登录的客户",
        "15天没有登录并且近30天购买超过3次的客户",
    ],
)
def test_each_window_binds_inside_its_own_clause(text: str) -> None:
    assert sorted(flat(text)) == [
        ("days_since_login", "ge", 15, None),
        ("purchase_count", "gt", 3, 30),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "accounts that havent logged in for 20 days",
        "customers who hasnt logged in in 20 days",
        "accounts that didnt log in for 20 days",
        "20天没登陆的客户",
    ],
)
def test_sloppy_negation_keeps_the_not(text: str) -> None:
    assert flat(text) == [("days_since_login", "ge", 20, None)]


@pytest.mark.parametrize(
    "text", ["accounts with more than 40 logins", "登录超过40次的客户", "超过40次登录的客户"]
)
def test_more_than_40_logins_is_a_count_of_logins(text: str) -> None:
    assert flat(text) == [("logins", "gt", 40, 30)]


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("accounts that purchased since October 1", {"since": RelativeDate(month_day="10-01")}),
        ("10月1日以来有购买的客户", {"since": RelativeDate(month_day="10-01")}),
        (
            "accounts with purchases between Dec 1 and Jan 31",
            {"since": RelativeDate(month_day="12-01"), "until": RelativeDate(month_day="01-31")},
        ),
        (
            "12月1日到1月31日之间有购买的客户",
            {"since": RelativeDate(month_day="12-01"), "until": RelativeDate(month_day="01-31")},
        ),
        ("2026年3月5日以来有购买的客户", {"since": dt.date(2026, 3, 5)}),
        ("上个月有购买的客户", {"period": "last_month"}),
        ("accounts that made a purchase last month", {"period": "last_month"}),
        ("本季度有购买的客户", {"period": "this_quarter"}),
        ("accounts with purchases this quarter", {"period": "this_quarter"}),
    ],
)
def test_event_windows_calendar_and_absolute(text: str, window: dict) -> None:
    (f,) = spec_of(text).where.filters()
    assert (f.field, f.op, f.value) == ("purchase_count", "ge", 1)
    got = {k: getattr(f, k) for k in ("since", "until", "period") if getattr(f, k) is not None}
    assert got == window and f.window_days is None


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("accounts that used the API in the last 30 days", "ge", 1),
        ("近30天用过API的客户", "ge", 1),
        ("accounts that have not used the API in the last 30 days", "eq", 0),
        ("近30天没有使用过api的客户", "eq", 0),
    ],
)
def test_events_about_one_feature(text: str, op: str, value: int) -> None:
    (f,) = spec_of(text).where.filters()
    assert (f.field, f.op, f.value, f.feature, f.window_days) == (
        "feature_uses",
        op,
        value,
        "api",
        30,
    )


def test_a_trend_baseline_is_not_a_window() -> None:
    (f,) = spec_of("登录次数比上月下降超过一半的客户").where.filters()
    assert f.field == "login_trend"


# ----------------------------------------------------------------------------- answers


def _at(days_ago: int) -> dt.datetime:
    return dt.datetime.combine(AS_OF - dt.timedelta(days=days_ago), dt.time(10))


@pytest.fixture
def book(services: Services) -> Services:
    """Five accounts whose right answers are known by construction (as-of 2026-11-01)."""
    with services.session_factory.begin() as s:
        accs = {}
        for name in ("Alpha", "Bravo", "Charlie", "Delta", "Echo"):
            a = Account(name=name, name_norm=normalise_name(name), arr=10_000)
            s.add(a)
            accs[name] = a
        s.flush()
        people = [
            ("Alpha", "EB", "blocker", "CFO"),  # one person: EB and blocker
            ("Bravo", "EB", "supporter", "CEO"),  # an EB and a blocker, two people
            ("Bravo", "TB", "blocker", "CTO"),
            ("Charlie", "EB", "blocker", "财务总监"),
            ("Charlie", "TB", "neutral", "IT经理"),
            ("Delta", "TB", "supporter", "CTO"),
        ]
        for acc, role, att, title in people:
            s.add(
                Contact(
                    account_id=accs[acc].id, name=f"{acc}-{role}", role=role, attitude=att,
                    title=title,
                )
            )  # fmt: skip
        events = [
            ("Alpha", "purchase", None, 5),  # this window, this quarter (Oct 27)
            ("Alpha", "feature_use", "api", 3),
            ("Bravo", "purchase", None, 40),  # Sep 22: last month? no — September
            ("Bravo", "feature_use", "sso", 2),
            ("Charlie", "purchase", None, 20),  # Oct 12: last month, since Oct 1
            ("Charlie", "feature_use", "api", 45),  # outside the last 30 days
            ("Delta", "purchase", None, 300),  # Jan 5 2026: between Dec 1 and Jan 31
            ("Echo", "login", None, 1),
        ]
        for acc, etype, feature, ago in events:
            s.add(Event(account_id=accs[acc].id, ts=_at(ago), type=etype, feature=feature,
                        event_key=f"{acc}-{etype}-{ago}"))  # fmt: skip
        comments = [
            ("Alpha", "Pricing is a bit high for what we use."),
            ("Bravo", "价格偏贵，续约前想要折扣。"),
            ("Charlie", "Great product, the reports save us hours."),
        ]
        for acc, comment in comments:
            s.add(
                NpsResponse(
                    account_id=accs[acc].id, date=AS_OF - dt.timedelta(days=9), score=6,
                    comment=comment, response_key=f"{acc}-nps",
                )
            )  # fmt: skip
        for acc in ("Alpha", "Bravo", "Charlie", "Delta"):
            s.add(Event(account_id=accs[acc].id, ts=_at(40), type="login", event_key=f"{acc}-l40"))
    return services


def ask(svc: Services, text: str) -> Reply:
    (reply,) = handle(svc, IncomingMessage(user="local", text=text, as_of=AS_OF))
    return reply


def names(reply: Reply) -> set[str]:
    return {a["name"] for a in reply.data["accounts"]}


def test_blocker_as_economic_buyer_is_one_person(book: Services) -> None:
    assert names(ask(book, "which accounts have a blocker as economic buyer")) == {
        "Alpha",
        "Charlie",
    }
    zh = ask(book, "哪些客户的决策人是反对者")
    assert names(zh) == {"Alpha", "Charlie"} and "同一位关键人" in zh.text
    # a CFO is a Chief Financial Officer / 首席财务官; Charlie's 财务总监 is a finance director
    assert names(ask(book, "accounts whose CFO is a blocker")) == {"Alpha"}
    assert names(ask(book, "财务总监是反对者的客户")) == {"Charlie"}
    assert names(ask(book, "accounts with no TB")) == {"Alpha", "Echo"}
    assert names(ask(book, "没有技术评估人的客户")) == {"Alpha", "Echo"}


def test_event_windows_answer_over_the_right_days(book: Services) -> None:
    assert names(ask(book, "accounts that purchased since October 1")) == {"Alpha", "Charlie"}
    assert names(ask(book, "上个月有购买的客户")) == {"Charlie", "Alpha"}  # October
    assert names(ask(book, "本季度有购买的客户")) == {"Alpha", "Charlie"}  # Oct–Dec
    between = ask(book, "accounts with purchases between Dec 1 and Jan 31")
    assert names(between) == {"Delta"}
    assert "between Dec 1 and Jan 31" in between.text
    assert names(ask(book, "no purchases last month")) == {"Bravo", "Delta", "Echo"}


def test_feature_events_answer(book: Services) -> None:
    assert names(ask(book, "accounts that used the API in the last 30 days")) == {"Alpha"}
    assert names(ask(book, "近30天用过API的客户")) == {"Alpha"}
    assert names(ask(book, "which accounts never used SSO")) == {
        "Alpha",
        "Charlie",
        "Delta",
        "Echo",
    }


def test_windows_in_two_clauses_answer(book: Services) -> None:
    en = ask(book, "accounts with at least 1 purchase in the last 30 days and no login for 15 days")
    assert names(en) == {"Alpha", "Charlie"}
    zh = ask(book, "近30天购买至少1次且15天没登录的客户")
    assert names(zh) == {"Alpha", "Charlie"}


def test_unused_words_are_said(book: Services) -> None:
    f = Filter(field="arr", op="gt", value=1)
    assert f.field == "arr"  # the spec is unchanged by what is said about it
    en = ask(book, "accounts with ARR over 5000 that are purple")
    assert "but not 'purple'" in en.text
    zh = ask(book, "年合同额超过5000的紫色客户")
    assert "但没有理解「紫色」" in zh.text


def test_text_search_in_nps_comments(book: Services) -> None:
    assert names(ask(book, "accounts whose NPS comments mention pricing")) == {"Alpha"}
    assert names(ask(book, "NPS评论里提到价格的客户")) == {"Bravo"}
    assert ask(book, "反馈中提到折扣的客户有多少").data["value"] == 1
    assert names(ask(book, "customers who mentioned reports in their nps comments")) == {"Charlie"}


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("按健康度分布", "health_band"),
        ("breakdown by health score", "health_band"),
        ("how many accounts in each health band", "health_band"),
        ("NPS分布", "nps_class"),
        ("accounts by RFM segment", "rfm_segment"),
        ("按RFM分群统计客户数", "rfm_segment"),
        ("按层级统计客户", "tier"),
    ],
)
def test_breakdowns_by_band_segment_and_tier(text: str, group: str) -> None:
    assert spec_of(text).group_by == group


def test_a_ranking_by_a_score_is_not_a_breakdown() -> None:
    spec = spec_of("top 5 accounts by health score")
    assert spec.group_by is None and spec.sort[0].field == "health_score" and spec.limit == 5


@pytest.mark.parametrize(
    "text",
    [
        "total ARR of accounts renewing this month",
        "本月续约客户的年合同额总和",
        "未来90天到期的合同一共多少年合同额",
        "total ARR of contracts renewing in the next 90 days",
        "90天内到期的合同总共值多少钱",
        "how much money is up for renewal next month",
    ],
)
def test_a_total_over_the_answer_is_a_sum(text: str) -> None:
    spec = spec_of(text)
    agg = spec.aggregate
    assert agg is not None and (agg.func, agg.field) == ("sum", "arr")
    assert parse(text, None, CTX).unparsed == ""  # "合同" / "contracts" is what ends, not ignored
    if "90" in text:
        (f,) = spec.where.filters()
        assert f.field == "contract_end" and f.value[1].days == 90


@pytest.mark.parametrize(
    "text",
    [
        "average number of employees of US accounts",
        "美国客户的平均员工数",
        "美国客户平均有多少员工",
        "average ARR of US accounts",
    ],
)
def test_an_average_over_the_answer_keeps_its_filter(text: str) -> None:
    spec = spec_of(text)
    assert spec.aggregate is not None and spec.aggregate.func == "avg"
    (f,) = spec.where.filters()
    assert f.field == "country" and vocab.canonical("country", str(f.value)) == "us"


def test_us_the_asker_is_not_the_country() -> None:
    fields = [f.field for f in spec_of("show us accounts in Shanghai").where.filters()]
    assert fields == ["city"]  # lower-case "us" after "show" is the asker


def test_in_the_last_week_is_the_last_seven_days() -> None:
    (f,) = spec_of("who opened a ticket in the last week").where.filters()
    assert (f.field, f.window_days, f.period) == ("tickets", 7, None)


# ------------------------------------------------- event conditions over any window (issue 13)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "accounts that spent more than 10k since October 1",
            ("purchase_amount", "gt", 10000, {"since": RelativeDate(month_day="10-01")}, None),
        ),
        ("十月份用过API的客户有几个", ("feature_uses", "ge", 1, {"period": "m10"}, "api")),
        ("accounts with purchases totaling more than 20k in the last 6 months", ("purchase_amount", "gt", 20000, {"window_days": 180}, None)),
        ("年初以来消费超过5万的客户", ("purchase_amount", "gt", 50000, {"since": RelativeDate(period="this_year")}, None)),
        ("2025年下半年有购买的客户", ("purchase_count", "ge", 1, {"since": dt.date(2025, 7, 1), "until": dt.date(2025, 12, 31)}, None)),
        ("accounts that used the API in October", ("feature_uses", "ge", 1, {"period": "m10"}, "api")),
        ("最近两周用过报表功能的客户", ("feature_uses", "ge", 1, {"window_days": 14}, "reports")),
        ("最近60天使用报表功能超过3次的客户", ("feature_uses", "gt", 3, {"window_days": 60}, "reports")),
        ("本季度没用过单点登录的客户", ("feature_uses", "eq", 0, {"period": "this_quarter"}, "sso")),
        ("本月有登录的客户", ("logins", "ge", 1, {"period": "this_month"}, None)),
        ("从来没买过东西的客户", ("purchase_count", "eq", 0, {"until": RelativeDate()}, None)),
        ("accounts that never purchased", ("purchase_count", "eq", 0, {"until": RelativeDate()}, None)),
        ("今年以来没有购买记录的客户", ("purchase_count", "eq", 0, {"since": RelativeDate(period="this_year")}, None)),
    ],
)  # fmt: skip
def test_event_conditions_by_type_feature_and_window(text: str, want: tuple) -> None:
    (f,) = spec_of(text).where.filters()
    window = {
        k: getattr(f, k) for k in ("window_days", "period", "since", "until") if getattr(f, k)
    }
    assert (f.field, f.op, f.value, window, f.feature) == want


def test_event_conditions_answer_over_any_window(book: Services) -> None:
    assert names(ask(book, "从来没买过东西的客户")) == {"Echo"}  # Delta bought 300 days ago
    assert names(ask(book, "accounts that never purchased")) == {"Echo"}
    assert names(ask(book, "十月份用过API的客户")) == {"Alpha"}  # Charlie's was in September
    assert names(ask(book, "最近60天使用API功能至少1次的客户")) == {"Alpha", "Charlie"}
    assert names(ask(book, "上个月有登录的客户")) == {"Echo"}  # Oct 31; the others Sep 22
    assert names(ask(book, "本月有登录的客户")) == set()  # as-of is Nov 1: nobody yet


def test_a_range_across_new_year_said_in_december(book: Services) -> None:
    """ "between Dec 1 and Jan 31" asked on Dec 15 is last December to this January."""
    text = "accounts with purchases between Dec 1 and Jan 31"
    (reply,) = handle(book, IncomingMessage(user="local", text=text, as_of=dt.date(2026, 12, 15)))
    assert names(reply) == {"Delta"}  # Jan 5 2026


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("上个月购买金额最高的5个客户", {"period": "last_month"}),
        ("top 5 accounts by purchase amount last month", {"period": "last_month"}),
        ("本季度登录次数最多的客户", {"period": "this_quarter"}),
        ("accounts with the most tickets in the last 60 days", {"window_days": 60}),
    ],
)
def test_a_ranking_counts_over_the_window_said(text: str, window: dict) -> None:
    (s,) = parse(text, None, CTX).spec.sort
    assert {k: getattr(s, k) for k in ("window_days", "period") if getattr(s, k)} == window


def test_a_ranking_over_a_calendar_month_answers(book: Services) -> None:
    reply = ask(book, "top 2 accounts with the most purchases last month")
    assert names(reply) == {"Alpha", "Charlie"}  # October; Bravo's was in September
    assert "last month" in reply.text, reply.text  # the figure shown is last month's


def test_two_clauses_each_with_its_own_calendar_or_absolute_window() -> None:
    ctx = ParseContext(features=["reports", "api"])
    got = {
        f.field: (f.op, f.value, f.feature, f.period, f.since, f.window_days)
        for f in parse(
            "accounts that used reports since October 1 but have not purchased in the last 60 days",
            None,
            ctx,
        ).spec.where.filters()
    }
    assert got == {
        "feature_uses": ("ge", 1, "reports", None, RelativeDate(month_day="10-01"), None),
        "purchase_count": ("eq", 0, None, None, None, 60),
    }
    zh = {
        f.field: (f.op, f.value, f.period)
        for f in parse("上个月有购买但本月没有登录的客户", None, ctx).spec.where.filters()
    }
    assert zh == {"purchase_count": ("ge", 1, "last_month"), "logins": ("eq", 0, "this_month")}


def test_events_in_a_month_not_yet_come_are_last_years() -> None:
    """'十二月份有购买' asked in November counts last December (events never lie ahead)."""
    comp = Compiler(dt.date(2026, 11, 15), {})
    dec = comp.window_of(Filter(field="purchase_count", op="ge", value=1, period="m12"))
    assert dec == (dt.datetime(2025, 12, 1), dt.datetime(2026, 1, 1))
    octo = comp.window_of(Filter(field="purchase_count", op="ge", value=1, period="m10"))
    assert octo == (dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 1))
    q4 = comp.window_of(Filter(field="purchase_count", op="ge", value=1, period="q4"))
    assert q4 == (dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 16))  # up to as-of
