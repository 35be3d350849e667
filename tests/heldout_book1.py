"""Held-out evaluation of `profilebot ask` on a customer book the parser's author has never seen.

    python -m tests.heldout_book1                    # (re)write tests/fixtures/unseen_book/ (seed 7)
    python -m tests.heldout_book1 --run              # ... then import it with the real CLI and ask
    python -m tests.heldout_book1 --out /tmp/b --seed 3 --scale 0.5 --run   # another, smaller book
    python -m tests.heldout book1                    # the fixture as it is: import, ask, score

Running the product (the CLI, one `ask -` process) is tests/heldout.py's, shared by every book.

The book (Northwind Analytics' customers) uses vocabulary the demo data does not: insurance,
biotech, automotive, media, real estate, chemicals, hospitality; Guangzhou/成都/Tokyo/Berlin/Toronto;
plans starter/growth/enterprise (入门版/成长版/企业版 in the Chinese-header file); owners Hugo Martin,
Priya Nair, 刘洋, 周婷, 郭峰. Two accounts files (English headers, emails as owners; Chinese headers,
handles as owners, money like `8万`/`¥80,000`, dates like `2026/10/15`, revenue in 万元), contacts,
~120 days of events ending at as-of 2026-09-30, NPS answers.

Every question's expected answer comes from an oracle written here in pandas straight from the CSV
files, following PRODUCT.md's default definitions (whole days since the last login, never logged in
counts as inactive, last N days = (as-of − N, as-of], next N days = [as-of, as-of + N], churn risk
and high value as the default rules define them). Where a phrasing is genuinely ambiguous (more
than N days vs N days or more, "a month" as 30 days vs a calendar month) every reading is accepted.
The scale flag changes the book size only; the fixture in tests/ is the default (seed 7, scale 1).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import random
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tests import heldout

ROOT = Path(__file__).resolve().parent.parent
BOOK_DIR = ROOT / "tests" / "fixtures" / "unseen_book"
AS_OF = dt.date(2026, 9, 30)
HISTORY_DAYS = 120
SEED = 7

# --------------------------------------------------------------------------------------------
# vocabulary of the book (canonical key -> English label, Chinese label)
# --------------------------------------------------------------------------------------------
INDUSTRIES = {
    "insurance": ("Insurance", "保险", "Assurance", "保险"),
    "logistics": ("Logistics", "物流", "Freight", "物流"),
    "biotech": ("Biotech", "生物科技", "Bio", "生物"),
    "automotive": ("Automotive", "汽车", "Motors", "汽车"),
    "media": ("Media", "传媒", "Media Group", "传媒"),
    "real_estate": ("Real Estate", "房地产", "Properties", "置业"),
    "chemicals": ("Chemicals", "化工", "Chemicals", "化工"),
    "hospitality": ("Hospitality", "酒店", "Hotels", "酒店管理"),
}
IND_WEIGHTS = {
    "insurance": 18,
    "logistics": 16,
    "biotech": 14,
    "automotive": 14,
    "media": 12,
    "real_estate": 12,
    "chemicals": 7,
    "hospitality": 7,
}
CITIES_EN = [  # (city, province, country, weight)
    ("Guangzhou", "Guangdong", "China", 9),
    ("Chengdu", "Sichuan", "China", 7),
    ("Wuhan", "Hubei", "China", 6),
    ("Chongqing", "Chongqing", "China", 5),
    ("Tianjin", "Tianjin", "China", 5),
    ("Shanghai", "Shanghai", "China", 8),
    ("Tokyo", "", "Japan", 4),
    ("Osaka", "", "Japan", 2),
    ("Berlin", "", "Germany", 3),
    ("Sydney", "NSW", "Australia", 2),
    ("Toronto", "Ontario", "Canada", 2),
    ("Singapore", "", "Singapore", 3),
]
CITIES_ZH = [
    ("广州", "广东", "中国", 8),
    ("成都", "四川", "中国", 7),
    ("武汉", "湖北", "中国", 6),
    ("重庆", "重庆", "中国", 6),
    ("天津", "天津", "中国", 6),
    ("上海", "上海", "中国", 6),
    ("西安", "陕西", "中国", 3),
]
CITY_CANON = {
    "guangzhou": "guangzhou",
    "广州": "guangzhou",
    "chengdu": "chengdu",
    "成都": "chengdu",
    "wuhan": "wuhan",
    "武汉": "wuhan",
    "chongqing": "chongqing",
    "重庆": "chongqing",
    "tianjin": "tianjin",
    "天津": "tianjin",
    "shanghai": "shanghai",
    "上海": "shanghai",
    "西安": "xian",
    "xi'an": "xian",
    "xian": "xian",
    "tokyo": "tokyo",
    "osaka": "osaka",
    "berlin": "berlin",
    "sydney": "sydney",
    "toronto": "toronto",
    "singapore": "singapore",
}
COUNTRY_CANON = {
    "china": "china",
    "中国": "china",
    "japan": "japan",
    "germany": "germany",
    "australia": "australia",
    "canada": "canada",
    "singapore": "singapore",
}
PLANS = {  # canon -> (en, zh, share, arr range, employee range)
    "starter": ("starter", "入门版", 0.35, (8_000, 40_000), (10, 300)),
    "growth": ("growth", "成长版", 0.40, (40_000, 200_000), (100, 2_000)),
    "enterprise": ("enterprise", "企业版", 0.25, (200_000, 2_500_000), (800, 20_000)),
}
PRICE = {"low": ("low", "低"), "medium": ("medium", "中"), "high": ("high", "高")}
STAGES_EN = ["customer", "onboarding", "expansion"]
STAGES_ZH = ["成交客户", "实施中", "增购中"]

USERS = [  # handle, name, email, role, manager, timezone
    ("ops", "Olivia Park", "olivia.park@northwind.io", "admin", "", "Asia/Shanghai"),
    ("sunli", "孙丽", "sun.li@northwind.io", "manager", "", "Asia/Shanghai"),
    ("kate", "Kate Morgan", "kate.morgan@northwind.io", "manager", "", "Europe/London"),
    ("liuyang", "刘洋", "liu.yang@northwind.io", "sales", "sunli", "Asia/Shanghai"),
    ("zhouting", "周婷", "zhou.ting@northwind.io", "sales", "sunli", "Asia/Shanghai"),
    ("guofeng", "郭峰", "guo.feng@northwind.io", "sales", "sunli", "Asia/Shanghai"),
    ("hugo", "Hugo Martin", "hugo.martin@northwind.io", "sales", "kate", "Europe/Berlin"),
    ("priya", "Priya Nair", "priya.nair@northwind.io", "sales", "kate", "Asia/Singapore"),
    ("xuqing", "徐晴", "xu.qing@northwind.io", "csm", "sunli", "Asia/Shanghai"),
    ("tom", "Tom Baker", "tom.baker@northwind.io", "csm", "kate", "Europe/London"),
]
CSM_OF = {"liuyang": "xuqing", "zhouting": "xuqing", "guofeng": "xuqing", "hugo": "tom"}
CSM_OF["priya"] = "tom"

EN_WORDS = [
    "Northgate",
    "Silverline",
    "Redwood",
    "Copperfield",
    "Bluestone",
    "Granite",
    "Lakeside",
    "Sunrise",
    "Crescent",
    "Ironbridge",
    "Oakmont",
    "Seaview",
    "Highland",
    "Brightwater",
    "Falconer",
    "Marigold",
    "Stonebridge",
    "Westfield",
    "Kestrel",
    "Evergreen",
    "Harborview",
    "Pinecrest",
    "Riverside",
    "Goldleaf",
    "Starling",
    "Meridian",
    "Foxglove",
    "Windmere",
    "Ashford",
    "Clearwater",
    "Larkspur",
    "Thornbury",
    "Bellwether",
    "Cobalt",
    "Driftwood",
    "Emberly",
]
ZH_PREFIX = [
    ("粤海", "yuehai"),
    ("蜀道", "shudao"),
    ("江城", "jiangcheng"),
    ("山城", "shancheng"),
    ("津门", "jinmen"),
    ("长风", "changfeng"),
    ("金沙", "jinsha"),
    ("青松", "qingsong"),
    ("紫荆", "zijing"),
    ("鸿运", "hongyun"),
    ("华粤", "huayue"),
    ("锦江", "jinjiang"),
    ("楚天", "chutian"),
    ("渝信", "yuxin"),
    ("海河", "haihe"),
    ("明珠", "mingzhu"),
    ("瑞康", "ruikang"),
    ("新桥", "xinqiao"),
    ("和盛", "hesheng"),
    ("万里", "wanli"),
    ("秦川", "qinchuan"),
    ("天府", "tianfu"),
]
ZH_SUFFIX_PINYIN = {
    "insurance": "ins",
    "logistics": "wl",
    "biotech": "bio",
    "automotive": "auto",
    "media": "media",
    "real_estate": "zy",
    "chemicals": "chem",
    "hospitality": "hotel",
}
FEATURES = ["workspace", "forecasting", "bulk_upload", "audit_log", "mobile_app", "integrations"]
STORIES = [("active", 0.45), ("growing", 0.10), ("fading", 0.18), ("dormant", 0.15)]
STORIES.append(("never", 0.12))
TITLES = {
    "EB": ["CEO", "CFO", "总经理", "VP Operations", "财务总监"],
    "TB": ["CTO", "IT Director", "信息部经理", "Head of Data"],
    "UB": ["Operations Analyst", "客服主管", "Claims Specialist", "运营专员", "Dispatcher"],
}
PEOPLE_EN = [
    "Anna",
    "Ben",
    "Chloe",
    "Daniel",
    "Eva",
    "Felix",
    "Hannah",
    "Ivan",
    "Julia",
    "Kevin",
    "Laura",
    "Marco",
    "Nina",
    "Oscar",
]
PEOPLE_EN_LAST = [
    "Fischer",
    "Tanaka",
    "Novak",
    "Ortiz",
    "Walsh",
    "Berg",
    "Costa",
    "Dubois",
    "Sato",
    "Klein",
]
PEOPLE_ZH_SUR = "林黄何罗梁宋唐许韩冯邓曹彭曾萧田"
PEOPLE_ZH_GIVEN = ["晓峰", "雅琴", "志强", "丽华", "海燕", "建国", "思远", "文静", "子涵", "浩然"]
NPS_TEXT = {
    "high": ["Claims workflow is much faster now.", "续保提醒很实用。", "Great onboarding."],
    "mid": ["OK, but reports are slow.", "还行，导入有点麻烦。", "Pricey for what we use."],
    "low": ["Too many sync errors.", "系统经常卡顿，考虑换产品。", "Support never answers."],
}


# --------------------------------------------------------------------------------------------
# generator
# --------------------------------------------------------------------------------------------
def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def _unique(rng: random.Random, lo: int, hi: int, step: int, taken: set[int]) -> int:
    while True:
        v = rng.randrange(lo // step, hi // step + 1) * step
        if v not in taken:
            taken.add(v)
            return v


def _zh_money(rng: random.Random, v: int) -> str:
    style = rng.random()
    if style < 0.4:
        wan = v / 10_000
        return f"{wan:g}万"
    if style < 0.75:
        return f"¥{v:,}"
    return str(v)


def _zh_date(rng: random.Random, d: dt.date) -> str:
    if rng.random() < 0.2:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.year}/{d.month}/{d.day}"


def _year_back(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:
        return d.replace(year=d.year - years, day=28)


def generate(out: Path, seed: int = SEED, scale: float = 1.0) -> dict[str, int]:
    """Write the book's CSV files into `out`; the same seed and scale give the same files."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_en, n_zh = max(8, round(78 * scale)), max(4, round(42 * scale))
    arr_taken: set[int] = set()
    emp_taken: set[int] = set()
    names_taken: set[str] = set()
    accounts: list[dict] = []  # internal record for events/nps/contacts

    def base_account(lang: str, idx: int) -> dict:
        ind = _weighted(rng, list(IND_WEIGHTS), list(IND_WEIGHTS.values()))
        plan = _weighted(rng, list(PLANS), [p[2] for p in PLANS.values()])
        _, _, _, (alo, ahi), (elo, ehi) = PLANS[plan]
        arr = _unique(rng, alo, ahi, 100, arr_taken)
        emp = _unique(rng, elo, ehi, 1, emp_taken)
        revenue = round(emp * rng.uniform(0.3, 1.6) * 1_000_000, -4)
        near = rng.random() < 0.35
        end = AS_OF + dt.timedelta(days=rng.randint(-40, 100) if near else rng.randint(-75, 400))
        start = _year_back(end, rng.choice([1, 1, 2, 3]))
        if lang == "en":
            owner = _weighted(rng, ["hugo", "priya", "liuyang", "zhouting"], [4, 4, 1.5, 1])
        else:
            owner = _weighted(rng, ["liuyang", "zhouting", "guofeng"], [3, 3, 3])
        return {
            "lang": lang,
            "account_id": f"NW-{1001 + idx}" if lang == "en" else f"NW-{2001 + idx}",
            "industry": ind,
            "plan": plan,
            "arr": arr,
            "employees": emp,
            "revenue": int(revenue),
            "founded": rng.randint(1985, 2022),
            "end": end,
            "start": start,
            "owner": owner,
            "csm": CSM_OF[owner],
            "price": _weighted(rng, list(PRICE), [4, 4, 2]),
            "story": _weighted(rng, [s for s, _ in STORIES], [w for _, w in STORIES]),
        }

    users_by = {u[0]: u for u in USERS}
    en_rows = []
    for i in range(n_en):
        a = base_account("en", i)
        city, prov, country, _ = _weighted(rng, CITIES_EN, [c[3] for c in CITIES_EN])
        while True:
            word = rng.choice(EN_WORDS)
            stem = f"{word} {INDUSTRIES[a['industry']][2]}"
            if stem not in names_taken:  # distinct companies even after suffixes are dropped
                names_taken.add(stem)
                break
        name = stem + rng.choice(["", "", " Ltd", " Inc", " Group", " Co"])
        a.update(name=name, city=city)
        a["domain"] = re.sub(r"[^a-z]", "", stem.lower()) + ".com"
        accounts.append(a)
        en_rows.append(
            {
                "account_id": a["account_id"],
                "name": name,
                "domain": a["domain"],
                "industry": INDUSTRIES[a["industry"]][0],
                "employees": a["employees"],
                "annual_revenue": a["revenue"],
                "city": city,
                "province": prov,
                "country": country,
                "founded": a["founded"],
                "parent": "",
                "owner": users_by[a["owner"]][2],
                "csm": users_by[a["csm"]][2],
                "plan": PLANS[a["plan"]][0],
                "arr": a["arr"],
                "contract_start": a["start"].isoformat(),
                "contract_end": a["end"].isoformat(),
                "stage": rng.choice(STAGES_EN),
                "price_sensitivity": a["price"],
            }
        )
    zh_rows = []
    for i in range(n_zh):
        a = base_account("zh", i)
        city, prov, country, _ = _weighted(rng, CITIES_ZH, [c[3] for c in CITIES_ZH])
        while True:
            prefix, pinyin = rng.choice(ZH_PREFIX)
            stem = f"{prefix}{INDUSTRIES[a['industry']][3]}"
            if stem not in names_taken:
                names_taken.add(stem)
                break
        name = stem + rng.choice(["有限公司", "有限公司", "股份有限公司", "集团"])
        a.update(name=name, city=city)
        a["domain"] = f"{pinyin}-{ZH_SUFFIX_PINYIN[a['industry']]}{i}.cn"
        accounts.append(a)
        zh_rows.append(
            {
                "客户编号": a["account_id"],
                "客户名称": name,
                "官网": a["domain"],
                "行业": INDUSTRIES[a["industry"]][1],
                "员工数": a["employees"],
                "年营收（万元）": a["revenue"] // 10_000,
                "城市": city,
                "省份": prov,
                "国家": country,
                "成立年份": a["founded"],
                "负责人": a["owner"],
                "客户成功经理": a["csm"],
                "订阅版本": PLANS[a["plan"]][1],
                "年合同额": _zh_money(rng, a["arr"]),
                "合同开始日期": _zh_date(rng, a["start"]),
                "合同到期日": _zh_date(rng, a["end"]),
                "阶段": rng.choice(STAGES_ZH),
                "价格敏感度": PRICE[a["price"]][1],
            }
        )
    # a few subsidiaries: parent = another account's name
    for row in rng.sample(en_rows, k=max(1, len(en_rows) // 15)):
        other = rng.choice([r for r in en_rows if r is not row])
        row["parent"] = other["name"]

    # ---- events -------------------------------------------------------------------------
    first_day = AS_OF - dt.timedelta(days=HISTORY_DAYS - 1)
    events: list[dict] = []
    for a in accounts:
        story = a["story"]
        users = [f"user{k}@{a['domain']}" for k in range(rng.randint(2, 8))]
        base = rng.uniform(0.5, 2.6)
        cut = AS_OF - dt.timedelta(days=rng.randint(16, 110))  # dormant: last activity day
        drop = AS_OF - dt.timedelta(days=rng.randint(30, 55))  # fading: usage falls from here
        tail = rng.uniform(0.05, 0.45)
        heavy_buyer = story in ("active", "growing") and rng.random() < 0.3
        p_rate = rng.uniform(0.13, 0.25) if heavy_buyer else rng.uniform(0.0, 0.06)  # purchases/day
        t_rate = {"fading": 0.12, "never": 0.02}.get(story, 0.03)
        for d in range(HISTORY_DAYS):
            day = first_day + dt.timedelta(days=d)
            if story == "active":
                lam = base
            elif story == "growing":
                lam = 0.2 + base * d / HISTORY_DAYS * 1.5
            elif story == "fading":
                lam = base if day < drop else base * tail
            elif story == "dormant":
                lam = base if day <= cut else 0.0
            else:
                lam = 0.0
            n_login = _poisson(rng, lam)
            n_feat = _poisson(rng, lam * 0.4)
            n_ticket = _poisson(rng, t_rate if (story != "dormant" or day <= cut) else 0.0)
            buying = story in ("active", "growing") or (story == "dormant" and day <= cut)
            buying = buying or (story == "fading" and day < drop)
            n_buy = _poisson(rng, p_rate) if buying else 0
            for kind, n in (
                ("login", n_login),
                ("feature_use", n_feat),
                ("ticket", n_ticket),
                ("purchase", n_buy),
            ):
                for _ in range(n):
                    hms = dt.time(rng.randint(7, 22), rng.randint(0, 59), rng.randint(0, 59))
                    ts = dt.datetime.combine(day, hms)
                    ref = a["account_id"] if rng.random() < 0.9 else a["domain"]
                    amount = ""
                    if kind == "purchase":
                        amount = str(
                            rng.randrange(3, 50) * 100
                            if heavy_buyer
                            else rng.randrange(3, 30) * 100
                        )
                    events.append(
                        {
                            "account": ref,
                            "timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"),
                            "type": kind,
                            "user": rng.choice(users),
                            "feature": rng.choice(FEATURES) if kind == "feature_use" else "",
                            "amount": amount,
                        }
                    )
    events.sort(key=lambda e: (e["timestamp"], e["account"], e["type"]))
    ref_to_id = {a["domain"]: a["account_id"] for a in accounts}
    seen: set[tuple] = set()
    unique_events = []
    for e in events:  # an identical event twice would be one event to any importer
        key = (ref_to_id.get(e["account"], e["account"]), e["timestamp"], e["type"], e["user"])
        if key not in seen:
            seen.add(key)
            unique_events.append(e)
    events = unique_events

    # ---- nps ----------------------------------------------------------------------------
    nps: list[dict] = []
    for a in accounts:
        if rng.random() < 0.25:
            continue
        lo, hi = {
            "active": (6, 10),
            "growing": (7, 10),
            "fading": (2, 8),
            "dormant": (0, 7),
            "never": (1, 8),
        }[a["story"]]
        days = sorted(rng.sample(range(0, 200), k=rng.randint(1, 3)), reverse=True)
        for back in days:
            score = rng.randint(lo, hi)
            band = "high" if score >= 9 else "mid" if score >= 7 else "low"
            nps.append(
                {
                    "account": a["account_id"] if a["lang"] == "en" else a["name"],
                    "date": (AS_OF - dt.timedelta(days=back)).isoformat(),
                    "score": score,
                    "comment": rng.choice(NPS_TEXT[band]),
                }
            )

    # ---- contacts -----------------------------------------------------------------------
    contacts: list[dict] = []
    for a in accounts:
        people: set[str] = set()
        for role in rng.sample(["EB", "TB", "UB", "UB"], k=rng.randint(1, 4)):
            if a["lang"] == "zh" or rng.random() < 0.2:
                person = rng.choice(PEOPLE_ZH_SUR) + rng.choice(PEOPLE_ZH_GIVEN)
                email = f"{rng.randint(100, 999)}@{a['domain']}"
            else:
                first, last = rng.choice(PEOPLE_EN), rng.choice(PEOPLE_EN_LAST)
                person = f"{first} {last}"
                email = f"{first.lower()}.{last.lower()}@{a['domain']}"
            if person in people:
                continue
            people.add(person)
            contacts.append(
                {
                    "account": a["account_id"],
                    "name": person,
                    "title": rng.choice(TITLES[role]),
                    "role": role,
                    "email": email,
                    "influence": rng.choice(["high", "medium", "low"]),
                    "attitude": _weighted(rng, ["supporter", "neutral", "blocker"], [5, 4, 1.5]),
                }
            )

    def write(name: str, rows: list[dict], header: list[str] | None = None) -> None:
        header = header or list(rows[0])
        with (out / name).open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=header)
            w.writeheader()
            w.writerows(rows)

    write("users.csv", [dict(zip(USERS_HEADER, u, strict=True)) for u in USERS], USERS_HEADER)
    write("accounts.csv", en_rows)
    write("accounts_zh.csv", zh_rows)
    write("contacts.csv", contacts)
    write("events.csv", events)
    write("nps.csv", nps)
    (out / "SOURCE.txt").write_text(
        "Synthetic book written by tests/heldout_book1.py "
        f"(seed {seed}, scale {scale}, as-of {AS_OF}).\n"
        "Held-out evaluation data for `profilebot ask`; see tests/test_unseen_book.py.\n"
        "questions.jsonl: each question with the oracle's expected answer(s).\n",
        encoding="utf-8",
    )
    stats = {
        "accounts": len(accounts),
        "contacts": len(contacts),
        "events": len(events),
        "nps": len(nps),
    }
    book = Book(out)
    with (out / "questions.jsonl").open("w", encoding="utf-8") as fh:
        for q in QUESTIONS:
            fh.write(json.dumps(q.expected(book).as_json(q), ensure_ascii=False) + "\n")
    return stats


