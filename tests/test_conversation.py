"""A conversation that remembers, through the router every platform uses: follow-ups refine the
previous answer over the whole result, a shared name gets a numbered choice, two accounts are
compared side by side, one fact gets a direct answer, an unknown name is said to be unknown —
in English and Chinese; the context lives in the database per user and platform and expires."""

from __future__ import annotations

import datetime as dt

import pytest

from handlers.messages import IncomingMessage, Reply
from handlers.parser import ParseContext, UserRef, parse
from handlers.router import handle
from handlers.services import Services
from store import customfields
from store.identity import normalise_name
from store.models import Account, Contact, User
from tests.conftest import AS_OF

# name, industry, city, arr, owner
BOOK = [
    ("Acme Games", "Gaming", "Singapore", 12_000, "bob"),
    ("Acme Energy Co", "Energy", "Shanghai", 90_000, "bob"),
    ("Acme Pay", "Fintech", "Beijing", 150_000, "carol"),
    ("Harbor Pay", "Fintech", "Shanghai", 300_000, "bob"),
    ("River Pay", "Fintech", "Shanghai", 50_000, "carol"),
    ("Delta Pay", "Fintech", "Beijing", 70_000, "bob"),
    ("天合金融科技有限公司", "金融科技", "上海", 200_000, "bob"),
    ("明道金融科技有限公司", "金融科技", "北京", 20_000, "carol"),
    ("Nimbus Retail", "Retail", "Shanghai", 40_000, "carol"),
    ("天合物流有限公司", "物流", "广州", 30_000, "carol"),
]


@pytest.fixture
def book(services: Services) -> Services:
    with services.session_factory.begin() as s:
        s.add_all(
            [
                User(handle="bob", name="Bob Li", role="sales"),
                User(handle="carol", name="Carol Wu", role="sales"),
            ]
        )
        accs = {}
        for name, ind, city, arr, owner in BOOK:
            a = Account(
                name=name,
                name_norm=normalise_name(name),
                industry=ind,
                city=city,
                arr=arr,
                owner=owner,
                external_id="X-" + str(len(accs) + 1),
            )
            s.add(a)
            accs[name] = a
        s.flush()
        s.add_all(
            [
                Contact(account_id=accs["Harbor Pay"].id, name="Wang Wei", title="CFO", role="EB",
                        attitude="blocker"),
                Contact(account_id=accs["Harbor Pay"].id, name="Li Na", title="CTO", role="TB",
                        attitude="supporter"),
                Contact(account_id=accs["天合金融科技有限公司"].id, name="张总", title="财务总监",
                        role="EB", attitude="supporter"),
            ]
        )  # fmt: skip
        rival = customfields.add_field(
            s, key="competitor", label_en="Competitor", label_zh="竞争对手", type="text"
        )
        customfields.set_value(s, accs["Harbor Pay"].id, rival, "Salesforce")
        customfields.set_value(s, accs["天合金融科技有限公司"].id, rival, "纷享销客")
    return services


def say(svc: Services, text: str, user: str = "local", platform: str = "terminal") -> Reply:
    replies = handle(svc, IncomingMessage(user=user, text=text, platform=platform, as_of=AS_OF))
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


def names(reply: Reply) -> list[str]:
    return [a["name"] for a in reply.data.get("accounts", [])]


# ----------------------------------------------------------------------------- follow-ups


def test_of_those_narrows_the_whole_previous_answer(book: Services) -> None:
    first = say(book, "fintech accounts")
    assert len(names(first)) == 6
    shanghai = say(book, "and which of those are in Shanghai?")
    assert set(names(shanghai)) == {"Harbor Pay", "River Pay", "天合金融科技有限公司"}
    only = say(book, "only the ones with ARR over 100k")
    assert set(names(only)) == {"Harbor Pay", "天合金融科技有限公司"}
    many = say(book, "how many of them")
    assert many.data["value"] == 2


def test_a_follow_up_says_the_words_it_did_not_use(book: Services) -> None:
    say(book, "fintech accounts")
    en = say(book, "which of those are in Shanghai and purple")
    assert len(names(en)) == 3 and "but not 'purple'" in en.text
    say(book, "金融科技的客户")
    zh = say(book, "其中在上海的紫色客户")
    assert len(names(zh)) == 3 and "但没有理解「紫色」" in zh.text


