"""Answers: scope, paging, counts and breakdowns, the CLI contract (`ask --json`, `ask -`)."""

from __future__ import annotations

import json
import subprocess

from sqlalchemy import func, or_, select

from handlers import ask
from handlers.messages import IncomingMessage
from handlers.services import Services
from store.models import Account, AuditEntry
from tests.conftest import AS_OF


def _ask(svc: Services, text: str, user: str = "local"):  # noqa: ANN202
    replies = ask.try_handle(svc, IncomingMessage(user=user, text=text, as_of=AS_OF))
    assert replies and len(replies) == 1
    return replies[0]


def test_every_answer_stays_inside_the_askers_scope(demo_services: Services) -> None:
    with demo_services.session_factory.begin() as s:
        total = s.scalar(select(func.count(Account.id)))
        bobs = set(
            s.scalars(select(Account.id).where(or_(Account.owner == "bob", Account.csm == "bob")))
        )
    everyone = _ask(demo_services, "all accounts").data
    assert everyone["total"] == total and len(everyone["accounts"]) == total
    bob = _ask(demo_services, "all accounts", user="bob").data
    assert {a["id"] for a in bob["accounts"]} == bobs
    nobody = _ask(demo_services, "all accounts", user="stranger").data
    assert nobody["accounts"] == [] and "profilebot users add" in nobody["text"]


def test_long_lists_are_paged_and_more_continues(demo_services: Services) -> None:
    first = _ask(demo_services, "all accounts")
    assert len(first.rows) == ask.PAGE_SIZE
    assert "more" in first.plain()
    second = _ask(demo_services, "more")
    assert [r.id for r in second.rows] == [a["id"] for a in first.data["accounts"]][20:40]
    with demo_services.session_factory.begin() as s:
        seen = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "ask")
        )
    assert seen >= 40


def test_count_breakdown_and_no_match_in_the_askers_language(demo_services: Services) -> None:
    with demo_services.session_factory.begin() as s:
        n = s.scalar(select(func.count(Account.id)).where(Account.arr > 100000))
    zh = _ask(demo_services, "年合同额超过10万的客户有多少")
    assert zh.data["value"] == n and "共" in zh.text
    rows = _ask(demo_services, "how many accounts per plan").data["rows"]
    assert sum(r["count"] for r in rows) == _ask(demo_services, "how many accounts").data["value"]
    none = _ask(demo_services, "accounts with ARR over 900000000")
    assert none.data["accounts"] == [] and "no accounts match" in none.text
    lost = _ask(demo_services, "如何提升客户留存率")
    assert lost.data["understood"] is None and "哪些客户" in lost.text


def test_cli_ask_json_and_stdin_lines(cli_env: dict[str, str]) -> None:
    run = lambda *a, **kw: subprocess.run(  # noqa: E731
        ["profilebot", *a], env=cli_env, capture_output=True, text=True, timeout=120, **kw
    )
    assert run("demo", "--accounts", "40", "--as-of", "2026-11-01").returncode == 0
    one = run("ask", "top 3 accounts by ARR", "--as-of", "2026-11-01", "--json")
    assert one.returncode == 0, one.stderr
    data = json.loads(one.stdout)
    assert len(data["accounts"]) == 3 and data["understood"]["limit"] == 3
    assert set(data["accounts"][0]) >= {"id", "account_id", "name"}
    many = run("ask", "-", "--as-of", "2026-11-01", input="how many accounts\n上海的客户\n")
    lines = [json.loads(x) for x in many.stdout.splitlines()]
    assert len(lines) == 2 and lines[0]["value"] == 40
    assert all("text" in x and "accounts" in x for x in lines)