USERS_HEADER = ["handle", "name", "email", "role", "manager", "timezone"]


# --------------------------------------------------------------------------------------------
# oracle: the book read back from the CSV files with pandas
# --------------------------------------------------------------------------------------------
def _money(v) -> float | None:
    s = str(v).strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not s or s.lower() == "nan":
        return None
    if s.endswith("万"):
        return float(s[:-1]) * 10_000
    return float(s)


def _date(v) -> dt.date | None:
    s = str(v).strip()
    m = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", s)
    if not m:
        return None
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


class Book:
    """The book as the oracle sees it: one row per account with canonical values and figures."""

    def __init__(self, folder: Path, as_of: dt.date = AS_OF):
        self.as_of = as_of
        users = pd.read_csv(folder / "users.csv", dtype=str).fillna("")
        self.user_keys: dict[str, str] = {}
        for u in users.itertuples():
            for k in (u.handle, u.name, u.email):
                self.user_keys[k.strip().lower()] = u.handle
        for u in users.itertuples():  # first names too ("Priya's accounts")
            self.user_keys.setdefault(u.name.split()[0].lower(), u.handle)
        en = pd.read_csv(folder / "accounts.csv", dtype=str).fillna("")
        zh = pd.read_csv(folder / "accounts_zh.csv", dtype=str).fillna("")
        ind = {}
        for canon, (en_l, zh_l, *_rest) in INDUSTRIES.items():
            ind[en_l.lower()] = canon
            ind[zh_l] = canon
        plan = {}
        for canon, (en_l, zh_l, *_rest) in PLANS.items():
            plan[en_l] = canon
            plan[zh_l] = canon
        price = {v: k for k, vs in PRICE.items() for v in vs}
        self.labels = {
            "industry": ind,
            "city": CITY_CANON,
            "country": COUNTRY_CANON,
            "plan": plan,
            "price_sensitivity": price,
            "owner": self.user_keys,
            "csm": self.user_keys,
        }
        rows = []
        for r in en.to_dict("records"):
            rows.append(
                {
                    "account_id": r["account_id"],
                    "name": r["name"],
                    "domain": r["domain"],
                    "industry": ind[r["industry"].lower()],
                    "employees": int(r["employees"]),
                    "revenue": _money(r["annual_revenue"]),
                    "city": CITY_CANON[r["city"].lower()],
                    "country": COUNTRY_CANON[r["country"].lower()],
                    "founded": int(r["founded"]),
                    "owner": self.user_keys[r["owner"].lower()],
                    "csm": self.user_keys[r["csm"].lower()],
                    "plan": plan[r["plan"]],
                    "arr": _money(r["arr"]),
                    "contract_end": _date(r["contract_end"]),
                    "price": price[r["price_sensitivity"]],
                }
            )
        for r in zh.to_dict("records"):
            rows.append(
                {
                    "account_id": r["客户编号"],
                    "name": r["客户名称"],
                    "domain": r["官网"],
                    "industry": ind[r["行业"]],
                    "employees": int(r["员工数"]),
                    "revenue": _money(r["年营收（万元）"]) * 10_000,
                    "city": CITY_CANON[r["城市"]],
                    "country": COUNTRY_CANON[r["国家"]],
                    "founded": int(r["成立年份"]),
                    "owner": self.user_keys[r["负责人"].lower()],
                    "csm": self.user_keys[r["客户成功经理"].lower()],
                    "plan": plan[r["订阅版本"]],
                    "arr": _money(r["年合同额"]),
                    "contract_end": _date(r["合同到期日"]),
                    "price": price[r["价格敏感度"]],
                }
            )
        self.A = pd.DataFrame(rows).set_index("account_id", drop=False)
        ref = {}
        for a in rows:
            ref[a["account_id"]] = a["account_id"]
            ref[a["domain"]] = a["account_id"]
            ref[a["name"]] = a["account_id"]
        ev = pd.read_csv(folder / "events.csv", dtype=str).fillna("")
        ev["aid"] = ev["account"].map(ref)
        ev["date"] = pd.to_datetime(ev["timestamp"]).dt.date
        ev["amt"] = pd.to_numeric(ev["amount"], errors="coerce").fillna(0.0)
        self.ev = ev[ev["date"] <= as_of]
        nps = pd.read_csv(folder / "nps.csv", dtype=str).fillna("")
        nps["aid"] = nps["account"].map(ref)
        nps["date"] = nps["date"].map(_date)
        nps["score"] = nps["score"].astype(int)
        nps = nps[nps["date"] <= as_of].sort_values(["aid", "date"])
        self.nps_latest = nps.groupby("aid")["score"].last().reindex(self.A.index)

    # ---- figures (Series indexed by account_id) -------------------------------------------
    def window(self, kind: str, days: int, how: str = "count") -> pd.Series:
        lo = self.as_of - dt.timedelta(days=days)
        e = self.ev[(self.ev["type"] == kind) & (self.ev["date"] > lo)]
        g = e.groupby("aid")["amt"]
        s = g.sum() if how == "sum" else g.size()
        return s.reindex(self.A.index, fill_value=0)

    def logins_between(self, newer_days: int, older_days: int) -> pd.Series:
        lo = self.as_of - dt.timedelta(days=older_days)
        hi = self.as_of - dt.timedelta(days=newer_days)
        e = self.ev[(self.ev["type"] == "login") & (self.ev["date"] > lo) & (self.ev["date"] <= hi)]
        return e.groupby("aid").size().reindex(self.A.index, fill_value=0)

    def days_since_login(self) -> pd.Series:
        last = self.ev[self.ev["type"] == "login"].groupby("aid")["date"].max()
        d = last.map(lambda x: (self.as_of - x).days)
        return d.reindex(self.A.index)  # NaN = never logged in

    def days_to_renewal(self) -> pd.Series:
        return self.A["contract_end"].map(lambda d: (d - self.as_of).days)

    # ---- definitions -----------------------------------------------------------------------
    def inactive(self, days: int, strict: bool) -> pd.Series:
        """No login for `days` (strict: more than) — never logged in counts as inactive."""
        d = self.days_since_login()
        return d.isna() | ((d > days) if strict else (d >= days))

    def renews(self, start: int, end: int) -> pd.Series:
        """Contract end within [as-of + start, as-of + end] days."""
        r = self.days_to_renewal()
        return (r >= start) & (r <= end)

    def renews_dates(self, a: dt.date, b: dt.date) -> pd.Series:
        return self.A["contract_end"].map(lambda d: a <= d <= b)

    def churn_risk(self, strict: bool = False) -> pd.Series:
        cur, prev = self.window("login", 30), self.logins_between(30, 60)
        fell = (prev > 0) & (cur <= prev * 0.5)
        nps_bad = self.nps_latest.le(6) & self.renews(0, 90)
        return self.inactive(15, strict) | fell | nps_bad

    def high_value(self) -> pd.Series:
        return (self.window("purchase", 30, "sum") > 5000) & (self.window("purchase", 30) > 3)

    def col(self, name: str) -> pd.Series:
        return self.A[name]


