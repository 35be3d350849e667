"""Second held-out evaluation of `profilebot ask` (no LLM) on two single-language books.

Book "en": the 85 real accounts of Maven Analytics' CRM Sales Opportunities set
(shared/realdata/maven_crm_sales_opportunities), owners = the agent with the most Won deals per
account, users = the real sales_teams.csv agents and managers; cities, plans, ARR, contracts,
events, contacts and NPS are synthesised deterministically. As-of 2026-06-30.
Book "zh": 80 synthetic Chinese accounts with Chinese headers and values (年合同额 like 12.5万 or
¥80,000, 合同到期日 like 2027年3月31日), Chinese events/NPS headers. As-of 2027-01-15.

The oracle is pandas over the CSV files, following PRODUCT.md's default definitions; the only
figure taken from the product is the health score (its formula is the product's own).

    python -m tests.heldout_book2 --generate         # rewrite tests/fixtures/unseen_book2/*
    python -m tests.heldout_book2 [--book en|zh] [--limit N] [--verbose]

Running the product (the CLI, one `ask -` process) is tests/heldout.py's, shared by every book.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tests import heldout

ROOT = Path(__file__).resolve().parent.parent


def realdata_dir() -> Path:
    """Where the raw public data lives, for regenerating fixtures only (tests never read it):
    the folder PROFILEBOT_REALDATA names (the shared `realdata` folder of the project's data)."""
    import os

    return Path(os.environ.get("PROFILEBOT_REALDATA", "set-PROFILEBOT_REALDATA-to-regenerate"))


MAVEN = realdata_dir() / "maven_crm_sales_opportunities"  # fixture generator only
FIXTURES = ROOT / "tests" / "fixtures" / "unseen_book2"
AS_OF = {"en": dt.date(2026, 6, 30), "zh": dt.date(2027, 1, 15)}

# Days-ago values no event may fall on (window edges: today, 7/30/60/90-day boundaries).
EDGE_DAYS = {0, 7, 30, 60, 90}
# Last-login days-ago values avoided (thresholds people ask about: 7, 15, 30, 60, 90 days).
LOGIN_EDGES = {0, 6, 7, 8, 13, 14, 15, 16, 17, 28, 29, 30, 31, 32, 59, 60, 61, 62, 89, 90, 91}


# --------------------------------------------------------------------------------------------
# Book generation
# --------------------------------------------------------------------------------------------


def _day(rng: random.Random, lo: int, hi: int, avoid: set[int] = EDGE_DAYS) -> int:
    while True:
        d = rng.randint(lo, hi)
        if d not in avoid:
            return d


def _events_for(
    rng: random.Random, ref, as_of: dt.date, users: list[str], pattern: str, buyer: str
) -> list[dict]:
    """A deterministic event stream for one account (`ref` = how the file names it)."""
    rows: list[dict] = []

    def add(days_ago: int, type_: str, feature: str = "", amount: str = "") -> None:
        t = dt.datetime.combine(as_of - dt.timedelta(days=days_ago), dt.time(9, 0))
        t += dt.timedelta(minutes=rng.randint(0, 540))
        rows.append(
            {
                "account": ref,
                "timestamp": t.strftime("%Y-%m-%d %H:%M:%S"),
                "type": type_,
                "user": rng.choice(users),
                "feature": feature,
                "amount": amount,
            }
        )

    if pattern == "active":
        last = _day(rng, 1, 12, LOGIN_EDGES)
        n_recent = rng.randint(3, 40)
        for _ in range(n_recent):
            add(_day(rng, last, 29, LOGIN_EDGES - {last} | {30}), "login")
        add(last, "login")
        for _ in range(rng.randint(2, 25)):
            add(_day(rng, 31, 59), "login")
        for _ in range(rng.randint(0, 10)):
            add(_day(rng, 61, 150), "login")
    elif pattern == "declining":
        last = _day(rng, 1, 12, LOGIN_EDGES)
        prev = rng.randint(14, 30)
        recent = rng.randint(1, max(1, prev // 2 - 2))
        add(last, "login")
        for _ in range(recent - 1):
            add(_day(rng, last, 29, LOGIN_EDGES - {last} | {30}), "login")
        for _ in range(prev):
            add(_day(rng, 31, 59), "login")
    elif pattern == "dormant":
        last = _day(rng, 18, 130, LOGIN_EDGES)
        add(last, "login")
        for _ in range(rng.randint(0, 12)):
            add(_day(rng, last + 1, last + 60), "login")
    # pattern "never": no login at all
    if pattern != "never":
        for _ in range(rng.randint(0, 15)):
            add(_day(rng, 1, 120), "feature_use", rng.choice(["reports", "dashboards", "api"]))
    for _ in range(rng.choice([0, 0, 0, 1, 2, 4, 6])):
        add(_day(rng, 1, 120), "ticket")
    if buyer == "heavy":  # > 3 purchases and > 5000 in the last 30 days
        n = rng.randint(4, 7)
        amounts = [rng.randint(9, 30) * 100 for _ in range(n)]
        while 4800 <= sum(amounts) <= 5200 or sum(amounts) <= 5000:
            amounts.append(rng.randint(9, 30) * 100)
        for a in amounts:
            add(_day(rng, 1, 29), "purchase", "", str(a))
    elif buyer == "some":
        for _ in range(rng.randint(1, 3)):
            add(_day(rng, 1, 29), "purchase", "", str(rng.randint(2, 25) * 100))
    if buyer in ("heavy", "some", "old"):
        for _ in range(rng.randint(0 if buyer != "old" else 1, 4)):
            add(_day(rng, 31, 89), "purchase", "", str(rng.randint(2, 40) * 100))
    if buyer == "ancient":
        add(_day(rng, 100, 200), "purchase", "", str(rng.randint(5, 40) * 100))
    return rows


def _contract_end(rng: random.Random, as_of: dt.date) -> dt.date:
    """A contract end from 75 days ago to ~18 months ahead, off every window edge."""
    bad = {0, 1, 6, 7, 8, 29, 30, 31, 59, 60, 61, 89, 90, 91, -1}
    while True:
        off = rng.randint(-75, 540)
        if off in bad:
            continue
        d = as_of + dt.timedelta(days=off)
        if d.day in (1,) or (d + dt.timedelta(days=1)).day == 1:
            continue  # keep away from month edges too
        return d


def _avoid_round(v: int, step: int) -> int:
    rounds = {
        10_000,
        20_000,
        25_000,
        30_000,
        50_000,
        75_000,
        80_000,
        100_000,
        150_000,
        200_000,
        250_000,
        300_000,
        500_000,
        1_000_000,
    }
    while v in rounds:
        v += step
    return v


def generate_en(out: Path) -> None:
    """Write the English book built on Maven's real accounts and sales teams."""
    rng = random.Random(20260630)
    as_of = AS_OF["en"]
    acc = pd.read_csv(MAVEN / "accounts.csv")
    teams = pd.read_csv(MAVEN / "sales_teams.csv")
    pipe = pd.read_csv(MAVEN / "sales_pipeline.csv")
    won = pipe[pipe.deal_stage == "Won"]
    top = (
        won.groupby(["account", "sales_agent"])
        .size()
        .reset_index(name="n")
        .sort_values(["account", "n", "sales_agent"], ascending=[True, False, True])
        .drop_duplicates("account")
        .set_index("account")["sales_agent"]
    )

    def handle(name: str) -> str:
        return name.lower().replace(" ", ".").replace("-", "")

    users = []
    for m in sorted(teams.manager.unique()):
        users.append(
            {
                "handle": handle(m),
                "name": m,
                "email": f"{handle(m)}@maven.example",
                "role": "manager",
                "manager": "",
                "timezone": "America/New_York",
            }
        )
    for _, r in teams.iterrows():
        users.append(
            {
                "handle": handle(r.sales_agent),
                "name": r.sales_agent,
                "email": f"{handle(r.sales_agent)}@maven.example",
                "role": "sales",
                "manager": handle(r.manager),
                "timezone": "America/Chicago",
            }
        )
    pd.DataFrame(users).to_csv(out / "en_users.csv", index=False)

    capital = {
        "Korea": "Seoul",
        "Japan": "Tokyo",
        "Kenya": "Nairobi",
        "Philipines": "Manila",
        "Italy": "Rome",
        "Norway": "Oslo",
        "Jordan": "Amman",
        "Brazil": "Sao Paulo",
        "Germany": "Berlin",
        "Panama": "Panama City",
        "Belgium": "Brussels",
        "Romania": "Bucharest",
        "Poland": "Warsaw",
        "China": "Beijing",
    }
    us_cities = ["Boston", "Chicago", "Austin", "Seattle", "New York", "San Francisco", "Denver"]
    rows, contacts, events, nps = [], [], [], []
    first = [
        "James",
        "Mary",
        "Robert",
        "Linda",
        "Michael",
        "Susan",
        "David",
        "Karen",
        "Daniel",
        "Nancy",
        "Paul",
        "Laura",
        "Mark",
        "Emily",
        "Steven",
        "Rachel",
        "Kevin",
        "Amy",
    ]
    last = [
        "Reyes",
        "Fischer",
        "Novak",
        "Okafor",
        "Lindqvist",
        "Moreau",
        "Tanaka",
        "Silva",
        "Kowalski",
        "Byrne",
        "Haddad",
        "Larsen",
        "Costa",
        "Ivanov",
        "Park",
        "Nguyen",
    ]
    titles = {
        "EB": ["CFO", "VP Operations", "CEO"],
        "TB": ["CTO", "IT Director", "Head of Data"],
        "UB": ["Sales Ops Manager", "Analyst", "Team Lead"],
    }
    for i, r in enumerate(acc.itertuples(index=False), start=1):
        aid = f"MV{i:03d}"
        country = r.office_location
        city = rng.choice(us_cities) if country == "United States" else capital[country]
        plan = rng.choices(["Starter", "Growth", "Enterprise"], [3, 4, 3])[0]
        lo, hi = {"Starter": (6, 19), "Growth": (21, 79), "Enterprise": (81, 290)}[plan]
        arr = _avoid_round(rng.randint(lo * 2, hi * 2) * 500, 500)
        end = _contract_end(rng, as_of)
        start = end - dt.timedelta(days=rng.choice([365, 730]))
        rows.append(
            {
                "account_id": aid,
                "name": r.account,
                "domain": re.sub(r"[^a-z0-9]", "", r.account.lower()) + ".com",
                "industry": r.sector,
                "founded": r.year_established,
                "annual_revenue": int(round(r.revenue * 1_000_000)),
                "employees": r.employees,
                "city": city,
                "country": country,
                "parent": r.subsidiary_of if isinstance(r.subsidiary_of, str) else "",
                "owner": f"{handle(top[r.account])}@maven.example",
                "plan": plan,
                "arr": arr,
                "contract_start": start.isoformat(),
                "contract_end": end.isoformat(),
            }
        )
        for role in rng.sample(["EB", "TB", "UB"], rng.randint(1, 3)):
            fn, ln = rng.choice(first), rng.choice(last)
            contacts.append(
                {
                    "account": aid,
                    "name": f"{fn} {ln}",
                    "title": rng.choice(titles[role]),
                    "role": role,
                    "email": f"{fn.lower()}.{ln.lower()}@{rows[-1]['domain']}",
                    "phone": "",
                    "influence": rng.choice(["high", "medium", "low"]),
                    "attitude": rng.choices(["supporter", "neutral", "blocker"], [5, 4, 1])[0],
                }
            )
        pattern = rng.choices(["active", "declining", "dormant", "never"], [10, 3, 5, 1])[0]
        buyer = rng.choices(["heavy", "some", "old", "ancient", "none"], [2, 4, 2, 1, 2])[0]
        people = [f"user{k}@{rows[-1]['domain']}" for k in range(rng.randint(1, 5))]
        events += _events_for(rng, aid, as_of, people, pattern, buyer)
        for _ in range(rng.choice([0, 1, 1, 2])):
            nps.append(
                {
                    "account": aid,
                    "date": (as_of - dt.timedelta(days=rng.randint(3, 200))).isoformat(),
                    "score": rng.choices(range(11), [2, 1, 1, 2, 2, 3, 3, 5, 6, 5, 4])[0],
                    "comment": rng.choice(
                        [
                            "",
                            "Good value",
                            "Support is slow",
                            "Love the reports",
                            "Too expensive",
                            "Missing integrations",
                        ]
                    ),
                }
            )
    pd.DataFrame(rows).to_csv(out / "en_accounts.csv", index=False)
    pd.DataFrame(contacts).drop_duplicates(["account", "name"]).to_csv(
        out / "en_contacts.csv", index=False
    )
    ev = pd.DataFrame(events).drop_duplicates(["account", "timestamp", "type", "user"])
    ev = ev.sort_values(["timestamp", "account"])
    ev.to_csv(out / "en_events.csv", index=False)
    pd.DataFrame(nps).to_csv(out / "en_nps.csv", index=False)


ZH_INDUSTRY = {
    "制造业": ["精密制造", "机械", "电子", "新材料"],
    "医疗": ["医疗", "医药", "生物"],
    "教育": ["教育", "学堂"],
    "零售": ["商贸", "零售", "百货"],
    "金融": ["金融服务", "资本", "保险代理"],
    "物流": ["物流", "供应链"],
    "软件": ["软件", "信息技术", "数据科技"],
}
ZH_CITY = {
    "北京": "北京市",
    "上海": "上海市",
    "深圳": "广东省",
    "广州": "广东省",
    "杭州": "浙江省",
    "宁波": "浙江省",
    "苏州": "江苏省",
    "南京": "江苏省",
    "成都": "四川省",
}
ZH_USERS = [
    ("zhoujianguo", "周建国", "经理", ""),
    ("wuli", "吴莉", "经理", ""),
    ("zhangsan", "张三", "销售", "zhoujianguo"),
    ("lisi", "李四", "销售", "zhoujianguo"),
    ("wangfang", "王芳", "销售", "zhoujianguo"),
    ("zhaolei", "赵磊", "销售", "wuli"),
    ("chenjing", "陈静", "销售", "wuli"),
    ("liuyang", "刘洋", "销售", "wuli"),
]


def _zh_money(rng: random.Random, v: int) -> str:
    style = rng.choice(["wan", "yen", "plain", "wan"])
    if style == "wan" and v % 100 == 0:
        return f"{v / 10000:g}万"
    if style == "yen":
        return f"¥{v:,}"
    return str(v)


def _zh_date(rng: random.Random, d: dt.date) -> str:
    style = rng.choice(["cn", "cn", "iso", "slash"])
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    return d.isoformat()


def generate_zh(out: Path) -> None:
    """Write the Chinese book: Chinese headers, Chinese values, mixed money/date formats."""
    rng = random.Random(20270115)
    as_of = AS_OF["zh"]
    users = [
        {
            "handle": h,
            "name": n,
            "email": f"{h}@huaxin.example",
            "role": r,
            "manager": m,
            "timezone": "Asia/Shanghai",
        }
        for h, n, r, m in ZH_USERS
    ]
    pd.DataFrame(users).to_csv(out / "zh_users.csv", index=False)
    c1 = "华恒金瑞天博新鼎嘉宏远泰盛安启明卓信德润"
    c2 = "宇信桥丰成达元晟禾图峰越川诚捷创源祥"
    brands = sorted({a + b for a in c1 for b in c2 if a != b})
    rng.shuffle(brands)
    sales = [u for u in ZH_USERS if u[2] == "销售"]
    rows, events, nps, contacts = [], [], [], []
    for i in range(80):
        industry = rng.choice(list(ZH_INDUSTRY))
        city = rng.choice(list(ZH_CITY))
        name = (
            brands[i]
            + rng.choice(ZH_INDUSTRY[industry])
            + rng.choice(["有限公司", "股份有限公司", ""])
        )
        plan = rng.choices(["基础版", "专业版", "企业版"], [3, 4, 3])[0]
        lo, hi = {"基础版": (3, 9), "专业版": (11, 39), "企业版": (41, 160)}[plan]
        arr = _avoid_round(rng.randint(lo * 10, hi * 10) * 1000, 1000)
        if rng.random() < 0.5:
            arr = arr // 1000 * 1000 + rng.choice([0, 500])
        end = _contract_end(rng, as_of)
        start = end - dt.timedelta(days=rng.choice([365, 730]))
        owner = rng.choice(sales)
        rows.append(
            {
                "客户编号": f"KH{i + 1:03d}",
                "客户名称": name,
                "行业": industry,
                "城市": city,
                "省份": ZH_CITY[city],
                "员工数": _avoid_round(
                    rng.choice(
                        [rng.randint(20, 99), rng.randint(101, 999), rng.randint(1001, 12000)]
                    ),
                    7,
                ),
                "成立年份": rng.choice([y for y in range(1985, 2022) if y not in (2000, 2010)]),
                "负责人": owner[1],
                "订阅版本": plan,
                "年合同额": _zh_money(rng, arr),
                "合同开始日期": _zh_date(rng, start),
                "合同到期日": _zh_date(rng, end),
            }
        )
        pattern = rng.choices(["active", "declining", "dormant", "never"], [10, 3, 5, 1])[0]
        buyer = rng.choices(["heavy", "some", "old", "ancient", "none"], [2, 4, 2, 1, 2])[0]
        people = [rng.choice("伟芳娜敏静磊军洋勇艳") + str(k) for k in range(rng.randint(1, 4))]
        for e in _events_for(rng, name, as_of, people, pattern, buyer):
            events.append(
                {
                    "客户": e["account"],
                    "时间": e["timestamp"],
                    "类型": e["type"],
                    "用户": e["user"],
                    "功能": e["feature"],
                    "金额": e["amount"],
                }
            )
        for _ in range(rng.choice([0, 1, 1, 2])):
            nps.append(
                {
                    "客户": name,
                    "日期": (as_of - dt.timedelta(days=rng.randint(3, 200))).isoformat(),
                    "评分": rng.choices(range(11), [2, 1, 1, 2, 2, 3, 3, 5, 6, 5, 4])[0],
                    "评论": rng.choice(["", "服务不错", "价格偏高", "报表很好用", "响应慢"]),
                }
            )
        for role in rng.sample(["决策者", "技术评估", "使用者"], rng.randint(1, 3)):
            contacts.append(
                {
                    "客户": f"KH{i + 1:03d}",
                    "姓名": rng.choice("王李张刘陈杨黄赵")
                    + rng.choice(["伟", "芳", "娜", "敏", "静", "磊", "军"]),
                    "职位": {"决策者": "总经理", "技术评估": "CTO", "使用者": "运营主管"}[role],
                    "角色": role,
                    "态度": rng.choices(["支持", "中立", "反对"], [5, 4, 1])[0],
                }
            )
    pd.DataFrame(rows).to_csv(out / "zh_accounts.csv", index=False)
    pd.DataFrame(contacts).drop_duplicates(["客户", "姓名"]).to_csv(
        out / "zh_contacts.csv", index=False
    )
    ev = pd.DataFrame(events).drop_duplicates(["客户", "时间", "类型", "用户"])
    ev.sort_values(["时间", "客户"]).to_csv(out / "zh_events.csv", index=False)
    pd.DataFrame(nps).to_csv(out / "zh_nps.csv", index=False)


def generate(out: Path = FIXTURES) -> None:
    out.mkdir(parents=True, exist_ok=True)
    generate_en(out)
    generate_zh(out)
    (out / "SOURCE.txt").write_text(
        "Generated by tests/heldout_book2.py --generate (deterministic seeds).\n"
        "en_*: accounts = the 85 real accounts of Maven Analytics 'CRM Sales Opportunities'\n"
        "  (shared/realdata/maven_crm_sales_opportunities/accounts.csv: name, sector, founded,\n"
        "  revenue x 1e6 USD, employees, office_location -> country, subsidiary_of -> parent);\n"
        "  owner = the agent with the most Won deals for the account in sales_pipeline.csv;\n"
        "  users = sales_teams.csv agents and managers. City, plan, ARR, contracts, contacts,\n"
        "  events and NPS are synthetic. As-of 2026-06-30.\n"
        "zh_*: fully synthetic Chinese book (中文表头与取值). As-of 2027-01-15.\n",
        encoding="utf-8",
    )


# --------------------------------------------------------------------------------------------
# Oracle: the book as pandas frames with PRODUCT.md's derived figures
# --------------------------------------------------------------------------------------------


def _parse_money(s) -> float:
    s = str(s).strip().replace(",", "").replace("¥", "").replace("元", "")
    if s.endswith("万"):
        return float(s[:-1]) * 10000
    return float(s)


def _parse_date(s) -> dt.date:
    s = str(s).strip()
    m = re.match(r"(\d{4})[年/\-.](\d{1,2})[月/\-.](\d{1,2})日?$", s)
    if not m:
        raise ValueError(f"bad date {s!r}")
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


@dataclass
class Book:
    lang: str
    as_of: dt.date
    files: dict[str, Path]
    A: pd.DataFrame  # one row per account, index = account_id, with derived figures
    users: pd.DataFrame

    def team(self, manager_name: str) -> set[str]:
        u = self.users
        mh = u.loc[u["name"] == manager_name, "handle"].iloc[0]
        return set(u.loc[u["manager"] == mh, "name"])


def load_book(lang: str, base: Path = FIXTURES) -> Book:
    """Read a book's CSVs and compute the oracle's derived figures."""
    as_of = AS_OF[lang]
    files = {
        k: base / f"{lang}_{k}.csv" for k in ("users", "accounts", "contacts", "events", "nps")
    }
    users = pd.read_csv(files["users"], dtype=str, keep_default_na=False)
    acc = pd.read_csv(files["accounts"], dtype=str, keep_default_na=False)
    ev = pd.read_csv(files["events"], dtype=str, keep_default_na=False)
    nps = pd.read_csv(files["nps"], dtype=str, keep_default_na=False)
    con = pd.read_csv(files["contacts"], dtype=str, keep_default_na=False)
    if lang == "zh":
        acc = acc.rename(
            columns={
                "客户编号": "account_id",
                "客户名称": "name",
                "行业": "industry",
                "城市": "city",
                "省份": "province",
                "员工数": "employees",
                "成立年份": "founded",
                "负责人": "owner_name",
                "订阅版本": "plan",
                "年合同额": "arr",
                "合同开始日期": "contract_start",
                "合同到期日": "contract_end",
            }
        )
        ev = ev.rename(
            columns={
                "客户": "account",
                "时间": "timestamp",
                "类型": "type",
                "用户": "user",
                "功能": "feature",
                "金额": "amount",
            }
        )
        nps = nps.rename(columns={"客户": "account", "日期": "date", "评分": "score"})
        con = con.rename(columns={"客户": "account", "角色": "role", "态度": "attitude"})
        con["role"] = con["role"].map({"决策者": "EB", "技术评估": "TB", "使用者": "UB"})
        con["attitude"] = con["attitude"].map(
            {"支持": "supporter", "中立": "neutral", "反对": "blocker"}
        )
        name_to_id = dict(zip(acc["name"], acc["account_id"], strict=True))
        ev["account"] = ev["account"].map(name_to_id)
        nps["account"] = nps["account"].map(name_to_id)
    else:
        by_email = dict(zip(users["email"], users["name"], strict=True))
        acc["owner_name"] = acc["owner"].map(by_email)
        acc["annual_revenue"] = acc["annual_revenue"].astype(float)
    acc["arr"] = acc["arr"].map(_parse_money)
    acc["employees"] = acc["employees"].str.replace(",", "").astype(int)
    acc["founded"] = acc["founded"].astype(int)
    acc["contract_end"] = acc["contract_end"].map(_parse_date)
    acc["contract_start"] = acc["contract_start"].map(_parse_date)
    A = acc.set_index("account_id")

    ev["date"] = pd.to_datetime(ev["timestamp"]).dt.date
    ev["ago"] = ev["date"].map(lambda d: (as_of - d).days)
    ev["amount"] = pd.to_numeric(ev["amount"], errors="coerce").fillna(0.0)

    def measure(type_: str, lo: int, hi: int, how: str = "count") -> pd.Series:
        e = ev[(ev["type"] == type_) & (ev["ago"] >= lo) & (ev["ago"] < hi)]
        g = e.groupby("account")
        s = g.size() if how == "count" else g["amount"].sum()
        return s.reindex(A.index).fillna(0)

    logins = ev[ev["type"] == "login"].groupby("account")["ago"].min()
    A["days_since_login"] = logins.reindex(A.index)  # NaN = never
    for w in (7, 30, 90):
        A[f"logins_{w}"] = measure("login", 0, w)
        A[f"tickets_{w}"] = measure("ticket", 0, w)
        A[f"purchases_{w}"] = measure("purchase", 0, w)
        A[f"purchase_amount_{w}"] = measure("purchase", 0, w, "sum")
        A[f"feature_uses_{w}"] = measure("feature_use", 0, w)
    A["logins_prev30"] = measure("login", 30, 60)
    nps["d"] = nps["date"].map(_parse_date)
    nps["score"] = nps["score"].astype(int)
    latest = nps.sort_values("d").groupby("account").tail(1).set_index("account")
    A["nps"] = latest["score"].reindex(A.index)
    A["days_to_renewal"] = A["contract_end"].map(lambda d: (d - as_of).days)
    inactive15 = A["days_since_login"].isna() | (A["days_since_login"] >= 15)
    fell = (A["logins_prev30"] > 0) & (A["logins_30"] <= A["logins_prev30"] / 2)
    nps_renew = (A["nps"] <= 6) & A["days_to_renewal"].between(0, 90)
    A["churn_risk"] = inactive15 | fell | nps_renew
    A["high_value"] = (A["purchase_amount_30"] > 5000) & (A["purchases_30"] > 3)
    A["health"] = float("nan")  # filled from the product after the run
    con_by = con.groupby("account")
    A["blocker"] = A.index.map(
        lambda a: a in con_by.groups and (con_by.get_group(a)["attitude"] == "blocker").any()
    )
    A["eb_blocker"] = A.index.map(
        lambda a: (
            a in con_by.groups
            and (
                (con_by.get_group(a)["attitude"] == "blocker")
                & (con_by.get_group(a)["role"] == "EB")
            ).any()
        )
    )
    A["has_eb"] = A.index.map(
        lambda a: a in con_by.groups and (con_by.get_group(a)["role"] == "EB").any()
    )
    return Book(lang, as_of, files, A, users)


# --------------------------------------------------------------------------------------------
# Questions and answers
# --------------------------------------------------------------------------------------------


@dataclass
class Q:
    text: str
    kind: str  # set | top | count | value | group | rank (a breakdown, or its top rows)
    expect: Callable[[Book], object]  # returns one expected answer or a list of alternatives
    alts: list[Callable[[Book], object]] = field(default_factory=list)
    note: str = ""


def S(mask: pd.Series) -> set[str]:
    return set(mask[mask].index)


def TOP(A: pd.DataFrame, col: str, n: int, asc: bool = False) -> list[tuple[str, float]]:
    s = A[col].dropna().sort_values(ascending=asc)
    return list(zip(s.index, s.values, strict=True))[:n] + [("__pool__", s.to_dict())]


def GRP(s: pd.Series) -> dict[str, float]:
    return {str(k): float(v) for k, v in s.items()}


def month_bounds(as_of: dt.date, shift: int) -> tuple[dt.date, dt.date]:
    m = as_of.month - 1 + shift
    start = dt.date(as_of.year + m // 12, m % 12 + 1, 1)
    m2 = m + 1
    nxt = dt.date(as_of.year + m2 // 12, m2 % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def ends_between(A: pd.DataFrame, lo: dt.date, hi: dt.date) -> pd.Series:
    return A["contract_end"].map(lambda d: lo <= d <= hi)


def next_days(b: Book, n: int) -> pd.Series:
    return b.A["days_to_renewal"].between(0, n)


def no_login(b: Book, n: int, strict: bool = False) -> pd.Series:
    d = b.A["days_since_login"]
    return d.isna() | ((d > n) if strict else (d >= n))


def questions_en() -> list[Q]:
    """About 80 questions, the way English-speaking reps and CS managers type them."""

    def A(b):
        return b.A

    def nm(b, mm):
        return ends_between(b.A, *month_bounds(b.as_of, mm))

    q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    return [
        Q("list all customers in Boston", "set", lambda b: S(A(b).city == "Boston")),
        Q(
            "how many customers do we have in retail",
            "count",
            lambda b: int((A(b).industry == "retail").sum()),
        ),
        Q(
            "how many accounts are in the medical sector",
            "count",
            lambda b: int((A(b).industry == "medical").sum()),
        ),
        Q("show me technolgy accounts", "set", lambda b: S(A(b).industry == "technolgy")),
        Q(
            "technology companies",
            "set",
            lambda b: S(A(b).industry == "technolgy"),
            note="data spells the sector 'technolgy'",
        ),
        Q("telecommunications accounts", "set", lambda b: S(A(b).industry == "telecommunications")),
        Q("customers in Korea", "set", lambda b: S(A(b).country == "Korea")),
        Q("accounts based in Jordan", "set", lambda b: S(A(b).country == "Jordan")),
        Q(
            "which accounts are outside the United States",
            "set",
            lambda b: S(A(b).country != "United States"),
        ),
        Q("customers founded before 2000", "set", lambda b: S(A(b).founded < 2000)),
        Q(
            "companies established after 2010",
            "set",
            lambda b: S(A(b).founded > 2010),
            [lambda b: S(A(b).founded >= 2010)],
        ),
        Q("companies with more than 1000 employees", "set", lambda b: S(A(b).employees > 1000)),
        Q("accounts with fewer than 500 employees", "set", lambda b: S(A(b).employees < 500)),
        Q("companies with revenue over $5 billion", "set", lambda b: S(A(b).annual_revenue > 5e9)),
        Q(
            "subsidiaries of Acme Corporation",
            "set",
            lambda b: S(A(b).parent == "Acme Corporation"),
        ),
        Q("accounts whose parent company is Sonron", "set", lambda b: S(A(b).parent == "Sonron")),
        Q(
            "how many accounts have a parent company",
            "count",
            lambda b: int((A(b).parent != "").sum()),
        ),
        Q(
            "medical companies in the United States",
            "set",
            lambda b: S((A(b).industry == "medical") & (A(b).country == "United States")),
        ),
        Q(
            "retail accounts with over 3000 employees",
            "set",
            lambda b: S((A(b).industry == "retail") & (A(b).employees > 3000)),
        ),
        Q(
            "software companies founded before 1990",
            "set",
            lambda b: S((A(b).industry == "software") & (A(b).founded < 1990)),
        ),
        Q("accounts by sector", "group", lambda b: GRP(A(b).groupby("industry").size())),
        Q("how many accounts per country", "group", lambda b: GRP(A(b).groupby("country").size())),
        Q("number of customers in each city", "group", lambda b: GRP(A(b).groupby("city").size())),
        Q(
            "biggest 5 customers",
            "top",
            lambda b: TOP(A(b), "arr", 5),
            [lambda b: TOP(A(b), "annual_revenue", 5)],
        ),
        Q("top 10 accounts by ARR", "top", lambda b: TOP(A(b), "arr", 10)),
        Q("top 3 companies by employee count", "top", lambda b: TOP(A(b), "employees", 3)),
        Q("5 largest companies by revenue", "top", lambda b: TOP(A(b), "annual_revenue", 5)),
        Q("smallest 3 accounts by ARR", "top", lambda b: TOP(A(b), "arr", 3, asc=True)),
        Q("total ARR", "value", lambda b: float(A(b).arr.sum())),
        Q(
            "average ARR of enterprise accounts",
            "value",
            lambda b: float(A(b).arr[A(b).plan == "Enterprise"].mean()),
        ),
        Q("total ARR by owner", "group", lambda b: GRP(A(b).groupby("owner_name").arr.sum())),
        Q("ARR by sector", "group", lambda b: GRP(A(b).groupby("industry").arr.sum())),
        Q(
            "which reps have the most accounts",
            "rank",
            lambda b: GRP(A(b).groupby("owner_name").size()),
        ),
        Q("Darcel Schlecht's accounts", "set", lambda b: S(A(b).owner_name == "Darcel Schlecht")),
        Q(
            "accounts owned by Vicki Laflamme",
            "set",
            lambda b: S(A(b).owner_name == "Vicki Laflamme"),
        ),
        Q(
            "how many accounts does Cassey Cress have",
            "count",
            lambda b: int((A(b).owner_name == "Cassey Cress").sum()),
        ),
        Q(
            "accounts of Rocco Neubert's team",
            "set",
            lambda b: S(A(b).owner_name.isin(b.team("Rocco Neubert"))),
        ),
        Q("enterprise plan customers", "set", lambda b: S(A(b).plan == "Enterprise")),
        Q(
            "how many accounts on the starter plan",
            "count",
            lambda b: int((A(b).plan == "Starter").sum()),
        ),
        Q("accounts with ARR over 100k", "set", lambda b: S(A(b).arr > 100_000)),
        Q("accts with ARR between 20k and 50k", "set", lambda b: S(A(b).arr.between(20e3, 50e3))),
        Q("accts renewing in Q3", "set", lambda b: S(ends_between(A(b), *q3))),
        Q(
            "accts renewing next month",
            "set",
            lambda b: S(nm(b, 1)),
            [lambda b: S(next_days(b, 30))],
        ),
        Q("contracts ending in the next 60 days", "set", lambda b: S(next_days(b, 60))),
        Q(
            "which contracts expire this year",
            "set",
            lambda b: S(A(b).contract_end.map(lambda d: d.year == 2026)),
            [lambda b: S(ends_between(A(b), b.as_of, dt.date(2026, 12, 31)))],
        ),
        Q("expired contracts", "set", lambda b: S(A(b).days_to_renewal < 0)),
        Q(
            "enterprise accounts renewing in the next 90 days",
            "set",
            lambda b: S((A(b).plan == "Enterprise") & next_days(b, 90)),
        ),
        Q(
            "who hasn't logged in for a month",
            "set",
            lambda b: S(no_login(b, 30)),
            [lambda b: S(no_login(b, 31))],
        ),
        Q("accounts with no login in the last 15 days", "set", lambda b: S(no_login(b, 15))),
        Q("inactive for more than 60 days", "set", lambda b: S(no_login(b, 60, True))),
        Q("accounts that never logged in", "set", lambda b: S(A(b).days_since_login.isna())),
        Q("who logged in in the last 7 days", "set", lambda b: S(A(b).logins_7 > 0)),
        Q(
            "top 5 accounts by logins in the last 30 days",
            "top",
            lambda b: TOP(A(b), "logins_30", 5),
        ),
        Q(
            "accounts with more than 20 logins in the last 30 days",
            "set",
            lambda b: S(A(b).logins_30 > 20),
        ),
        Q(
            "accounts with more than 3 support tickets in the last 90 days",
            "set",
            lambda b: S(A(b).tickets_90 > 3),
        ),
        Q("who opened a ticket in the last week", "set", lambda b: S(A(b).tickets_7 > 0)),
        Q(
            "customers with no purchases in the last 90 days",
            "set",
            lambda b: S(A(b).purchases_90 == 0),
        ),
        Q(
            "accounts that bought something in the last 30 days",
            "set",
            lambda b: S(A(b).purchases_30 > 0),
        ),
        Q(
            "accounts with purchases over 5000 in the last 30 days",
            "set",
            lambda b: S(A(b).purchase_amount_30 > 5000),
        ),
        Q(
            "top 5 accounts by purchase amount in the last 90 days",
            "top",
            lambda b: TOP(A(b), "purchase_amount_90", 5),
        ),
        Q(
            "accounts whose logins dropped by half",
            "set",
            lambda b: S((A(b).logins_prev30 > 0) & (A(b).logins_30 <= A(b).logins_prev30 / 2)),
        ),
        Q("accounts whose NPS is 6 or lower", "set", lambda b: S(A(b).nps <= 6)),
        Q("which customers are promoters", "set", lambda b: S(A(b).nps >= 9)),
        Q(
            "detractors in retail",
            "set",
            lambda b: S((A(b).nps <= 6) & (A(b).industry == "retail")),
        ),
        Q("accounts with NPS above 8", "set", lambda b: S(A(b).nps > 8)),
        Q("how many detractors do we have", "count", lambda b: int((A(b).nps <= 6).sum())),
        Q("show churn-risk accounts", "set", lambda b: S(A(b).churn_risk)),
        Q(
            "how many accounts are at risk of churning",
            "count",
            lambda b: int(A(b).churn_risk.sum()),
        ),
        Q("high value accounts", "set", lambda b: S(A(b).high_value)),
        Q(
            "churn risk accounts owned by Darcel Schlecht",
            "set",
            lambda b: S(A(b).churn_risk & (A(b).owner_name == "Darcel Schlecht")),
        ),
        Q(
            "high-value customers in the United States",
            "set",
            lambda b: S(A(b).high_value & (A(b).country == "United States")),
        ),
        Q(
            "churn risk accounts renewing in the next 90 days",
            "set",
            lambda b: S(A(b).churn_risk & next_days(b, 90)),
        ),
        Q(
            "accounts with a health score below 50",
            "set",
            lambda b: S(A(b).health < 50),
            note="health from the product",
        ),
        Q(
            "5 least healthy accounts",
            "top",
            lambda b: TOP(A(b), "health", 5, asc=True),
            note="health from the product",
        ),
        Q(
            "finance accounts with ARR over 50k",
            "set",
            lambda b: S((A(b).industry == "finance") & (A(b).arr > 50_000)),
        ),
        Q(
            "medical accounts with no login in 30 days",
            "set",
            lambda b: S((A(b).industry == "medical") & no_login(b, 30)),
        ),
        Q(
            "retail customers in Chicago with more than 1000 employees",
            "set",
            lambda b: S(
                (A(b).industry == "retail") & (A(b).city == "Chicago") & (A(b).employees > 1000)
            ),
        ),
        Q(
            "enterprise accounts with NPS 6 or lower",
            "set",
            lambda b: S((A(b).plan == "Enterprise") & (A(b).nps <= 6)),
        ),
        Q(
            "accounts in Seattle renewing this year",
            "set",
            lambda b: S((A(b).city == "Seattle") & A(b).contract_end.map(lambda d: d.year == 2026)),
            [
                lambda b: S(
                    (A(b).city == "Seattle") & ends_between(A(b), b.as_of, dt.date(2026, 12, 31))
                )
            ],
        ),
        Q(
            "count of software accounts founded after 1995",
            "count",
            lambda b: int(((A(b).industry == "software") & (A(b).founded > 1995)).sum()),
        ),
        Q("average ARR by plan", "group", lambda b: GRP(A(b).groupby("plan").arr.mean())),
        Q("which accounts have a blocker", "set", lambda b: S(A(b).blocker)),
        Q(
            "how many accounts does each rep own",
            "group",
            lambda b: GRP(A(b).groupby("owner_name").size()),
        ),
        Q(
            "customers in Germany or Brazil",
            "set",
            lambda b: S(A(b).country.isin(["Germany", "Brazil"])),
        ),
        Q("accounts without any NPS response", "set", lambda b: S(A(b).nps.isna())),
        Q(
            "entertainment companies with fewer than 1000 employees",
            "set",
            lambda b: S((A(b).industry == "entertainment") & (A(b).employees < 1000)),
        ),
        Q(
            "contracts ending in 2027",
            "set",
            lambda b: S(A(b).contract_end.map(lambda d: d.year == 2027)),
        ),
        Q(
            "accounts in New York or San Francisco",
            "set",
            lambda b: S(A(b).city.isin(["New York", "San Francisco"])),
        ),
    ]


def questions_zh() -> list[Q]:
    """About 80 questions, the way Chinese-speaking 销售 and 客户成功 type them."""

    def A(b):
        return b.A

    def this_q(b):
        return ends_between(A(b), dt.date(2027, 1, 1), dt.date(2027, 3, 31))

    def nm(b):
        return ends_between(A(b), *month_bounds(b.as_of, 1))

    y27 = lambda b: A(b).contract_end.map(lambda d: d.year == 2027)  # noqa: E731
    return [
        Q("北京的客户", "set", lambda b: S(A(b).city == "北京")),
        Q("上海有多少客户", "count", lambda b: int((A(b).city == "上海").sum())),
        Q("列出所有深圳的客户", "set", lambda b: S(A(b).city == "深圳")),
        Q("制造业客户有哪些", "set", lambda b: S(A(b).industry == "制造业")),
        Q("医疗行业客户数量", "count", lambda b: int((A(b).industry == "医疗").sum())),
        Q("每个城市有多少客户", "group", lambda b: GRP(A(b).groupby("city").size())),
        Q("各行业客户数", "group", lambda b: GRP(A(b).groupby("industry").size())),
        Q(
            "年合同额10万以上的制造业客户",
            "set",
            lambda b: S((A(b).arr >= 100_000) & (A(b).industry == "制造业")),
            [lambda b: S((A(b).arr > 100_000) & (A(b).industry == "制造业"))],
        ),
        Q("年合同额超过50万的客户", "set", lambda b: S(A(b).arr > 500_000)),
        Q("前5大客户", "top", lambda b: TOP(A(b), "arr", 5)),
        Q("年合同额最高的10个客户", "top", lambda b: TOP(A(b), "arr", 10)),
        Q("年合同额最低的3个客户", "top", lambda b: TOP(A(b), "arr", 3, asc=True)),
        Q("年合同额总计是多少", "value", lambda b: float(A(b).arr.sum())),
        Q("平均年合同额", "value", lambda b: float(A(b).arr.mean())),
        Q("各负责人的年合同额合计", "group", lambda b: GRP(A(b).groupby("owner_name").arr.sum())),
        Q("张三负责的客户", "set", lambda b: S(A(b).owner_name == "张三")),
        Q("李四有多少客户", "count", lambda b: int((A(b).owner_name == "李四").sum())),
        Q("哪个销售的客户最多", "rank", lambda b: GRP(A(b).groupby("owner_name").size())),
        Q(
            "王芳负责的医疗客户",
            "set",
            lambda b: S((A(b).owner_name == "王芳") & (A(b).industry == "医疗")),
        ),
        Q("合同下个月到期的有哪些", "set", lambda b: S(nm(b)), [lambda b: S(next_days(b, 30))]),
        Q("未来30天内到期的合同", "set", lambda b: S(next_days(b, 30))),
        Q(
            "本季度到期的客户",
            "set",
            lambda b: S(this_q(b)),
            [lambda b: S(ends_between(A(b), b.as_of, dt.date(2027, 3, 31)))],
        ),
        Q(
            "今年到期的客户",
            "set",
            lambda b: S(y27(b)),
            [lambda b: S(ends_between(A(b), b.as_of, dt.date(2027, 12, 31)))],
        ),
        Q("合同已经过期的客户", "set", lambda b: S(A(b).days_to_renewal < 0)),
        Q(
            "最近三个月没有下单的客户",
            "set",
            lambda b: S(A(b).purchases_90 == 0),
            [
                lambda b: S(
                    ~A(b).index.to_series().isin(b_purchasers_since(b, dt.date(2026, 10, 15)))
                )
            ],
        ),
        Q(
            "超过15天没登录的客户",
            "set",
            lambda b: S(no_login(b, 15, True)),
            [lambda b: S(no_login(b, 15))],
        ),
        Q(
            "一个月没登录的客户",
            "set",
            lambda b: S(no_login(b, 30)),
            [lambda b: S(no_login(b, 31))],
        ),
        Q("从来没有登录过的客户", "set", lambda b: S(A(b).days_since_login.isna())),
        Q("最近7天登录过的客户", "set", lambda b: S(A(b).logins_7 > 0)),
        Q("近30天登录次数超过20次的客户", "set", lambda b: S(A(b).logins_30 > 20)),
        Q("近30天登录次数最多的5个客户", "top", lambda b: TOP(A(b), "logins_30", 5)),
        Q("近30天购买金额大于5000的客户", "set", lambda b: S(A(b).purchase_amount_30 > 5000)),
        Q("近90天购买金额最高的前3个客户", "top", lambda b: TOP(A(b), "purchase_amount_90", 3)),
        Q("最近一个月有工单的客户", "set", lambda b: S(A(b).tickets_30 > 0)),
        Q("哪些客户是推荐者", "set", lambda b: S(A(b).nps >= 9)),
        Q("贬损者有多少", "count", lambda b: int((A(b).nps <= 6).sum())),
        Q("NPS低于7分的客户", "set", lambda b: S(A(b).nps < 7)),
        Q("健康度低于60的客户", "set", lambda b: S(A(b).health < 60), note="health from product"),
        Q(
            "健康度最高的5个客户",
            "top",
            lambda b: TOP(A(b), "health", 5),
            note="health from product",
        ),
        Q("流失风险客户", "set", lambda b: S(A(b).churn_risk)),
        Q("有流失风险的客户有多少", "count", lambda b: int(A(b).churn_risk.sum())),
        Q("高价值客户", "set", lambda b: S(A(b).high_value)),
        Q("上海的高价值客户", "set", lambda b: S(A(b).high_value & (A(b).city == "上海"))),
        Q(
            "张三负责的有流失风险的客户",
            "set",
            lambda b: S(A(b).churn_risk & (A(b).owner_name == "张三")),
        ),
        Q("员工数超过1000人的客户", "set", lambda b: S(A(b).employees > 1000)),
        Q("员工少于100人的客户", "set", lambda b: S(A(b).employees < 100)),
        Q(
            "2010年以后成立的客户",
            "set",
            lambda b: S(A(b).founded > 2010),
            [lambda b: S(A(b).founded >= 2010)],
        ),
        Q("成立于2000年之前的企业", "set", lambda b: S(A(b).founded < 2000)),
        Q("企业版客户", "set", lambda b: S(A(b).plan == "企业版")),
        Q("专业版客户有多少", "count", lambda b: int((A(b).plan == "专业版").sum())),
        Q("杭州的教育客户", "set", lambda b: S((A(b).city == "杭州") & (A(b).industry == "教育"))),
        Q(
            "苏州制造业客户中年合同额超过20万的",
            "set",
            lambda b: S((A(b).city == "苏州") & (A(b).industry == "制造业") & (A(b).arr > 200_000)),
        ),
        Q("北京和上海的客户", "set", lambda b: S(A(b).city.isin(["北京", "上海"]))),
        Q("不在北京的客户", "set", lambda b: S(A(b).city != "北京")),
        Q("各订阅版本的客户数", "group", lambda b: GRP(A(b).groupby("plan").size())),
        Q("各城市年合同额合计", "group", lambda b: GRP(A(b).groupby("city").arr.sum())),
        Q("各行业平均年合同额", "group", lambda b: GRP(A(b).groupby("industry").arr.mean())),
        Q(
            "零售行业年合同额总和",
            "value",
            lambda b: float(A(b).arr[A(b).industry == "零售"].sum()),
        ),
        Q(
            "金融客户里年合同额最大的3个",
            "top",
            lambda b: TOP(A(b)[A(b).industry == "金融"], "arr", 3),
        ),
        Q(
            "近30天没有登录的金融客户",
            "set",
            lambda b: S((A(b).industry == "金融") & no_login(b, 30)),
        ),
        Q(
            "下个月到期的企业版客户",
            "set",
            lambda b: S(nm(b) & (A(b).plan == "企业版")),
            [lambda b: S(next_days(b, 30) & (A(b).plan == "企业版"))],
        ),
        Q(
            "合同90天内到期且NPS不高于6的客户",
            "set",
            lambda b: S(next_days(b, 90) & (A(b).nps <= 6)),
        ),
        Q("周建国团队的客户", "set", lambda b: S(A(b).owner_name.isin(b.team("周建国")))),
        Q(
            "登录次数下降一半以上的客户",
            "set",
            lambda b: S((A(b).logins_prev30 > 0) & (A(b).logins_30 <= A(b).logins_prev30 / 2)),
        ),
        Q("浙江的客户", "set", lambda b: S(A(b).province == "浙江省")),
        Q("广东省有多少客户", "count", lambda b: int((A(b).province == "广东省").sum())),
        Q("年合同额在10万到30万之间的客户", "set", lambda b: S(A(b).arr.between(100_000, 300_000))),
        Q("成都有几个客户", "count", lambda b: int((A(b).city == "成都").sum())),
        Q("软件行业的客户", "set", lambda b: S(A(b).industry == "软件")),
        Q(
            "物流客户按城市分布",
            "group",
            lambda b: GRP(A(b)[A(b).industry == "物流"].groupby("city").size()),
        ),
        Q("近30天有购买的客户有多少", "count", lambda b: int((A(b).purchases_30 > 0).sum())),
        Q("最近90天工单超过3个的客户", "set", lambda b: S(A(b).tickets_90 > 3)),
        Q("刘洋名下的客户数量", "count", lambda b: int((A(b).owner_name == "刘洋").sum())),
        Q("赵磊的高价值客户", "set", lambda b: S(A(b).high_value & (A(b).owner_name == "赵磊"))),
        Q("有反对者的客户", "set", lambda b: S(A(b).blocker)),
        Q("员工数最多的3家公司", "top", lambda b: TOP(A(b), "employees", 3)),
        Q(
            "南京的零售客户有哪些",
            "set",
            lambda b: S((A(b).city == "南京") & (A(b).industry == "零售")),
        ),
        Q(
            "超过60天没登录的制造业客户",
            "set",
            lambda b: S((A(b).industry == "制造业") & no_login(b, 60, True)),
            [lambda b: S((A(b).industry == "制造业") & no_login(b, 60))],
        ),
        Q("每个负责人有多少客户", "group", lambda b: GRP(A(b).groupby("owner_name").size())),
        Q("没有NPS评分的客户", "set", lambda b: S(A(b).nps.isna())),
        Q("2028年到期的客户", "set", lambda b: S(A(b).contract_end.map(lambda d: d.year == 2028))),
        Q(
            "深圳或广州的零售客户",
            "set",
            lambda b: S(A(b).city.isin(["深圳", "广州"]) & (A(b).industry == "零售")),
        ),
        Q("员工数在100到1000之间的客户", "set", lambda b: S(A(b).employees.between(100, 1000))),
        Q(
            "基础版客户的年合同额合计",
            "value",
            lambda b: float(A(b).arr[A(b).plan == "基础版"].sum()),
        ),
    ]


def b_purchasers_since(b: Book, since: dt.date) -> set[str]:
    ev = pd.read_csv(b.files["events"], dtype=str, keep_default_na=False)
    if b.lang == "zh":
        ev = ev.rename(columns={"客户": "account", "时间": "timestamp", "类型": "type"})
        ids = dict(zip(b.A["name"], b.A.index, strict=True))
        ev["account"] = ev["account"].map(ids)
    ev = ev[ev["type"] == "purchase"]
    d = pd.to_datetime(ev["timestamp"]).dt.date
    return set(ev.loc[d > since, "account"])


QUESTIONS: dict[str, Callable[[], list[Q]]] = {"en": questions_en, "zh": questions_zh}


# --------------------------------------------------------------------------------------------
# Running the product and scoring
# --------------------------------------------------------------------------------------------


@dataclass
class BookRun:
    imports: dict[str, dict]
    import_problems: list[str]
    answers: list[dict]
    db: Path


def run_book(book: Book, questions: list[Q], workdir: Path) -> BookRun:
    """Import the book with the real CLI into a fresh SQLite file and ask every question."""
    db = workdir / f"{book.lang}.db"
    kinds = ("users", "accounts", "contacts", "events", "nps")
    built = heldout.build(
        f"sqlite:///{db}", [(book.files[k], k, ()) for k in kinds], as_of=book.as_of
    )
    imports = {k: rep for k, rep in zip(kinds, built.reports, strict=True)}
    problems = list(built.problems)
    got, err = heldout.ask_all(built.env, [q.text for q in questions], book.as_of)
    answers = [a if a is not None else {"error": "no answer"} for a in got]
    if any(a is None for a in got):
        problems.append(f"ask: {err[-800:]}")
    fill_health(book, db)
    problems += owner_links(db)
    return BookRun(imports, problems, answers, db)


def owner_links(db: Path) -> list[str]:
    """Owner values the import kept as text that name no user by handle or email."""
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    try:
        known = {
            str(x).lower()
            for row in con.execute("SELECT handle, email FROM users")
            for x in row
            if x
        }
        owners = [r[0] for r in con.execute("SELECT DISTINCT owner FROM accounts") if r[0]]
    except sqlite3.Error:
        return []
    finally:
        con.close()
    loose = sorted(o for o in owners if o.lower() not in known)
    if not loose:
        return []
    return [f"owner kept as text not linked to a user handle/email: {loose[:8]}"]


def fill_health(book: Book, db: Path) -> None:
    """Take the product's health score (its own formula) into the oracle frame."""
    if not db.exists():
        return
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT a.external_id, f.health_score FROM account_figures f "
            "JOIN accounts a ON a.id = f.account_id WHERE f.as_of = ?",
            (book.as_of.isoformat(),),
        ).fetchall()
    except sqlite3.Error:
        rows = []
    finally:
        con.close()
    h = {k: v for k, v in rows if v is not None}
    book.A["health"] = book.A.index.map(lambda a: h.get(a, float("nan")))


def _names(book: Book) -> dict[str, str]:
    """Any spelling of a user (handle, email, name) -> the user's name."""
    out = {}
    for _, u in book.users.iterrows():
        for k in (u["handle"], u["email"], u["name"]):
            out[str(k).lower()] = u["name"]
    return out


def got_of(kind: str, ans: dict, book: Book):
    """The answer in the oracle's shape."""
    if kind == "set":
        return {a.get("account_id") for a in ans.get("accounts") or []}
    if kind == "top":
        return [a.get("account_id") for a in ans.get("accounts") or []]
    if kind in ("count", "value"):
        return ans.get("value")
    if kind in ("group", "rank"):
        names = _names(book)
        out = {}
        for r in ans.get("rows") or []:
            key = str(r.get("key"))
            key = names.get(key.lower(), names.get(str(r.get("handle", "")).lower(), key))
            v = r.get("value")
            out[key] = float(v if v is not None else r.get("count") or 0)
        return out
    raise ValueError(kind)


def matches(kind: str, expected, got) -> bool:
    if kind == "set":
        return got == expected
    if kind == "top":
        *top, (_, pool) = expected
        if len(got) != len(top):
            return False
        for (_, v), g in zip(top, got, strict=True):
            if g not in pool or abs(pool[g] - v) > 1e-9:
                return False
        return len(set(got)) == len(got)
    if kind == "count":
        return got is not None and float(got) == float(expected)
    if kind == "value":
        return got is not None and abs(float(got) - expected) <= 0.005 * max(1.0, abs(expected))
    if kind == "rank":  # the whole breakdown, or its first rows (ties allowed at the cut)
        if not got or not set(got) <= set(expected):
            return False
        if any(abs(got[k] - expected[k]) > 0.005 * max(1.0, abs(expected[k])) for k in got):
            return False
        rest = [v for k, v in expected.items() if k not in got]
        return not rest or min(got.values()) >= max(rest)
    if kind == "group":
        if set(got) != set(expected):
            return False
        return all(abs(got[k] - expected[k]) <= 0.005 * max(1.0, abs(expected[k])) for k in got)
    raise ValueError(kind)


def show(kind: str, v, limit: int = 12) -> str:
    if kind == "set":
        s = sorted(v)
        return f"{len(s)}: {s[:limit]}{' …' if len(s) > limit else ''}"
    if kind == "top" and v and isinstance(v[-1], tuple) and v[-1][0] == "__pool__":
        return str([(k, round(x, 1)) for k, x in v[:-1]])
    if kind in ("group", "rank"):
        return json.dumps({k: round(x, 1) for k, x in sorted(v.items())}, ensure_ascii=False)[:400]
    return str(v)


@dataclass
class Result:
    q: Q
    ok: bool
    expected: object
    got: object
    understood: str
    text: str


def score(book: Book, questions: list[Q], run: BookRun) -> list[Result]:
    out = []
    for i, q in enumerate(questions):
        ans = run.answers[i] if i < len(run.answers) else {}
        exps = [q.expect(book), *(a(book) for a in q.alts)]
        got = got_of(q.kind, ans, book)
        ok = any(matches(q.kind, e, got) for e in exps)
        und = json.dumps(ans.get("understood"), ensure_ascii=False, separators=(",", ":"))
        und = re.sub(
            r',"window_days":null|,"negate":false|"any":\[\],?|,"mine":false'
            r'|,"owner":null|,"account":null|,"offset":0|,"show":\[\]',
            "",
            und,
        )
        out.append(Result(q, ok, exps[0], got, und, str(ans.get("text", ans.get("error", "")))))
    return out


def sanity(book: Book, questions: list[Q]) -> list[str]:
    """Oracle self-checks: no empty or all-accounts sets, no ties at a top-N cut."""
    issues = []
    n = len(book.A)
    for q in questions:
        e = q.expect(book)
        if q.kind == "set" and (not e or len(e) == n) and "health" not in q.note:
            issues.append(f"{q.text}: trivial expected set ({len(e)})")
        if q.kind == "top":
            *top, (_, pool) = e
            vals = sorted(pool.values(), reverse=not q.text.startswith(("smallest", "5 least")))
            k = len(top)
            if len(vals) > k and vals[k - 1] == vals[k]:
                issues.append(f"{q.text}: tie at the top-{k} cut")
    return issues


def evaluate(lang: str, limit: int | None = None, workdir: Path | None = None):
    """Run one book; return (book, results, run)."""
    book = load_book(lang)
    qs = QUESTIONS[lang]()[: limit or None]
    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix=f"unseen2_{lang}_"))
    run = run_book(book, qs, workdir)
    return book, score(book, qs, run), run


def report(lang: str, results: list[Result], run: BookRun, verbose: bool = False) -> str:
    ok = sum(r.ok for r in results)
    lines = [f"== book {lang}: {ok}/{len(results)} exactly right = {ok / len(results):.1%}"]
    for p in run.import_problems:
        lines.append(f"  IMPORT PROBLEM: {p}")
    for r in results:
        if r.ok and not verbose:
            continue
        lines.append(f"  [{'ok' if r.ok else 'FAIL'}] {r.q.text}  ({r.q.kind})")
        if not r.ok:
            lines.append(f"      expected: {show(r.q.kind, r.expected)}")
            lines.append(f"      got:      {show(r.q.kind, r.got)}")
            lines.append(f"      understood: {r.understood[:400]}")
            lines.append(f"      text: {r.text.splitlines()[0][:200] if r.text else ''}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generate", action="store_true", help="rewrite the fixture CSVs")
    ap.add_argument("--book", choices=["en", "zh", "both"], default="both")
    ap.add_argument("--limit", type=int, default=None, help="only the first N questions")
    ap.add_argument("--verbose", action="store_true", help="show passing questions too")
    ap.add_argument("--sanity", action="store_true", help="check the oracle only")
    a = ap.parse_args()
    if a.generate:
        generate()
        print(f"wrote {FIXTURES}")
        return
    for lang in ("en", "zh") if a.book == "both" else (a.book,):
        if a.sanity:
            book = load_book(lang)
            for i in sanity(book, QUESTIONS[lang]()):
                print(f"{lang}: {i}")
            continue
        _, results, run = evaluate(lang, a.limit)
        print(report(lang, results, run, a.verbose))


if __name__ == "__main__":
    main()