def test_zh_qizhong_narrows_and_regroups(book: Services) -> None:
    first = say(book, "金融科技的客户")
    assert len(names(first)) == 6
    shanghai = say(book, "其中哪些在上海")
    assert set(names(shanghai)) == {"Harbor Pay", "River Pay", "天合金融科技有限公司"}
    assert "上海" in shanghai.data["text"] and "金融科技" in shanghai.data["text"]
    these = say(book, "这些里年合同额超过10万的有几个")
    assert these.data["value"] == 2


def test_of_those_after_a_top_n_narrows_the_n_shown(book: Services) -> None:
    top = say(book, "top 3 accounts by ARR")
    assert names(top) == ["Harbor Pay", "天合金融科技有限公司", "Acme Pay"]
    no_tb = say(book, "which of those have no TB")  # not a new top 3 of the accounts with no TB
    assert set(names(no_tb)) == {"天合金融科技有限公司", "Acme Pay"}
    assert "top 3" in no_tb.text
    resorted = say(book, "sort them by ARR, lowest first")
    assert names(resorted) == ["Acme Pay", "天合金融科技有限公司"]
    assert say(book, "how many of them").data["value"] == 2
    say(book, "年合同额最高的3个客户")
    zh = say(book, "其中哪些没有技术负责人")
    assert set(names(zh)) == {"天合金融科技有限公司", "Acme Pay"} and "前3个" in zh.text
    beijing = say(book, "其中在北京的")
    assert names(beijing) == ["Acme Pay"]
    say(book, "top 3 accounts by ARR")
    assert set(names(say(book, "of those 3, which have no TB"))) == {
        "天合金融科技有限公司",
        "Acme Pay",
    }
    say(book, "年合同额最高的3个客户")
    assert names(say(book, "这3个里面哪些在北京")) == ["Acme Pay"]


@pytest.mark.parametrize(
    "text",
    [
        "among the top 3 accounts by ARR, which have no TB",
        "of the top 3 customers by ARR which have no technical buyer",
        "which of the top 3 accounts by ARR have no TB",
        "which of the 3 biggest accounts have no TB",
        "年合同额前3的客户里哪些没有技术负责人",
        "前3大客户中哪些没有TB",
    ],
)
def test_one_question_about_the_top_n_asks_it_of_the_n(book: Services, text: str) -> None:
    reply = say(book, text)
    assert set(names(reply)) == {"天合金融科技有限公司", "Acme Pay"}, reply.text
    assert "ignored" not in reply.data


def test_how_many_of_the_top_n_counts_among_them(book: Services) -> None:
    assert say(book, "前3大客户中有几个在上海").data["value"] == 2
    assert say(book, "of the top 3 accounts by ARR, how many are in Shanghai").data["value"] == 2
    assert say(book, "how many of the top 3 accounts by ARR are in Shanghai").data["value"] == 2


def test_sort_them_and_break_them_down_keep_the_filters(book: Services) -> None:
    say(book, "fintech accounts")
    by_arr = say(book, "sort them by ARR, lowest first")
    assert names(by_arr)[0] == "明道金融科技有限公司" and len(names(by_arr)) == 6
    zh = say(book, "金融科技的客户")
    assert len(names(zh)) == 6
    grouped = say(book, "再按城市分一下")
    rows = {r["key"]: r["count"] for r in grouped.data["rows"]}
    assert sum(rows.values()) == 6 and grouped.data["understood"]["group_by"] == "city"


def test_what_about_replaces_the_value_of_the_same_field(book: Services) -> None:
    say(book, "fintech accounts in Shanghai")
    beijing = say(book, "what about Beijing?")
    assert set(names(beijing)) == {"Acme Pay", "Delta Pay", "明道金融科技有限公司"}
    say(book, "上海的金融科技客户有多少")
    zh = say(book, "那北京呢")
    assert zh.data["value"] == 3


def test_context_is_per_platform_and_forgotten_after_silence(book: Services) -> None:
    clock = [dt.datetime(2026, 11, 1, 9, 0)]
    svc = Services(
        settings=book.settings,
        session_factory=book.session_factory,
        as_of=AS_OF,
        clock=lambda: clock[0],
    )
    say(svc, "fintech accounts", platform="slack")
    other = say(svc, "of those, which are in Shanghai?", platform="wecom")
    assert other.data["accounts"] == [] and "Ask a question first" in other.text
    clock[0] += dt.timedelta(minutes=20)
    assert len(names(say(svc, "of those, which are in Shanghai?", platform="slack"))) == 3
    clock[0] += dt.timedelta(minutes=31)
    late = say(svc, "其中哪些在北京", platform="slack")
    assert late.data["accounts"] == [] and "请先问一个问题" in late.text