# --------------------------------------------------------------------------------------------
# expectations and comparison
# --------------------------------------------------------------------------------------------
@dataclass
class Expected:
    kind: str  # set | top | count | breakdown
    alternatives: list  # each: frozenset | list[(id, value)] | int | dict
    n: int | None = None  # top-N size (None = the whole ordered list)
    group: str | None = None  # breakdown field

    def as_json(self, q: Question) -> dict:
        alts = []
        for a in self.alternatives:
            if self.kind == "set":
                alts.append(sorted(a))
            elif self.kind == "top":
                alts.append([i for i, _ in a[: self.n or len(a)]])
            else:
                alts.append(a)
        return {
            "question": q.text,
            "lang": q.lang,
            "topic": q.topic,
            "kind": self.kind,
            "expected": alts,
        }


def _uniq(xs: list) -> list:
    out = []
    for x in xs:
        if x not in out:
            out.append(x)
    return out


def S(*masks: pd.Series) -> Expected:
    """A set of accounts; several masks = several acceptable readings."""
    return Expected("set", _uniq([frozenset(m[m].index) for m in masks]))


def C(*masks: pd.Series) -> Expected:
    """A count; several masks = several acceptable readings."""
    return Expected("count", _uniq([int(m.sum()) for m in masks]))


def T(book: Book, values: pd.Series, n: int | None, mask=None, asc: bool = False) -> Expected:
    """Top-N (or the whole list when n is None) by `values` among `mask`; ties in any order."""
    v = values if mask is None else values[mask]
    v = v.sort_values(ascending=asc, kind="mergesort")
    return Expected("top", [list(zip(v.index, v.tolist(), strict=True))], n=n)