def test_one_value_in_two_languages_is_one_value(services: Services) -> None:
    """A book with `Biotech`/`growth` and `生物科技`/`成长版` answers and groups them as one."""
    from store.identity import normalise_name
    from store.models import User

    with services.session_factory.begin() as s:
        s.add(User(handle="liuyang", name="刘洋", email="liu.yang@x.io", role="sales"))
        rows = [
            ("Alpha Bio", "Biotech", "growth", "liu.yang@x.io", 10_000),
            ("Beta Bio", "Biotech", "starter", "liuyang", 20_000),
            ("甲生物", "生物科技", "成长版", "liuyang", 30_000),
            ("乙保险", "保险", "入门版", "liu.yang@x.io", 40_000),
        ]
        for name, ind, plan, owner, arr in rows:
            s.add(
                Account(
                    name=name,
                    name_norm=normalise_name(name),
                    industry=ind,
                    plan=plan,
                    owner=owner,
                    arr=arr,
                )
            )
    growth = _ask(services, "accounts on the growth plan").data
    assert {a["name"] for a in growth["accounts"]} == {"Alpha Bio", "甲生物"}
    assert _ask(services, "成长版的生物科技客户有多少").data["value"] == 2
    rows = _ask(services, "按行业统计客户数").data["rows"]
    assert {r["key"]: r["count"] for r in rows} == {"生物科技": 3, "保险": 1}
    en = _ask(services, "accounts by industry").data["rows"]
    assert {r["key"]: r["count"] for r in en} == {"Biotech": 3, "保险": 1}
    owners = _ask(services, "how many accounts does each owner have?").data["rows"]
    assert [(r["key"], r["handle"], r["count"]) for r in owners] == [("刘洋", "liuyang", 4)]
    count = _ask(services, "how many biotech accounts are there?")
    assert count.data["value"] == 3 and count.text.startswith("There are 3 accounts")


# ----------------------------------------------------------------------------- round 3


def _book(services: Services) -> None:
    """Two teams (one nested), owners written as handle, email or person name; a few parents."""
    from store.identity import normalise_name
    from store.models import User

    with services.session_factory.begin() as s:
        boss = User(handle="zhoujianguo", name="周建国", email="zjg@x.cn", role="manager")
        lead = User(handle="rocco", name="Rocco Neubert", email="rocco@x.io", role="manager")
        other = User(handle="wuli", name="吴莉", email="wuli@x.cn", role="manager")
        s.add_all([boss, lead, other])
        s.flush()
        lead.manager_id = boss.id  # Rocco's team is inside 周建国's
        reps = [
            User(handle="zhangsan", name="张三", email="zs@x.cn", role="sales", manager_id=boss.id),
            User(handle="anna", name="Anna Snelling", email="anna@x.io", role="sales"),
            User(handle="lisi", name="李四", email="ls@x.cn", role="sales", manager_id=other.id),
            User(handle="cs1", name="Carol", email="carol@x.io", role="csm", manager_id=other.id),
        ]
        s.add_all(reps)
        s.flush()
        reps[1].manager_id = lead.id
        rows = [
            ("甲", "zhangsan", None, "华信集团有限公司", 1995),  # handle
            ("乙", "张三", None, None, 2012),  # person name
            ("丙", "anna@x.io", None, "Acme Corp", 2020),  # email, nested team
            ("丁", "李四", None, "华信集团", 2001),
            ("戊", "lisi", "carol@x.io", None, 1980),
            ("己", "rocco", None, "acme corporation", None),  # the manager's own
            ("庚", "nobody", "cs1", None, 2018),  # csm of 吴莉's team
        ]
        for name, owner, csm, parent, founded in rows:
            s.add(
                Account(
                    name=name,
                    name_norm=normalise_name(name),
                    owner=owner,
                    csm=csm,
                    parent=parent,
                    founded=founded,
                    arr=1000,
                )
            )


def _names(svc: Services, text: str, user: str = "local") -> set[str]:
    return {a["name"] for a in _ask(svc, text, user).data["accounts"]}


def test_a_managers_team_is_everyone_reporting_to_them_recursively(services: Services) -> None:
    _book(services)
    everyone_under_zhou = {"甲", "乙", "丙", "己"}
    assert _names(services, "周建国团队的客户") == everyone_under_zhou
    assert _names(services, "accounts of 周建国's team") == everyone_under_zhou
    assert _names(services, "周建国手下有哪些客户") == everyone_under_zhou
    assert _names(services, "accounts of Rocco Neubert's team") == {"丙", "己"}
    assert _names(services, "吴莉团队的客户") == {"丁", "戊", "庚"}  # owner or CSM in the team
    assert _ask(services, "吴莉组有多少客户").data["value"] == 3
    # a rep's team is the team they belong to
    assert _names(services, "Anna Snelling's team") == {"丙", "己"}
    # a manager's "my team" is their own scope: the whole team
    assert _names(services, "my team's accounts", user="rocco") == {"丙", "己"}
    assert _names(services, "我的团队的客户", user="zhoujianguo") == everyone_under_zhou
    # and a team question never leaves the asker's scope
    assert _names(services, "周建国团队的客户", user="wuli") == set()
    reply = _ask(services, "accounts of Rocco Neubert's team")
    assert "rocco's team" in reply.text