# ----------------------------------------------------------------------------- choices


def test_a_shared_name_gets_a_numbered_choice_and_a_number_picks(book: Services) -> None:
    choice = say(book, "tell me about Acme")
    assert choice.data["choice"] is True
    offered = names(choice)
    assert set(offered) == {"Acme Games", "Acme Energy Co", "Acme Pay"}
    assert "1. " in choice.text and "which one" in choice.text
    picked = say(book, "2")
    assert picked.data["accounts"][0]["name"] == offered[1]
    zh = say(book, "Acme的画像")
    assert "你指的是哪个" in zh.text
    third = say(book, "第3个")
    assert third.data["accounts"][0]["name"] == names(zh)[2]


def test_a_partial_name_with_a_trailing_de_kehu_gets_a_choice(book: Services) -> None:
    zh = say(book, "天合的客户资料")  # 天合金融科技 and 天合物流: never one picked silently
    assert zh.data["choice"] is True and "你指的是哪个" in zh.text
    assert set(names(zh)) == {"天合金融科技有限公司", "天合物流有限公司"}
    picked = say(book, "2")
    assert picked.data["accounts"][0]["name"] == names(zh)[1]
    en = say(book, "show me the profile of acme's account")
    assert en.data["choice"] is True and len(names(en)) == 3


def test_choices_only_offer_accounts_the_asker_can_see(book: Services) -> None:
    choice = say(book, "tell me about Acme", user="carol")
    # carol owns one Acme only: no choice, that one
    assert names(choice) == ["Acme Pay"], choice.text


# ----------------------------------------------------------------------------- compare


def test_compare_two_accounts_side_by_side(book: Services) -> None:
    en = say(book, "compare Harbor Pay and River Pay")
    assert names(en) == ["Harbor Pay", "River Pay"]
    arr = next(r for r in en.data["rows"] if r["key"] == "ARR")
    assert arr["values"] == ["¥300,000", "¥50,000"]
    zh = say(book, "对比天合金融科技和River Pay")
    assert names(zh) == ["天合金融科技有限公司", "River Pay"]
    assert "对比" in zh.text


def test_compare_with_an_ambiguous_side_asks_which(book: Services) -> None:
    choice = say(book, "compare Acme and Harbor Pay")
    assert choice.data["choice"] is True
    pick = say(book, "3")
    assert names(pick) == [names(choice)[2], "Harbor Pay"]


# ----------------------------------------------------------------------------- direct answers


def test_direct_answers_about_one_account(book: Services) -> None:
    eb = say(book, "who is the decision maker at Harbor Pay?")
    assert eb.data["value"] == ["Wang Wei"] and "Wang Wei" in eb.text and "Li Na" not in eb.text
    assert eb.kind != "profile"
    zh = say(book, "天合金融科技的决策人是谁")
    assert zh.data["value"] == ["张总"] and "张总" in zh.text
    rival = say(book, "Harbor Pay的竞争对手是什么")
    assert rival.data["value"] == "Salesforce" and "Salesforce" in rival.text
    rival_en = say(book, "what is the competitor of 天合金融科技有限公司?")
    assert rival_en.data["value"] == "纷享销客"
    none = say(book, "who is the EB at River Pay")
    assert "no economic buyer" in none.text
    arr = say(book, "what's River Pay's ARR?")
    assert arr.data["value"] == 50_000 and "¥50,000" in arr.text


def test_unknown_names_are_said_to_be_unknown(book: Services) -> None:
    en = say(book, "tell me about Zebra Robotics")
    assert en.data["accounts"] == [] and "No account called 'Zebra Robotics'" in en.text
    zh = say(book, "飞鱼科技的决策人是谁")
    assert zh.data["accounts"] == [] and "没有你能看到的名为“飞鱼科技”的客户" in zh.text
    hidden = say(book, "who is the decision maker at Harbor Pay", user="carol")
    assert hidden.data["accounts"] == [] and "Wang Wei" not in hidden.text