def G(book: Book, group: str, mask=None) -> Expected:
    col = book.A[group] if mask is None else book.A[group][mask]
    counts = {str(k): int(v) for k, v in col.value_counts().items()}
    return Expected("breakdown", [counts], group=group)


@dataclass
class Question:
    text: str
    topic: str
    fn: Callable[[Book], Expected]
    lang: str = field(init=False)

    def __post_init__(self) -> None:
        self.lang = "zh" if re.search(r"[\u4e00-\u9fff]", self.text) else "en"

    def expected(self, book: Book) -> Expected:
        return self.fn(book)


def _month_end(d: dt.date) -> dt.date:
    nxt = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def _months_back(d: dt.date, months: int) -> int:
    """Days back to the same day `months` calendar months earlier."""
    m = d.month - 1 - months
    y, m = d.year + m // 12, m % 12 + 1
    day = min(d.day, _month_end(dt.date(y, m, 1)).day)
    return (d - dt.date(y, m, day)).days


def inact(b: Book, days: int, months: int = 0):
    """Every reading of 'no login for N days': ≥ N, > N, and for months the calendar span."""
    spans = [days] + ([_months_back(b.as_of, months)] if months else [])
    return [b.inactive(s, strict) for s in spans for strict in (False, True)]


def no_login_in_last(b: Book, days: int, months: int = 0):
    """'no login in the last N days' = none in (as-of − N, as-of] = days since login ≥ N."""
    spans = [days] + ([_months_back(b.as_of, months)] if months else [])
    return [b.inactive(s, False) for s in spans]