def test_parent_company_names_match_however_the_book_spells_them(services: Services) -> None:
    _book(services)
    assert _names(services, "subsidiaries of Acme Corporation") == {"丙", "己"}
    assert _names(services, "华信集团的子公司") == {"甲", "丁"}
    assert _ask(services, "how many accounts have a parent company").data["value"] == 4
    assert _names(services, "没有母公司的客户") == {"乙", "戊", "庚"}


def test_company_age_compiles_against_as_of(services: Services) -> None:
    _book(services)  # as of 2026-11-01
    assert _names(services, "accounts founded more than 20 years ago") == {"甲", "丁", "戊"}
    assert _names(services, "成立不到10年的客户") == {"丙", "庚"}
    assert _names(services, "companies established after 2010") == {"乙", "丙", "庚"}


def test_login_trend_against_the_event_stream(demo_services: Services) -> None:
    import datetime as dt

    from store.models import Event

    end = dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time())
    mid, start = end - dt.timedelta(days=30), end - dt.timedelta(days=60)
    with demo_services.session_factory.begin() as s:
        rows = s.execute(
            select(Event.account_id, Event.ts).where(
                Event.type == "login", Event.ts >= start, Event.ts < end
            )
        ).all()
    recent: dict[int, int] = {}
    prev: dict[int, int] = {}
    for acc, ts in rows:
        d = recent if ts >= mid else prev
        d[acc] = d.get(acc, 0) + 1
    halved = {a for a, n in prev.items() if recent.get(a, 0) <= n / 2}
    grew = {a for a, n in prev.items() if recent.get(a, 0) > n}
    assert halved and grew
    for text in ("accounts whose logins dropped by half", "登录次数下降一半以上的客户"):
        assert {a["id"] for a in _ask(demo_services, text).data["accounts"]} == halved
    assert {a["id"] for a in _ask(demo_services, "logins increased").data["accounts"]} == grew


# ----------------------------------------------------------------------------- round 4


def _book4(services: Services) -> None:
    """Ids, domains, Chinese legal names, one industry in two spellings, contracts across 2026."""
    import datetime as dt

    from store.identity import normalise_name
    from store.models import Contact, User

    with services.session_factory.begin() as s:
        s.add(User(handle="wang.lei", name="王磊", email="wang.lei@x.io", role="manager"))
        s.flush()
        boss = s.scalars(select(User).where(User.handle == "wang.lei")).one()
        s.add(User(handle="amy", name="Amy Wu", email="amy@x.io", role="sales", manager_id=boss.id))
        rows = [
            # external id, name, domain, industry, country, owner, contract end
            (
                "KH001",
                "杭州青禾网络科技有限公司",
                "qinghe-net.cn",
                "医疗科技",
                "中国",
                "amy",
                "2026-10-20",
            ),
            (
                "KH002",
                "深圳微澜医疗科技有限公司",
                "weilan-med.cn",
                "HealthTech",
                "中国",
                "amy",
                "2026-12-30",
            ),
            ("C-7", "Harbor_7", "harbor7.io", "EdTech", "UK", "bob", "2026-11-03"),
            ("C-71", "Harbor_71", "harbor71.io", "教育科技", "UK", "bob", "2026-11-10"),
            ("C-9", "Vector Labs Ltd", "vectorlabs.io", "Retail", "US", "bob", "2027-02-01"),
            ("C-10", "Old Mill", None, "Retail", "US", "bob", "2026-03-01"),
        ]
        for ext, name, dom, ind, country, owner, end in rows:
            s.add(
                Account(
                    external_id=ext,
                    name=name,
                    name_norm=normalise_name(name),
                    domain=dom,
                    industry=ind,
                    country=country,
                    owner=owner,
                    arr=1000,
                    contract_end=dt.date.fromisoformat(end),
                )
            )
        s.flush()
        harbor = s.scalars(select(Account).where(Account.external_id == "C-7")).one()
        s.add(Contact(account_id=harbor.id, name="Ann", role="EB", attitude="blocker"))


