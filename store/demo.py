"""A realistic, deterministic demo book: users in every role, ~300 accounts, 120 days of events.

The same seed and `today` always give the same book. Accounts follow one of four life stories —
active, growing, fading, dormant — so every feature (inactivity, churn risk, high value, renewals,
RFM, health, interviews) has something to show.

Planted for personas (with a random stream of their own, so the rest of the book is what it was):
fading and dormant accounts — the ones that turn churn-risk, and the dormant ones marked churned —
lean to retail, rarely have an economic buyer who supports us, seldom use the `workflow` feature,
and complain about price in their NPS comments. Price sensitivity is the decoy: it is drawn
without regard to the story, so a persona must not report it as a difference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from store.identity import normalise_domain, normalise_name
from store.models import Account, Base, Contact, Event, NpsResponse, User
from store.refresh import mark_stale, pin_as_of

HISTORY_DAYS = 120
DEMO_EMAIL_DOMAIN = "profilebot.demo"

USERS: list[dict[str, Any]] = [
    {"handle": "admin", "name": "Ada Admin", "role": "admin", "tz": "Asia/Shanghai", "lang": "en"},
    {
        "handle": "mia",
        "name": "陈敏 Mia Chen",
        "role": "manager",
        "tz": "Asia/Shanghai",
        "lang": "zh",
    },
    {
        "handle": "mark",
        "name": "Mark Lee",
        "role": "manager",
        "tz": "America/New_York",
        "lang": "en",
    },
    {
        "handle": "wang",
        "name": "王磊",
        "role": "sales",
        "mgr": "mia",
        "tz": "Asia/Shanghai",
        "lang": "zh",
    },
    {
        "handle": "li",
        "name": "李娜",
        "role": "sales",
        "mgr": "mia",
        "tz": "Asia/Shanghai",
        "lang": "zh",
    },
    {
        "handle": "zhang",
        "name": "张伟",
        "role": "sales",
        "mgr": "mia",
        "tz": "Asia/Shanghai",
        "lang": "zh",
    },
    {
        "handle": "bob",
        "name": "Bob Smith",
        "role": "sales",
        "mgr": "mark",
        "tz": "America/New_York",
        "lang": "en",
    },
    {
        "handle": "alice",
        "name": "Alice Wong",
        "role": "sales",
        "mgr": "mark",
        "tz": "Asia/Singapore",
        "lang": "en",
    },
    {
        "handle": "zhao",
        "name": "赵静",
        "role": "csm",
        "mgr": "mia",
        "tz": "Asia/Shanghai",
        "lang": "zh",
    },
    {
        "handle": "carol",
        "name": "Carol Davis",
        "role": "csm",
        "mgr": "mark",
        "tz": "America/New_York",
        "lang": "en",
    },
]
SALES = ["wang", "li", "zhang", "bob", "alice"]
CSM_OF = {"wang": "zhao", "li": "zhao", "zhang": "zhao", "bob": "carol", "alice": "carol"}

ZH_PREFIX = [
    "华信",
    "云启",
    "鼎盛",
    "恒通",
    "智联",
    "天合",
    "博远",
    "瑞丰",
    "星辰",
    "宏达",
    "汇智",
    "海纳",
    "中科",
    "金桥",
    "远航",
    "新元",
    "锦程",
    "德信",
    "凯越",
    "明道",
    "安捷",
    "睿思",
    "正泰",
    "同创",
    "永辉",
    "九州",
    "蓝海",
    "领航",
    "创新",
    "卓越",
    "东方",
    "北辰",
    "南风",
    "西岭",
    "数衍",
    "极光",
]
ZH_SUFFIX = {
    "fintech": "金融科技",
    "ecommerce": "电商",
    "manufacturing": "智能制造",
    "logistics": "物流",
    "healthcare": "医疗科技",
    "education": "教育科技",
    "saas": "软件",
    "retail": "零售",
    "gaming": "网络科技",
    "energy": "新能源",
}
EN_WORDS = [
    "Acme",
    "Apex",
    "Blue",
    "Bright",
    "Cloud",
    "Core",
    "Delta",
    "Echo",
    "Falcon",
    "Globe",
    "Harbor",
    "Iron",
    "Jade",
    "Keystone",
    "Lumen",
    "Maple",
    "Nimbus",
    "Nova",
    "Orbit",
    "Pine",
    "Quantum",
    "River",
    "Summit",
    "Terra",
    "Umbra",
    "Vertex",
    "Willow",
    "Zenith",
    "Atlas",
    "Beacon",
]
EN_SUFFIX = {
    "fintech": "Pay",
    "ecommerce": "Commerce",
    "manufacturing": "Industries",
    "logistics": "Logistics",
    "healthcare": "Health",
    "education": "Learning",
    "saas": "Software",
    "retail": "Retail",
    "gaming": "Games",
    "energy": "Energy",
}
INDUSTRY_LABEL_ZH = {
    "fintech": "金融科技",
    "ecommerce": "电商",
    "manufacturing": "制造业",
    "logistics": "物流",
    "healthcare": "医疗健康",
    "education": "教育",
    "saas": "企业服务",
    "retail": "零售",
    "gaming": "游戏",
    "energy": "新能源",
}
INDUSTRY_LABEL_EN = {
    "fintech": "Fintech",
    "ecommerce": "E-commerce",
    "manufacturing": "Manufacturing",
    "logistics": "Logistics",
    "healthcare": "Healthcare",
    "education": "Education",
    "saas": "SaaS",
    "retail": "Retail",
    "gaming": "Gaming",
    "energy": "Energy",
}
CITIES_ZH = [
    ("上海", "上海"),
    ("北京", "北京"),
    ("深圳", "广东"),
    ("杭州", "浙江"),
    ("广州", "广东"),
    ("成都", "四川"),
    ("南京", "江苏"),
    ("苏州", "江苏"),
    ("武汉", "湖北"),
    ("西安", "陕西"),
]
CITIES_EN = [
    ("Shanghai", "Shanghai", "China"),
    ("Beijing", "Beijing", "China"),
    ("Shenzhen", "Guangdong", "China"),
    ("Singapore", None, "Singapore"),
    ("Hong Kong", None, "China"),
    ("New York", "NY", "US"),
    ("London", None, "UK"),
    ("San Francisco", "CA", "US"),
]
PLANS = [
    ("basic", 0.3, (12_000, 40_000)),
    ("pro", 0.45, (40_000, 150_000)),
    ("enterprise", 0.25, (150_000, 800_000)),
]
FEATURES = ["dashboard", "reports", "api", "export", "workflow", "alerts", "sso", "ai_assistant"]
TITLES = {
    "EB": [
        ("CEO", "首席执行官"),
        ("CFO", "财务总监"),
        ("VP Sales", "销售副总裁"),
        ("COO", "运营总监"),
    ],
    "TB": [("CTO", "技术总监"), ("IT Manager", "IT经理"), ("Head of Data", "数据负责人")],
    "UB": [
        ("Ops Specialist", "运营专员"),
        ("Sales Manager", "销售经理"),
        ("Analyst", "数据分析师"),
    ],
}
ZH_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
ZH_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
]
EN_FIRST = [
    "James",
    "Mary",
    "John",
    "Linda",
    "David",
    "Susan",
    "Michael",
    "Karen",
    "Daniel",
    "Emma",
    "Oliver",
    "Sophia",
    "Lucas",
    "Mia",
    "Ethan",
    "Grace",
]
EN_LAST = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Miller",
    "Wilson",
    "Moore",
    "Clark",
    "Hall",
    "Young",
]
NPS_COMMENTS = {
    "promoter": [
        ("Great product, the reports save us hours.", "报表功能很好用，节省大量时间。"),
        ("Support is quick and helpful.", "客服响应很快。"),
    ],
    "passive": [
        ("Works fine, but onboarding was slow.", "还可以，就是上手慢。"),
        ("Pricing is a bit high for what we use.", "价格偏贵。"),
    ],
    "detractor": [
        ("Too many bugs in the export.", "导出功能问题太多。"),
        ("We are evaluating alternatives.", "我们在考虑其他产品。"),
        ("Slow dashboards, team stopped using it.", "仪表盘太慢，团队不用了。"),
    ],
}
PAINS = [
    ("manual reporting takes days", "手工报表耗时"),
    ("data scattered across tools", "数据分散"),
    ("slow approval process", "审批流程慢"),
    ("low sales visibility", "销售过程不透明"),
]
STORIES = [("active", 0.56), ("growing", 0.16), ("fading", 0.16), ("dormant", 0.12)]
CHURNY = ("fading", "dormant")
PRICE_COMPLAINTS = [
    ("Price is too high for our budget.", "价格太贵，预算不够。"),
    ("The price went up again; hard to justify the renewal.", "价格又涨了，续约很难说服老板。"),
]
PLANTED_INDUSTRY = "retail"
PLANTED_FEATURE = "workflow"


def _pick(rng: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    r = rng.random()
    acc = 0.0
    for item, w in weighted:
        acc += w
        if r < acc:
            return item
    return weighted[-1][0]


def _key(*parts: Any) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


def _users(session: Session) -> dict[str, User]:
    by_handle: dict[str, User] = {}
    for u in USERS:
        user = User(
            handle=u["handle"],
            name=u["name"],
            email=f"{u['handle']}@{DEMO_EMAIL_DOMAIN}",
            role=u["role"],
            timezone=u["tz"],
            language=u["lang"],
            slack_id=f"U{u['handle'].upper():0<9}"[:11],
            wecom_id=u["handle"],
        )
        session.add(user)
        by_handle[u["handle"]] = user
    session.flush()
    for u in USERS:
        if u.get("mgr"):
            by_handle[u["handle"]].manager_id = by_handle[u["mgr"]].id
    session.flush()
    return by_handle


def existing_book(session: Session) -> tuple[int, int, list[str]]:
    """(accounts, users, handles of users that are not demo users) already in the database."""
    accounts = session.scalar(select(func.count()).select_from(Account)) or 0
    users = session.execute(select(User.handle, User.email).order_by(User.handle)).all()
    foreign = [h for h, e in users if not (e or "").endswith("@" + DEMO_EMAIL_DOMAIN)]
    return accounts, len(users), foreign


def clear_book(session: Session) -> None:
    """Delete every row of every table (the schema stays): the demo book is replaced whole."""
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    session.flush()


def _company(
    rng: random.Random, i: int, industry: str, chinese: bool, used: set[str]
) -> tuple[str, str]:
    for attempt in range(50):
        if chinese:
            name = rng.choice(ZH_PREFIX) + ZH_SUFFIX[industry]
            tail = ["有限公司", "股份有限公司", "科技有限公司", ""]
            if "科技" in name:
                tail = ["有限公司", "股份有限公司", ""]
            name += rng.choice(tail)
            domain = f"{_key(name)[:6]}.cn"
        else:
            name = f"{rng.choice(EN_WORDS)} {EN_SUFFIX[industry]}"
            name += rng.choice([" Inc", " Ltd", " Co", "", " Group"])
            domain = f"{name.split()[0].lower()}{EN_SUFFIX[industry].lower()}{'' if attempt == 0 else attempt}.com"
        norm = normalise_name(name)
        if norm not in used:
            used.add(norm)
            return name, domain
    name = f"{rng.choice(EN_WORDS)} {EN_SUFFIX[industry]} {i}"
    used.add(normalise_name(name))
    return name, f"acct{i}.com"


def _person(rng: random.Random, chinese: bool) -> str:
    if chinese:
        return (
            rng.choice(ZH_SURNAMES)
            + rng.choice(ZH_GIVEN)
            + (rng.choice(ZH_GIVEN) if rng.random() < 0.5 else "")
        )
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


def generate(
    session: Session, *, accounts: int = 300, seed: int = 7, today: dt.date
) -> dict[str, int]:
    """Fill an empty database with the demo book as of `today`; returns counts."""
    rng = random.Random(seed)
    users = _users(session)
    used_names: set[str] = set()
    industries = list(ZH_SUFFIX)
    start = today - dt.timedelta(days=HISTORY_DAYS)
    account_rows: list[dict[str, Any]] = []
    stories: list[str] = []
    big_buyers: list[bool] = []
    industry_keys: list[str] = []
    for i in range(accounts):
        industry = rng.choice(industries)
        chinese = rng.random() < 0.6
        name, domain = _company(rng, i, industry, chinese, used_names)
        owner = rng.choice(
            SALES[:3]
            if chinese and rng.random() < 0.8
            else SALES[3:]
            if rng.random() < 0.8
            else SALES
        )
        plan, _, (lo, hi) = _pick(rng, [(p, p[1]) for p in PLANS])
        arr = round(rng.uniform(lo, hi) / 100) * 100
        if chinese:
            city, province = rng.choice(CITIES_ZH)
            country = "中国"
        else:
            city, province, country = rng.choice(CITIES_EN)
        contract_end = today + dt.timedelta(days=rng.randint(-20, 400))
        contract_start = contract_end - dt.timedelta(days=365 * rng.choice([1, 1, 1, 2, 3]))
        story = _pick(rng, STORIES)
        stories.append(story)
        industry_keys.append(industry)
        big_buyers.append(story in ("active", "growing") and rng.random() < 0.12)
        sparse = rng.random() < 0.3  # some profiles are thin, so completeness varies
        pains = rng.choice(PAINS)
        account_rows.append(
            {
                "external_id": f"C{1000 + i}",
                "name": name,
                "name_norm": normalise_name(name),
                "domain": normalise_domain(domain),
                "industry": (INDUSTRY_LABEL_ZH if chinese else INDUSTRY_LABEL_EN)[industry],
                "employees": None
                if sparse and rng.random() < 0.5
                else int(rng.lognormvariate(5, 1.1)) + 10,
                "annual_revenue": None if sparse else round(arr * rng.uniform(8, 60), -3),
                "city": city,
                "province": province,
                "country": country,
                "founded": None if sparse else rng.randint(1995, 2022),
                "parent": None,
                "owner": owner,
                "csm": CSM_OF[owner] if rng.random() < 0.85 else None,
                "plan": plan,
                "arr": float(arr),
                "contract_start": contract_start,
                "contract_end": contract_end,
                "stage": "customer" if story != "dormant" or rng.random() < 0.5 else "at_risk",
                "price_sensitivity": None if sparse else rng.choice(["low", "medium", "high"]),
                "pains": None if sparse or rng.random() < 0.4 else pains[1 if chinese else 0],
                "decision_process": None
                if rng.random() < 0.6
                else ("总经理审批" if chinese else "CEO signs off after a pilot"),
                "budget": None
                if rng.random() < 0.65
                else ("年度预算已批" if chinese else "approved for next FY"),
            }
        )
    plant = random.Random(f"persona-{seed}")
    _plant_accounts(plant, account_rows, stories, industry_keys, used_names)
    result = session.execute(insert(Account).returning(Account.id), account_rows)
    ids = [r[0] for r in result]
    if len(ids) != len(account_rows):  # drivers without executemany RETURNING
        from sqlalchemy import select

        ids = list(session.scalars(select(Account.id).order_by(Account.id)))

    contacts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    nps: list[dict[str, Any]] = []
    for acc_id, row, story, big in zip(ids, account_rows, stories, big_buyers, strict=True):
        chinese = row["country"] == "中国"
        roles = ["EB", "TB", "UB", "UB"][: rng.randint(2, 4)]
        if rng.random() < 0.25:
            roles = roles[1:]  # some accounts lack an EB: completeness shows it
        for role in roles:
            title_en, title_zh = rng.choice(TITLES[role])
            contacts.append(
                {
                    "account_id": acc_id,
                    "name": _person(rng, chinese),
                    "title": title_zh if chinese else title_en,
                    "role": role,
                    "email": None,
                    "phone": None,
                    "influence": {"EB": "high", "TB": "medium", "UB": "low"}[role],
                    "attitude": rng.choice(["supporter", "supporter", "neutral", "blocker"]),
                }
            )
        seats = max(2, min(40, (row["employees"] or 50) // 20))
        people = [f"user{k}@{row['domain']}" for k in range(seats)]
        base_rate = {"basic": 0.6, "pro": 1.2, "enterprise": 2.5}[row["plan"]]
        stop_day = {
            "active": HISTORY_DAYS,
            "growing": HISTORY_DAYS,
            "fading": HISTORY_DAYS - rng.randint(10, 45),
            "dormant": HISTORY_DAYS - rng.randint(46, 110),
        }[story]
        for day in range(HISTORY_DAYS):
            date = start + dt.timedelta(days=day + 1)
            if day >= stop_day:
                break
            progress = day / HISTORY_DAYS
            rate = (
                base_rate
                * {
                    "active": 1.0,
                    "growing": 0.4 + progress * 1.4,
                    "fading": 1.2 - progress * 0.9,
                    "dormant": 0.8,
                }[story]
            )
            if date.weekday() >= 5:
                rate *= 0.3
            n_logins = int(rng.random() < rate % 1) + int(rate)
            for _ in range(n_logins):
                ts = dt.datetime.combine(date, dt.time(rng.randint(8, 20), rng.randint(0, 59)))
                actor = rng.choice(people)
                events.append(
                    {
                        "account_id": acc_id,
                        "ts": ts,
                        "type": "login",
                        "actor": actor,
                        "feature": None,
                        "amount": None,
                    }
                )
                if rng.random() < 0.7:
                    feat = rng.choice(FEATURES)
                    events.append(
                        {
                            "account_id": acc_id,
                            "ts": ts + dt.timedelta(minutes=5),
                            "type": "feature_use",
                            "actor": actor,
                            "feature": feat,
                            "amount": None,
                        }
                    )
            if rng.random() < 0.03 * (2 if story == "fading" else 1):
                ts = dt.datetime.combine(date, dt.time(rng.randint(9, 18), rng.randint(0, 59)))
                events.append(
                    {
                        "account_id": acc_id,
                        "ts": ts,
                        "type": "ticket",
                        "actor": rng.choice(people),
                        "feature": rng.choice(FEATURES),
                        "amount": None,
                    }
                )
            buy_p = {"basic": 0.01, "pro": 0.025, "enterprise": 0.05}[row["plan"]]
            if big:
                buy_p = 0.16
            if story in ("active", "growing") and rng.random() < buy_p:
                ts = dt.datetime.combine(date, dt.time(rng.randint(9, 18), rng.randint(0, 59)))
                amount = round(
                    rng.choice([800, 1500, 2400, 3600, 5000, 8800]) * rng.uniform(0.8, 1.3)
                )
                events.append(
                    {
                        "account_id": acc_id,
                        "ts": ts,
                        "type": "purchase",
                        "actor": rng.choice(people),
                        "feature": rng.choice(["seats", "add-on", "credits"]),
                        "amount": float(amount),
                    }
                )
        for k in range(rng.randint(0, 3)):
            date = today - dt.timedelta(days=rng.randint(1, HISTORY_DAYS))
            mood = {"active": 9, "growing": 8, "fading": 6, "dormant": 4}[story]
            score = max(0, min(10, int(rng.gauss(mood, 1.6))))
            cls = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            en, zh = rng.choice(NPS_COMMENTS[cls])
            nps.append(
                {
                    "account_id": acc_id,
                    "date": date,
                    "score": score,
                    "comment": zh if chinese else en,
                    "respondent": None,
                    "response_key": _key("demo-nps", acc_id, date, score, k),
                }
            )
    _plant_activity(plant, ids, stories, contacts, events, nps)
    for n, e in enumerate(events):
        e["event_key"] = _key(
            "demo",
            e["account_id"],
            e["ts"].isoformat(),
            e["type"],
            e["actor"],
            e["feature"],
            e["amount"],
            n,
        )
    if contacts:
        session.execute(insert(Contact), contacts)
    for chunk in range(0, len(events), 20_000):
        session.execute(insert(Event), events[chunk : chunk + 20_000])
    if nps:
        session.execute(insert(NpsResponse), nps)
    pin_as_of(session, today)
    mark_stale(session)
    session.flush()
    return {
        "accounts": len(ids),
        "contacts": len(contacts),
        "events": len(events),
        "nps": len(nps),
        "users": len(users),
    }


def _plant_accounts(
    plant: random.Random,
    rows: list[dict[str, Any]],
    stories: list[str],
    industries: list[str],
    used: set[str],
) -> None:
    """Churny accounts lean to retail (renamed to match); dormant at-risk ones are churned."""
    domains = {r["domain"] for r in rows}
    for row, story, industry in zip(rows, stories, industries, strict=True):
        if story not in CHURNY:
            continue
        if story == "dormant" and row["stage"] == "at_risk":
            row["stage"] = "churned"
        if industry == PLANTED_INDUSTRY or plant.random() >= 0.4:
            continue
        chinese = row["country"] == "中国"
        old, new = (
            (ZH_SUFFIX if chinese else EN_SUFFIX)[industry],
            (ZH_SUFFIX if chinese else EN_SUFFIX)[PLANTED_INDUSTRY],
        )
        name = row["name"].replace(old, new, 1)
        domain = row["domain"]
        if not chinese:
            domain = domain.replace(old.lower(), new.lower(), 1)
        norm = normalise_name(name)
        if norm in used or (domain != row["domain"] and domain in domains):
            continue
        used.discard(row["name_norm"])
        used.add(norm)
        domains.add(domain)
        row.update(
            name=name,
            name_norm=norm,
            domain=domain,
            industry=(INDUSTRY_LABEL_ZH if chinese else INDUSTRY_LABEL_EN)[PLANTED_INDUSTRY],
        )


def _plant_activity(
    plant: random.Random,
    ids: list[int],
    stories: list[str],
    contacts: list[dict[str, Any]],
    events: list[dict[str, Any]],
    nps: list[dict[str, Any]],
) -> None:
    """Churny accounts: EB supporters turn neutral or blockers, `workflow` goes unused, NPS
    comments complain about price."""
    churny = {acc for acc, story in zip(ids, stories, strict=True) if story in CHURNY}
    for c in contacts:
        supporter = c["role"] == "EB" and c["attitude"] == "supporter"
        if supporter and c["account_id"] in churny and plant.random() < 0.8:
            c["attitude"] = plant.choice(["neutral", "blocker"])
    others = [f for f in FEATURES if f != PLANTED_FEATURE]
    for e in events:
        planted = e["type"] == "feature_use" and e["feature"] == PLANTED_FEATURE
        if planted and e["account_id"] in churny and plant.random() < 0.9:
            e["feature"] = plant.choice(others)
    price_passive = NPS_COMMENTS["passive"][1]
    for r in nps:
        chinese = any("\u4e00" <= ch <= "\u9fff" for ch in r["comment"] or "")
        if r["account_id"] in churny and plant.random() < 0.9:
            en, zh = plant.choice(PRICE_COMPLAINTS)
            r["comment"] = zh if chinese else en
        elif r["comment"] in price_passive and plant.random() < 0.8:
            # the healthy book rarely talks about price: complaints concentrate in the churny
            en, zh = NPS_COMMENTS["passive"][0]
            r["comment"] = zh if chinese else en