# periods around AS_OF = 2026-09-30 (a Wednesday, the last day of September and of Q3)
SEP = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))
OCT = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
Q4 = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def this_period(b: Book, period: tuple[dt.date, dt.date]):
    """'this month/quarter': the whole period, or what is left of it from as-of."""
    return [b.renews_dates(*period), b.renews_dates(b.as_of, period[1])]


def col(b: Book, name: str) -> pd.Series:
    return b.A[name]


def Q(text: str, topic: str, fn: Callable[[Book], Expected]) -> Question:
    return Question(text, topic, fn)


A_ = col  # short alias inside the question table


QUESTIONS: list[Question] = [
    # ---- inactivity -----------------------------------------------------------------------
    Q(
        "Which accounts haven't logged in for more than 20 days?",
        "inactivity",
        lambda b: S(*inact(b, 20)),
    ),
    Q(
        "accounts with no login in the last 3 weeks",
        "inactivity",
        lambda b: S(*no_login_in_last(b, 21)),
    ),
    Q(
        "show me customers who have been inactive for over a month",
        "inactivity",
        lambda b: S(*inact(b, 30, months=1)),
    ),
    Q(
        "list accounts that haven't logged in for 45 days or more",
        "inactivity",
        lambda b: S(b.inactive(45, False)),
    ),
    Q(
        "accounts that have not logged in for 2 months",
        "inactivity",
        lambda b: S(*inact(b, 60, months=2)),
    ),
    Q(
        "how many accounts have not logged in for over 10 days?",
        "inactivity",
        lambda b: C(*inact(b, 10)),
    ),
    Q("dormant accounts: no login for 90+ days", "inactivity", lambda b: S(b.inactive(90, False))),
    Q(
        "which accounts have never logged in?",
        "inactivity",
        lambda b: S(b.days_since_login().isna()),
    ),
    Q(
        "enterprise accounts that haven't logged in for more than two weeks",
        "inactivity",
        lambda b: S(*[m & A_(b, "plan").eq("enterprise") for m in inact(b, 14)]),
    ),
    Q("哪些客户超过20天没登录", "inactivity", lambda b: S(*inact(b, 20))),
    Q("三周没有登录的客户", "inactivity", lambda b: S(*inact(b, 21))),
    Q("超过一个月没登录的客户有哪些", "inactivity", lambda b: S(*inact(b, 30, months=1))),
    Q("45天以上未登录的客户", "inactivity", lambda b: S(*inact(b, 45))),
    Q("有多少客户超过10天没有登录", "inactivity", lambda b: C(*inact(b, 10))),
    Q("两个月没登录的客户", "inactivity", lambda b: S(*inact(b, 60, months=2))),
    Q("从来没有登录过的客户", "inactivity", lambda b: S(b.days_since_login().isna())),
    Q(
        "成都超过7天没登录的客户",
        "inactivity",
        lambda b: S(*[m & A_(b, "city").eq("chengdu") for m in inact(b, 7)]),
    ),
    Q(
        "企业版客户里超过两周没登录的",
        "inactivity",
        lambda b: S(*[m & A_(b, "plan").eq("enterprise") for m in inact(b, 14)]),
    ),
    Q("最近30天没有登录的客户", "inactivity", lambda b: S(*no_login_in_last(b, 30))),
    # ---- renewals -------------------------------------------------------------------------
    Q("accounts renewing in the next 30 days", "renewal", lambda b: S(b.renews(0, 30))),
    Q("which contracts expire in the next 2 weeks?", "renewal", lambda b: S(b.renews(0, 14))),
    Q("renewals due next month", "renewal", lambda b: S(b.renews_dates(*OCT))),
    Q("contracts ending next quarter", "renewal", lambda b: S(b.renews_dates(*Q4))),
    Q("how many accounts renew in the next 90 days?", "renewal", lambda b: C(b.renews(0, 90))),
    Q(
        "accounts up for renewal in the next 60 days, sorted by ARR",
        "renewal",
        lambda b: T(b, A_(b, "arr"), None, b.renews(0, 60)),
    ),
    Q(
        "which growth plan customers renew next month?",
        "renewal",
        lambda b: S(b.renews_dates(*OCT) & A_(b, "plan").eq("growth")),
    ),
    Q(
        "contracts that expired in the last 30 days",
        "renewal",
        lambda b: S(b.renews(-30, -1), b.renews(-29, 0), b.renews(-30, 0), b.renews(-29, -1)),
    ),
    Q("renewals this month", "renewal", lambda b: S(*this_period(b, SEP))),
    Q("未来30天内到期的客户", "renewal", lambda b: S(b.renews(0, 30))),
    Q("下个月续约的客户有哪些", "renewal", lambda b: S(b.renews_dates(*OCT))),
    Q("下季度合同到期的客户", "renewal", lambda b: S(b.renews_dates(*Q4))),
    Q("未来两周要续约的客户", "renewal", lambda b: S(b.renews(0, 14))),
    Q("本季度到期的客户有多少", "renewal", lambda b: C(*this_period(b, Q3))),
    Q(
        "60天内到期的保险客户",
        "renewal",
        lambda b: S(b.renews(0, 60) & A_(b, "industry").eq("insurance")),
    ),
    Q(
        "未来90天内续约、年合同额超过10万的客户",
        "renewal",
        lambda b: S(b.renews(0, 90) & A_(b, "arr").gt(100_000)),
    ),
    Q("本月到期的合同", "renewal", lambda b: S(*this_period(b, SEP))),
    Q("未来45天到期的客户有几个", "renewal", lambda b: C(b.renews(0, 45))),
    # ---- firmographics --------------------------------------------------------------------
    Q(
        "insurance companies with more than 500 employees",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("insurance") & A_(b, "employees").gt(500)),
    ),
    Q("accounts in Guangzhou", "firmographic", lambda b: S(A_(b, "city").eq("guangzhou"))),
    Q(
        "logistics customers with ARR over 50k",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("logistics") & A_(b, "arr").gt(50_000)),
    ),
    Q("accounts with ARR above 1.2M", "firmographic", lambda b: S(A_(b, "arr").gt(1_200_000))),
    Q(
        "customers paying less than ¥80,000 a year",
        "firmographic",
        lambda b: S(A_(b, "arr").lt(80_000)),
    ),
    Q(
        "biotech accounts in Guangzhou",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("biotech") & A_(b, "city").eq("guangzhou")),
    ),
    Q(
        "which accounts are based in Japan?",
        "firmographic",
        lambda b: S(A_(b, "country").eq("japan")),
    ),
    Q(
        "automotive accounts founded after 2010",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("automotive") & A_(b, "founded").gt(2010)),
    ),
    Q(
        "media companies with fewer than 200 employees",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("media") & A_(b, "employees").lt(200)),
    ),
    Q(
        "real estate accounts with annual revenue over 500 million",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("real_estate") & A_(b, "revenue").gt(500_000_000)),
    ),
    Q("accounts on the growth plan", "firmographic", lambda b: S(A_(b, "plan").eq("growth"))),
    Q(
        "enterprise plan accounts in Wuhan",
        "firmographic",
        lambda b: S(A_(b, "plan").eq("enterprise") & A_(b, "city").eq("wuhan")),
    ),
    Q(
        "accounts with high price sensitivity",
        "firmographic",
        lambda b: S(A_(b, "price").eq("high")),
    ),
    Q(
        "accounts in Chongqing or Tianjin",
        "firmographic",
        lambda b: S(A_(b, "city").isin(["chongqing", "tianjin"])),
    ),
    Q(
        "companies with between 1000 and 5000 employees",
        "firmographic",
        lambda b: S(A_(b, "employees").between(1000, 5000)),
    ),
    Q("广州的客户有哪些", "firmographic", lambda b: S(A_(b, "city").eq("guangzhou"))),
    Q(
        "保险行业员工超过1000人的客户",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("insurance") & A_(b, "employees").gt(1000)),
    ),
    Q(
        "年合同额超过5万的汽车客户",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("automotive") & A_(b, "arr").gt(50_000)),
    ),
    Q(
        "年合同额在10万到50万之间的客户",
        "firmographic",
        lambda b: S(A_(b, "arr").between(100_000, 500_000)),
    ),
    Q(
        "天津的生物科技公司",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("biotech") & A_(b, "city").eq("tianjin")),
    ),
    Q("员工少于100人的客户", "firmographic", lambda b: S(A_(b, "employees").lt(100))),
    Q("企业版的客户", "firmographic", lambda b: S(A_(b, "plan").eq("enterprise"))),
    Q("价格敏感度高的客户", "firmographic", lambda b: S(A_(b, "price").eq("high"))),
    Q(
        "2015年以后成立的传媒公司",
        "firmographic",
        lambda b: S(
            A_(b, "industry").eq("media") & A_(b, "founded").gt(2015),
            A_(b, "industry").eq("media") & A_(b, "founded").ge(2015),
        ),
    ),
    Q(
        "天津的物流客户",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("logistics") & A_(b, "city").eq("tianjin")),
    ),
    Q(
        "年营收超过5亿的房地产客户",
        "firmographic",
        lambda b: S(A_(b, "industry").eq("real_estate") & A_(b, "revenue").gt(500_000_000)),
    ),
    Q("日本的客户", "firmographic", lambda b: S(A_(b, "country").eq("japan"))),
    Q(
        "年合同额低于¥30,000的入门版客户",
        "firmographic",
        lambda b: S(A_(b, "plan").eq("starter") & A_(b, "arr").lt(30_000)),
    ),
    Q("成长版客户有哪些", "firmographic", lambda b: S(A_(b, "plan").eq("growth"))),
    # ---- top-N ----------------------------------------------------------------------------
    Q("top 5 accounts by ARR", "top", lambda b: T(b, A_(b, "arr"), 5)),
    Q("the 10 biggest customers by employee count", "top", lambda b: T(b, A_(b, "employees"), 10)),
    Q(
        "which 3 accounts logged in the most in the last 30 days?",
        "top",
        lambda b: T(b, b.window("login", 30), 3),
    ),
    Q(
        "top 5 accounts by purchase amount in the last 90 days",
        "top",
        lambda b: T(b, b.window("purchase", 90, "sum"), 5),
    ),
    Q(
        "largest 3 insurance accounts by ARR",
        "top",
        lambda b: T(b, A_(b, "arr"), 3, A_(b, "industry").eq("insurance")),
    ),
    Q(
        "top 5 accounts by support tickets in the last 30 days",
        "top",
        lambda b: T(b, b.window("ticket", 30), 5),
    ),
    Q(
        "top 3 customers in Guangzhou by ARR",
        "top",
        lambda b: T(b, A_(b, "arr"), 3, A_(b, "city").eq("guangzhou")),
    ),
    Q(
        "the 5 biotech accounts with the most employees",
        "top",
        lambda b: T(b, A_(b, "employees"), 5, A_(b, "industry").eq("biotech")),
    ),
    Q("5 smallest accounts by ARR", "top", lambda b: T(b, A_(b, "arr"), 5, asc=True)),
    Q(
        "top 10 accounts by logins in the last 7 days",
        "top",
        lambda b: T(b, b.window("login", 7), 10),
    ),
    Q("ARR最高的10个客户", "top", lambda b: T(b, A_(b, "arr"), 10)),
    Q(
        "员工最多的5家保险公司",
        "top",
        lambda b: T(b, A_(b, "employees"), 5, A_(b, "industry").eq("insurance")),
    ),
    Q("近30天登录次数最多的5个客户", "top", lambda b: T(b, b.window("login", 30), 5)),
    Q("最近90天购买金额前3的客户", "top", lambda b: T(b, b.window("purchase", 90, "sum"), 3)),
    Q(
        "年合同额最高的3个汽车客户",
        "top",
        lambda b: T(b, A_(b, "arr"), 3, A_(b, "industry").eq("automotive")),
    ),
    Q("近30天工单最多的3个客户", "top", lambda b: T(b, b.window("ticket", 30), 3)),
    Q("年合同额最低的5个客户", "top", lambda b: T(b, A_(b, "arr"), 5, asc=True)),
    Q(
        "上海年合同额前5的客户",
        "top",
        lambda b: T(b, A_(b, "arr"), 5, A_(b, "city").eq("shanghai")),
    ),
    Q(
        "周婷负责的客户中年合同额最高的3个",
        "top",
        lambda b: T(b, A_(b, "arr"), 3, A_(b, "owner").eq("zhouting")),
    ),
    Q("最近30天购买次数最多的5个客户", "top", lambda b: T(b, b.window("purchase", 30), 5)),
    # ---- counts ---------------------------------------------------------------------------
    Q(
        "how many accounts do we have in insurance?",
        "count",
        lambda b: C(A_(b, "industry").eq("insurance")),
    ),
    Q("how many customers are in Wuhan?", "count", lambda b: C(A_(b, "city").eq("wuhan"))),
    Q("number of enterprise plan accounts", "count", lambda b: C(A_(b, "plan").eq("enterprise"))),
    Q(
        "how many accounts are at churn risk?",
        "count",
        lambda b: C(b.churn_risk(False), b.churn_risk(True)),
    ),
    Q("how many detractors do we have?", "count", lambda b: C(b.nps_latest.le(6))),
    Q("count of accounts with ARR over 100k", "count", lambda b: C(A_(b, "arr").gt(100_000))),
    Q("how many accounts does Hugo Martin own?", "count", lambda b: C(A_(b, "owner").eq("hugo"))),
    Q("天津有多少客户", "count", lambda b: C(A_(b, "city").eq("tianjin"))),
    Q("保险行业有多少家客户", "count", lambda b: C(A_(b, "industry").eq("insurance"))),
    Q("流失风险客户有多少个", "count", lambda b: C(b.churn_risk(False), b.churn_risk(True))),
    Q("企业版客户数量", "count", lambda b: C(A_(b, "plan").eq("enterprise"))),
    Q("有多少客户年合同额超过20万", "count", lambda b: C(A_(b, "arr").gt(200_000))),
    Q("郭峰有几个客户", "count", lambda b: C(A_(b, "owner").eq("guofeng"))),
    Q("高价值客户有多少", "count", lambda b: C(b.high_value())),
    Q(
        "how many biotech customers are there",
        "count",
        lambda b: C(A_(b, "industry").eq("biotech")),
    ),
    # ---- breakdowns -----------------------------------------------------------------------
    Q("accounts by industry", "breakdown", lambda b: G(b, "industry")),
    Q("number of accounts per city", "breakdown", lambda b: G(b, "city")),
    Q("breakdown of accounts by plan", "breakdown", lambda b: G(b, "plan")),
    Q("how many accounts does each owner have?", "breakdown", lambda b: G(b, "owner")),
    Q(
        "churn risk accounts by industry",
        "breakdown",
        lambda b: G(b, "industry", b.churn_risk(False)),
    ),
    Q(
        "count of insurance accounts by city",
        "breakdown",
        lambda b: G(b, "city", A_(b, "industry").eq("insurance")),
    ),
    Q("按行业统计客户数", "breakdown", lambda b: G(b, "industry")),
    Q("各城市的客户数量", "breakdown", lambda b: G(b, "city")),
    Q("按订阅版本统计客户数", "breakdown", lambda b: G(b, "plan")),
    Q("每个负责人有多少客户", "breakdown", lambda b: G(b, "owner")),
    Q("流失风险客户按负责人分布", "breakdown", lambda b: G(b, "owner", b.churn_risk(False))),
    Q("按国家统计客户数", "breakdown", lambda b: G(b, "country")),
    # ---- owners ---------------------------------------------------------------------------
    Q("accounts owned by Hugo Martin", "owner", lambda b: S(A_(b, "owner").eq("hugo"))),
    Q("Priya's accounts", "owner", lambda b: S(A_(b, "owner").eq("priya"))),
    Q("accounts where Tom Baker is the CSM", "owner", lambda b: S(A_(b, "csm").eq("tom"))),
    Q(
        "Hugo's accounts renewing next quarter",
        "owner",
        lambda b: S(A_(b, "owner").eq("hugo") & b.renews_dates(*Q4)),
    ),
    Q(
        "which of Priya Nair's accounts have not logged in for more than 20 days?",
        "owner",
        lambda b: S(*[m & A_(b, "owner").eq("priya") for m in inact(b, 20)]),
    ),
    Q("刘洋的客户", "owner", lambda b: S(A_(b, "owner").eq("liuyang"))),
    Q("周婷负责的客户有哪些", "owner", lambda b: S(A_(b, "owner").eq("zhouting"))),
    Q(
        "郭峰负责的保险客户",
        "owner",
        lambda b: S(A_(b, "owner").eq("guofeng") & A_(b, "industry").eq("insurance")),
    ),
    Q("徐晴服务的客户", "owner", lambda b: S(A_(b, "csm").eq("xuqing"))),
    Q(
        "刘洋的客户里哪些是流失风险",
        "owner",
        lambda b: S(
            *[m & A_(b, "owner").eq("liuyang") for m in (b.churn_risk(False), b.churn_risk(True))]
        ),
    ),
    # ---- NPS ------------------------------------------------------------------------------
    Q("which accounts are detractors?", "nps", lambda b: S(b.nps_latest.le(6))),
    Q("show promoters", "nps", lambda b: S(b.nps_latest.ge(9))),
    Q("accounts with NPS below 7", "nps", lambda b: S(b.nps_latest.lt(7))),
    Q("accounts with an NPS of 8 or more", "nps", lambda b: S(b.nps_latest.ge(8))),
    Q(
        "detractors renewing in the next 90 days",
        "nps",
        lambda b: S(b.nps_latest.le(6) & b.renews(0, 90)),
    ),
    Q("NPS低于5的客户", "nps", lambda b: S(b.nps_latest.lt(5))),
    Q("NPS推荐者有哪些", "nps", lambda b: S(b.nps_latest.ge(9))),
    Q("贬损者客户", "nps", lambda b: S(b.nps_latest.le(6))),
    Q("NPS不低于9分的客户", "nps", lambda b: S(b.nps_latest.ge(9))),
    Q(
        "NPS小于等于6且未来90天内到期的客户",
        "nps",
        lambda b: S(b.nps_latest.le(6) & b.renews(0, 90)),
    ),
    # ---- purchases / tickets / logins in windows ------------------------------------------
    Q(
        "accounts with more than 3 tickets in the last 30 days",
        "events",
        lambda b: S(b.window("ticket", 30).gt(3)),
    ),
    Q(
        "who made a purchase in the last 2 weeks?",
        "events",
        lambda b: S(b.window("purchase", 14).gt(0)),
    ),
    Q(
        "accounts that spent over 10k in the last 90 days",
        "events",
        lambda b: S(b.window("purchase", 90, "sum").gt(10_000)),
    ),
    Q(
        "accounts with no purchases in the last 90 days",
        "events",
        lambda b: S(b.window("purchase", 90).eq(0)),
    ),
    Q(
        "customers that opened a support ticket in the last 7 days",
        "events",
        lambda b: S(b.window("ticket", 7).gt(0)),
    ),
    Q(
        "accounts with at least 5 logins in the last 7 days",
        "events",
        lambda b: S(b.window("login", 7).ge(5)),
    ),
    Q("近30天工单超过3个的客户", "events", lambda b: S(b.window("ticket", 30).gt(3))),
    Q("最近两周有购买的客户", "events", lambda b: S(b.window("purchase", 14).gt(0))),
    Q(
        "近90天购买金额超过1万的客户",
        "events",
        lambda b: S(b.window("purchase", 90, "sum").gt(10_000)),
    ),
    Q(
        "最近一个月没有购买的客户",
        "events",
        lambda b: S(b.window("purchase", 30).eq(0), b.window("purchase", 31).eq(0)),
    ),
    Q("近7天提交过工单的客户", "events", lambda b: S(b.window("ticket", 7).gt(0))),
    Q("最近30天登录少于5次的客户", "events", lambda b: S(b.window("login", 30).lt(5))),
    Q(
        "近30天购买金额超过3000元的客户",
        "events",
        lambda b: S(b.window("purchase", 30, "sum").gt(3000)),
    ),
    # ---- tags -----------------------------------------------------------------------------
    Q("show churn-risk accounts", "tag", lambda b: S(b.churn_risk(False), b.churn_risk(True))),
    Q("high value accounts", "tag", lambda b: S(b.high_value())),
    Q(
        "churn risk accounts in Guangzhou",
        "tag",
        lambda b: S(
            *[m & A_(b, "city").eq("guangzhou") for m in (b.churn_risk(False), b.churn_risk(True))]
        ),
    ),
    Q(
        "high-value accounts on the enterprise plan",
        "tag",
        lambda b: S(b.high_value() & A_(b, "plan").eq("enterprise")),
    ),
    Q("流失风险客户有哪些", "tag", lambda b: S(b.churn_risk(False), b.churn_risk(True))),
    Q("高价值客户", "tag", lambda b: S(b.high_value())),
    Q(
        "上海的流失风险客户",
        "tag",
        lambda b: S(
            *[m & A_(b, "city").eq("shanghai") for m in (b.churn_risk(False), b.churn_risk(True))]
        ),
    ),
    Q(
        "年合同额超过10万的流失风险客户",
        "tag",
        lambda b: S(
            *[m & A_(b, "arr").gt(100_000) for m in (b.churn_risk(False), b.churn_risk(True))]
        ),
    ),
    # ---- combinations ---------------------------------------------------------------------
    Q(
        "insurance accounts in Shanghai with ARR over 100k",
        "combo",
        lambda b: S(
            A_(b, "industry").eq("insurance")
            & A_(b, "city").eq("shanghai")
            & A_(b, "arr").gt(100_000)
        ),
    ),
    Q(
        "enterprise accounts renewing next quarter that haven't logged in for 2 weeks",
        "combo",
        lambda b: S(
            *[m & A_(b, "plan").eq("enterprise") & b.renews_dates(*Q4) for m in inact(b, 14)]
        ),
    ),
    Q(
        "logistics accounts with fewer than 500 employees and NPS below 7",
        "combo",
        lambda b: S(
            A_(b, "industry").eq("logistics") & A_(b, "employees").lt(500) & b.nps_latest.lt(7)
        ),
    ),
    Q(
        "growth plan accounts in Chengdu with more than 10 logins in the last 30 days",
        "combo",
        lambda b: S(
            A_(b, "plan").eq("growth") & A_(b, "city").eq("chengdu") & b.window("login", 30).gt(10)
        ),
    ),
    Q(
        "武汉年合同额超过10万且超过30天没登录的客户",
        "combo",
        lambda b: S(
            *[m & A_(b, "city").eq("wuhan") & A_(b, "arr").gt(100_000) for m in inact(b, 30)]
        ),
    ),
    Q(
        "成长版、员工超过200人的汽车客户",
        "combo",
        lambda b: S(
            A_(b, "plan").eq("growth")
            & A_(b, "employees").gt(200)
            & A_(b, "industry").eq("automotive")
        ),
    ),
    Q(
        "未来60天到期且超过14天没登录的客户",
        "combo",
        lambda b: S(*[m & b.renews(0, 60) for m in inact(b, 14)]),
    ),
    Q(
        "刘洋负责的、下个月到期的客户",
        "combo",
        lambda b: S(A_(b, "owner").eq("liuyang") & b.renews_dates(*OCT)),
    ),
]