def _ids(svc: Services, text: str) -> list[str]:
    return [a["account_id"] for a in _ask(svc, text).data["accounts"]]


def test_one_account_by_id_domain_or_short_name(services: Services) -> None:
    _book4(services)
    for text, ext in [
        ("profile kh001", "KH001"),
        ("KH002这个客户怎么样", "KH002"),
        ("查一下 weilan-med.cn", "KH002"),
        ("青禾网络怎么样", "KH001"),
        ("微澜医疗最近怎么样", "KH002"),
        ("how is Harbor_7 doing", "C-7"),
        ("how is Harbor_71 doing", "C-71"),
        ("what about www.vectorlabs.io", "C-9"),
    ]:
        reply = _ask(services, text)
        assert reply.data["understood"]["account"], text
        assert _ids(services, text) == [ext], text


def test_one_industry_in_two_spellings_and_calendar_quarters(services: Services) -> None:
    _book4(services)  # as of 2026-11-01: Q4 is 2026-10-01 .. 2026-12-31
    assert set(_ids(services, "healthtech accounts")) == {"KH001", "KH002"}
    assert set(_ids(services, "医疗科技客户")) == {"KH001", "KH002"}
    assert _ask(services, "how many edtech accts").data["value"] == 2
    assert _ids(services, "who renews in Q4") == ["KH001", "C-7", "C-71", "KH002"]
    assert _ask(services, "第四季度有多少客户到期").data["value"] == 4
    assert _ids(services, "Q1 2027到期的客户") == ["C-9"]
    assert _ids(services, "一季度到期的客户") == ["C-10"]  # the as-of year's, though past
    assert _ids(services, "which 2 accounts renew soonest") == ["C-7", "C-71"]
    assert _ids(services, "最快到期的3个客户") == ["C-7", "C-71", "KH002"]


def test_country_adjective_attitude_and_a_romanised_team(services: Services) -> None:
    _book4(services)
    assert _ids(services, "uk accounts with a blocker") == ["C-7"]
    assert _ids(services, "关键人态度为反对的英国客户") == ["C-7"]
    assert _ask(services, "how many accounts does wang lei's team have").data["value"] == 2
    assert _ask(services, "how many us accounts").data["value"] == 2


def test_negated_owner_and_not_mine_are_the_complement(demo_services: Services) -> None:
    with demo_services.session_factory.begin() as s:
        total = s.scalar(select(func.count(Account.id)))
        owned = set(s.scalars(select(Account.id).where(Account.owner == "bob")))
    assert owned and len(owned) < total
    rest = _ask(demo_services, "accounts not owned by bob").data
    assert rest["total"] == total - len(owned)
    assert not owned & {a["id"] for a in rest["accounts"]}
    # "not mine" and "mine" split the book the asker sees
    for user in ("local", "bob"):
        seen = _ask(demo_services, "all accounts", user=user).data["total"]
        mine = {a["id"] for a in _ask(demo_services, "my accounts", user=user).data["accounts"]}
        other = _ask(demo_services, "accounts that are not mine", user=user).data
        assert other["total"] == seen - len(mine)
        assert not mine & {a["id"] for a in other["accounts"]}
    # "not high value" negates the whole (tag OR tier) of "high value"
    hv = {a["id"] for a in _ask(demo_services, "high value accounts").data["accounts"]}
    not_hv = {
        a["id"] for a in _ask(demo_services, "accounts that are not high value").data["accounts"]
    }
    assert hv and not hv & not_hv and len(hv | not_hv) == total


def test_an_impossible_period_is_refused_with_a_hint(demo_services: Services) -> None:
    for text, word in (("accounts renewing in Q5", "Q1"), ("top 0 accounts by ARR", "at least 1")):
        reply = _ask(demo_services, text)
        assert reply.kind == "error" and word in reply.text
        assert reply.data["understood"] is None and reply.data["accounts"] == []
    zh = _ask(demo_services, "2026年13月到期的客户")
    assert zh.kind == "error" and "月份" in zh.text