def test_a_custom_field_value_is_asked_and_shown_by_its_label(book: Services) -> None:
    zh = say(book, "竞争对手是纷享销客的客户")
    assert names(zh) == ["天合金融科技有限公司"] and "竞争对手 纷享销客" in zh.data["text"]
    en = say(book, "accounts whose competitor is salesforce")
    assert names(en) == ["Harbor Pay"] and "Competitor Salesforce" in en.data["text"]


def test_a_company_name_nobody_has_is_not_read_as_its_trade(book: Services) -> None:
    # "科技" / "Technologies" at the end of a name asked about is part of the name, not a filter
    for text, name in [
        ("介绍一下星河湾科技", "星河湾科技"),
        ("帮我看看华夏星辰科技的情况", "华夏星辰科技"),
        ("飞鱼信息有限公司怎么样", "飞鱼信息有限公司"),
        ("给我讲讲北方星科技", "北方星科技"),
    ]:
        zh = say(book, text)
        assert zh.data["accounts"] == [] and f"没有你能看到的名为“{name}”的客户" in zh.text
    for text, name in [
        ("show Zenith Technologies", "Zenith Technologies"),
        ("how is Quantum Leap Software doing", "Quantum Leap Software"),
        ("tell me about Orbit Logistics Ltd", "Orbit Logistics Ltd"),
        ("Give me an overview of Blue Ocean Analytics", "Blue Ocean Analytics"),
        ("what is going on with Stellar Dynamics Ltd", "Stellar Dynamics Ltd"),
    ]:
        en = say(book, text)
        assert en.data["accounts"] == [] and f"No account called '{name}'" in en.text
    # a name whose own part is a filter stays a filter: Shanghai + fintech
    still = say(book, "看看上海金融科技的情况")
    assert set(names(still)) == {"Harbor Pay", "River Pay", "天合金融科技有限公司"}


def test_pronouns_counts_lists_and_sums_refer_to_the_previous_answer(book: Services) -> None:
    say(book, "金融科技的客户")
    assert say(book, "有多少个").data["value"] == 6
    assert len(names(say(book, "列出来"))) == 6
    total = say(book, "它们的年合同额总和是多少")
    assert total.data["value"] == 300_000 + 150_000 + 50_000 + 70_000 + 200_000 + 20_000
    say(book, "accounts in Shanghai")
    assert say(book, "how many?").data["value"] == 5
    their = say(book, "what is their total ARR")
    assert their.data["value"] == 90_000 + 300_000 + 50_000 + 200_000 + 40_000
    top = say(book, "top 2 of them by ARR")
    assert set(names(top)) == {"Harbor Pay", "天合金融科技有限公司"}
    say(book, "上海的客户")
    resorted = say(book, "按年合同额从低到高排序")
    assert len(names(resorted)) == 5  # a re-sort keeps the whole answer (no top-10)


def test_a_stem_shared_by_two_names_gets_a_choice_even_when_one_is_exact_without_its_suffix(
    services: Services,
) -> None:
    """'Acme' is Acme Corporation once 'Corporation' is dropped, but Acme Logistics Ltd is an
    Acme too: the asker chooses. 'Acme Corp' (a legal form typed) and the full name still go
    straight to the card."""
    with services.session_factory.begin() as s:
        for name in ("Acme Corporation", "Acme Logistics Ltd", "华信科技有限公司", "华信物流"):
            s.add(Account(name=name, name_norm=normalise_name(name), owner="local"))
    for text in ("tell me about Acme", "what about acme"):
        reply = say(services, text)
        assert "1." in reply.text and "Acme Logistics" in reply.text, (text, reply.text)
    picked = say(services, "2")
    assert picked.title.startswith("Acme Logistics Ltd") and picked.kind != "error"
    card = say(services, "tell me about Acme Corp")
    assert card.title.startswith("Acme Corporation") and "Acme Logistics" not in card.plain()
    zh = say(services, "华信的情况")
    assert "华信物流" in zh.plain() and "华信科技" in zh.plain()