# --------------------------------------------------------------------------------------------
# running the real CLI and comparing
# --------------------------------------------------------------------------------------------
IMPORTS = [
    ("users.csv", "users"),
    ("accounts.csv", "accounts"),
    ("accounts_zh.csv", "accounts"),
    ("contacts.csv", "contacts"),
    ("events.csv", "events"),
    ("nps.csv", "nps"),
]


def import_book(folder: Path, db_url: str, cwd: Path) -> list[dict]:
    """`profilebot init` then one `profilebot import` per file; raise with the report on failure."""
    built = heldout.build(
        db_url, [(folder / name, kind, ()) for name, kind in IMPORTS], cwd=cwd, as_of=AS_OF
    )
    if built.problems:
        raise RuntimeError("\n".join(built.problems))
    return built.reports


def ask_all(questions: list[str], db_url: str, cwd: Path, as_of: dt.date = AS_OF) -> list[dict]:
    """Every question through ONE `profilebot ask - --json --as-of` process."""
    answers, err = heldout.ask_all(heldout.book_env(db_url), questions, as_of, cwd=cwd)
    if any(a is None for a in answers):
        raise RuntimeError(f"`profilebot ask - --json`: {err}")
    return answers


def _canon_key(book: Book, group: str, key) -> str:
    k = str(key).strip()
    table = book.labels.get(group, {})
    return table.get(k.lower()) or table.get(k) or k.lower()


def compare(book: Book, exp: Expected, got: dict) -> tuple[bool, str]:
    """Whether the answer is exactly right under any accepted reading; and what was got."""
    ids = [a.get("account_id") for a in got.get("accounts") or []]
    if exp.kind == "set":
        s = frozenset(ids)
        ok = any(s == alt for alt in exp.alternatives) and len(ids) == len(s)
        return ok, f"{len(ids)} accounts"
    if exp.kind == "top":
        ranking = exp.alternatives[0]
        n = exp.n or len(ranking)
        values = dict(ranking)
        want = [v for _, v in ranking[:n]]
        got_vals = [values.get(i, "∉") for i in ids]
        return got_vals == want, f"{ids[:10]}{'…' if len(ids) > 10 else ''}"
    if exp.kind == "count":
        v = got.get("value")
        ok = isinstance(v, int | float) and not isinstance(v, bool) and v in exp.alternatives
        return ok, f"value={v}"
    rows = got.get("rows") or []
    out: dict[str, int] = {}
    split = False
    for r in rows:
        k = _canon_key(book, exp.group, r.get("key"))
        split |= k in out
        out[k] = out.get(k, 0) + int(r.get("count") or 0)
    ok = not split and any(out == alt for alt in exp.alternatives)
    raw = {str(r.get("key")): r.get("count") for r in rows}
    return ok, f"{'SPLIT ' if split else ''}{raw}"