def test_a_name_asked_about_is_not_read_as_the_filters_inside_it(book: Services) -> None:
    # no legal form, no trade word: still one name when asked about as one, not 北京 + 机械
    for text, name in [
        ("看一下北京智造机械", "北京智造机械"),
        ("深圳鹏程金融的情况怎么样", "深圳鹏程金融"),
    ]:
        zh = say(book, text)
        assert zh.data["accounts"] == [] and f"没有你能看到的名为“{name}”的客户" in zh.text
    en = say(book, "show Scotfind")
    assert en.data["accounts"] == [] and "No account called 'Scotfind'" in en.text
    hidden = say(book, "show Nimbus Retail", user="bob")  # carol's: not bob's to see
    assert hidden.data["accounts"] == [] and "No account called 'Nimbus Retail'" in hidden.text
    # what reads whole as a question stays a question
    for text in ("按年合同额从高到低排", "按城市排一下"):
        assert "没有你能看到的名为" not in say(book, text).text, text
    assert set(names(say(book, "看一下上海金融科技"))) == {
        "Harbor Pay",
        "River Pay",
        "天合金融科技有限公司",
    }
    assert set(names(say(book, "show Fintech accounts in Beijing"))) == {
        "Acme Pay",
        "Delta Pay",
        "明道金融科技有限公司",
    }


def test_a_trade_inside_an_account_name_is_still_the_trade(book: Services) -> None:
    # 零售 is a trade the book holds and a part of 成都零售通科技's name: "零售行业" is the trade
    with book.session_factory.begin() as s:
        for name, ind in [("成都零售通科技有限公司", "软件"), ("杭州西湖连锁有限公司", "零售")]:
            s.add(Account(name=name, name_norm=normalise_name(name), industry=ind, arr=1_000))
    for text in ["零售行业的客户有哪些", "零售的客户", "零售客户有几家"]:
        reply = say(book, text)
        assert reply.data.get("choice") is None and "画像" not in reply.text, text
        assert "成都零售通科技有限公司" not in reply.text, text
    assert set(names(say(book, "零售行业的客户有哪些"))) == {
        "Nimbus Retail",
        "杭州西湖连锁有限公司",
    }
    assert say(book, "零售通的情况").title == "成都零售通科技有限公司 · 客户画像"


@pytest.mark.parametrize(
    "text",
    ["团队的客户", "团队所有客户列表", "整个团队的客户", "看看团队的客户", "the team's accounts"],
)
def test_the_team_said_alone_is_the_askers_team(book: Services, text: str) -> None:
    reply = say(book, text, user="bob")
    assert set(names(reply)) == {n for n, *_, owner in BOOK if owner == "bob"}


def test_someone_elses_team_is_not_the_askers() -> None:
    # a name before 团队 that is nobody on file: not read as the asker's own team
    p = parse("王小明团队的客户", context=ParseContext(users=[UserRef("bob", "Bob Li")]))
    assert not (p.matched and p.spec is not None and p.spec.mine)


@pytest.mark.parametrize("text", ["所有客户的年合同额加起来是多少", "全部客户的年合同额总和是多少"])
def test_a_total_over_all_accounts_is_no_account_named_all(book: Services, text: str) -> None:
    reply = say(book, text)
    assert "没有你能看到的名为" not in reply.text
    assert reply.data.get("value") == sum(arr for *_, arr, _ in BOOK)


def test_how_many_of_a_field_does_an_account_have_and_its_card_shows_the_books_fields(
    book: Services,
) -> None:
    with book.session_factory.begin() as s:
        seats = customfields.add_field(
            s, key="seats", label_en="seats", label_zh="席位数", type="number"
        )
        acc = s.query(Account).filter_by(name="Harbor Pay").one()
        customfields.set_value(s, acc.id, seats, "7")
    en = say(book, "how many seats does Harbor Pay have")
    assert en.text == "Harbor Pay's seats: 7." and en.data["understood"]["fact"] == "seats"
    assert "¥300,000" in say(book, "how much ARR does Harbor Pay have").text
    card = say(book, "tell me about Harbor Pay")
    more = dict(card.sections)["🧩 More fields"]
    assert "seats: 7" in more and "Competitor: Salesforce" in more
    zh = say(book, "天合金融科技有限公司的画像")
    assert "竞争对手: 纷享销客" in dict(zh.sections)["🧩 其他资料"]


@pytest.mark.parametrize(
    ("regroup", "only"),
    [("再按城市分一下", "只看上海的"), ("now by city", "only the ones in Shanghai")],
)
def test_only_the_after_a_breakdown_lists_them(book: Services, regroup: str, only: str) -> None:
    say(book, "金融科技的客户" if regroup[0] == "再" else "fintech accounts")
    assert say(book, regroup).data.get("understood", {}).get("group_by") == "city"
    listed = say(book, only)
    assert listed.data["understood"]["group_by"] is None
    assert set(names(listed)) == {"Harbor Pay", "River Pay", "天合金融科技有限公司"}