def describe(understood: dict | None) -> str:
    """A compact one-line rendering of the understood spec."""
    if not understood:
        return "-"
    parts = []

    def cond(c: dict) -> str:
        bits = []
        for item in c.get("all", []) + c.get("any", []):
            if "field" in item:
                w = f"[{item['window_days']}d]" if item.get("window_days") else ""
                bits.append(
                    f"{item['field']}{w} {item['op']} {json.dumps(item.get('value'), ensure_ascii=False)}"
                )
            else:
                bits.append("(" + cond(item) + ")")
        joiner = " OR " if c.get("any") and not c.get("all") else " AND "
        s = joiner.join(bits)
        return f"NOT({s})" if c.get("negate") else s

    where = cond(understood.get("where") or {})
    if where:
        parts.append(where)
    for k in ("owner", "account", "group_by"):
        if understood.get(k):
            parts.append(f"{k}={understood[k]}")
    if understood.get("mine"):
        parts.append("mine")
    if understood.get("sort"):
        parts.append(
            "sort "
            + ",".join(
                f"{s['field']}{'[' + str(s['window_days']) + 'd]' if s.get('window_days') else ''}"
                f"{'↓' if s.get('desc', True) else '↑'}"
                for s in understood["sort"]
            )
        )
    if understood.get("limit"):
        parts.append(f"limit {understood['limit']}")
    if understood.get("aggregate"):
        parts.append(f"agg {understood['aggregate'].get('func')}")
    return "; ".join(parts) or "(everything)"


def _short(exp: Expected) -> str:
    first = exp.alternatives[0]
    if exp.kind == "set":
        sizes = "/".join(str(len(a)) for a in exp.alternatives)
        return f"{sizes} accounts"
    if exp.kind == "top":
        n = exp.n or len(first)
        return str([i for i, _ in first[:n]][:10])
    return " or ".join(str(a) for a in exp.alternatives)


def evaluate(folder: Path = BOOK_DIR, workdir: Path | None = None) -> dict:
    """Import the book with the CLI, ask every question, compare with the oracle."""
    book = Book(folder)
    tmp = tempfile.TemporaryDirectory() if workdir is None else None
    work = Path(tmp.name) if tmp else workdir
    try:
        db_url = f"sqlite:///{work / 'unseen.db'}"
        imports = import_book(folder, db_url, work)
        answers = ask_all([q.text for q in QUESTIONS], db_url, work)
    finally:
        if tmp:
            tmp.cleanup()
    results = []
    for q, got in zip(QUESTIONS, answers, strict=True):
        exp = q.expected(book)
        ok, seen = compare(book, exp, got)
        results.append(
            {
                "question": q.text,
                "lang": q.lang,
                "topic": q.topic,
                "ok": ok,
                "expected": _short(exp),
                "got": seen,
                "understood": describe(got.get("understood")),
                "text": (got.get("text") or "")[:160].replace("\n", " | "),
                "detail": _detail(exp, got),
            }
        )
    right = sum(r["ok"] for r in results)
    return {"imports": imports, "results": results, "right": right, "total": len(results)}


def _detail(exp: Expected, got: dict) -> str:
    """For a wrong set: how many expected are missing and how many are extra (first reading)."""
    if exp.kind != "set":
        return ""
    ids = frozenset(a.get("account_id") for a in got.get("accounts") or [])
    best = min(exp.alternatives, key=lambda a: len(a ^ ids))
    return f"missing {len(best - ids)}, extra {len(ids - best)}"


def report(ev: dict) -> str:
    lines = [f"exact-match rate: {ev['right']}/{ev['total']} = {ev['right'] / ev['total']:.1%}"]
    for lang in ("en", "zh"):
        rs = [r for r in ev["results"] if r["lang"] == lang]
        lines.append(f"  {lang}: {sum(r['ok'] for r in rs)}/{len(rs)}")
    topics = sorted({r["topic"] for r in ev["results"]})
    for t in topics:
        rs = [r for r in ev["results"] if r["topic"] == t]
        lines.append(f"  {t:12s} {sum(r['ok'] for r in rs)}/{len(rs)}")
    fails = [r for r in ev["results"] if not r["ok"]]
    if fails:
        lines.append(f"\n{len(fails)} failures:")
        for r in fails:
            lines.append(f"- [{r['topic']}] {r['question']}")
            lines.append(f"    expected: {r['expected']}")
            lines.append(f"    got:      {r['got']} {r['detail']}")
            lines.append(f"    understood: {r['understood']}")
            lines.append(f"    text: {r['text']}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, default=BOOK_DIR)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 120 accounts")
    ap.add_argument("--run", action="store_true", help="import with the CLI and ask every question")
    ap.add_argument("--no-generate", action="store_true", help="evaluate the existing files")
    args = ap.parse_args()
    if not args.no_generate:
        stats = generate(args.out, args.seed, args.scale)
        print(f"wrote {args.out}: {stats}")
    if args.run:
        print(report(evaluate(args.out)))


if __name__ == "__main__":
    main()
