"""Third held-out evaluation of `profilebot ask`: a mixed book built from RavenStack real data.

The book (tests/fixtures/unseen_book3/) is 125 RavenStack accounts (account_id, name, industry,
country, plan, seats → employees; subscriptions → ARR and contract dates; feature usage → feature
events and derived logins; support tickets → ticket events) plus 15 Chinese and 10 English
hand-made accounts, with users in a manager hierarchy, key people, NPS answers and purchases.
Accounts are written as .xlsx, events as a GBK CSV with Chinese headers. The questions and the
pandas oracle live in tests/test_unseen_book3.py.

    python bench/eval_unseen3.py --generate          # (re)write the fixture files
    python bench/eval_unseen3.py --check             # oracle only: expected sizes, ties
    python bench/eval_unseen3.py --run [--scale 0.3] [--url URL]  # import, ask, score, print failures

--scale asks only that share of the questions (a quick run); the rate is printed with the
share of questions a bare baseline (every answer empty) would get right in the same run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RAVEN = ROOT.parent / "shared" / "realdata" / "ravenstack_saas_churn"
OUT = ROOT / "tests" / "fixtures" / "unseen_book3"
AS_OF = dt.date(2024, 9, 18)
N_REAL = 125
# Event dates at these distances before as-of are dropped, and contract ends at these distances
# after it are moved by two days, so no figure sits on a threshold the questions use.
BOUNDARY_BACK = {0, 7, 8, 14, 15, 16, 20, 21, 30, 31, 32, 45, 46, 60, 61, 90, 91}
BOUNDARY_BACK |= set(range(178, 186))
BOUNDARY_AHEAD = {0, 7, 14, 15, 30, 31, 60, 61, 90, 91}

USERS = [
    # handle, name, email, role, manager, timezone
    ("grace", "Grace Liu", "grace.liu@ravenbook.io", "manager", "", "America/New_York"),
    ("tom", "Tom Harris", "tom.harris@ravenbook.io", "manager", "grace", "Europe/London"),
    ("li.wei", "李伟", "li.wei@ravenbook.io", "manager", "grace", "Asia/Shanghai"),
    ("dan", "Dan Okafor", "dan.okafor@ravenbook.io", "manager", "grace", "America/Chicago"),
    ("alice", "Alice Chen", "alice.chen@ravenbook.io", "sales", "tom", "America/Los_Angeles"),
    ("bob", "Bob Martin", "bob.martin@ravenbook.io", "sales", "tom", "America/New_York"),
    ("priya", "Priya Nair", "priya.nair@ravenbook.io", "sales", "tom", "Asia/Kolkata"),
    ("zhangsan", "张三", "zhang.san@ravenbook.io", "sales", "li.wei", "Asia/Shanghai"),
    ("wangfang", "王芳", "wang.fang@ravenbook.io", "sales", "li.wei", "Asia/Shanghai"),
    ("carol", "Carol Diaz", "carol.diaz@ravenbook.io", "csm", "dan", "America/Chicago"),
    ("chenjing", "陈静", "chen.jing@ravenbook.io", "csm", "dan", "Asia/Shanghai"),
    ("ops", "Ops Admin", "ops@ravenbook.io", "admin", "", "UTC"),
]
EMAIL = {u[0]: u[2] for u in USERS}
NAME = {u[0]: u[1] for u in USERS}
# how each owner is written in the accounts sheet: by email, by handle, or by name
OWNER_STYLE = {
    "alice": "email",
    "bob": "handle",
    "priya": "handle",
    "zhangsan": "email",
    "wangfang": "handle",
    "tom": "name",
    "li.wei": "name",
}
CSM_STYLE = {"carol": "email", "chenjing": "handle"}

INDUSTRY_ZH = {
    "FinTech": "金融科技",
    "HealthTech": "医疗科技",
    "EdTech": "教育科技",
    "Cybersecurity": "网络安全",
    "DevTools": "开发者工具",
}

CN_ACCOUNTS = [
    # name, domain, city, industry (canonical)
    ("上海云帆信息科技有限公司", "yunfan-info.cn", "上海", "FinTech"),
    ("北京数澜网络技术有限公司", "shulan-net.cn", "北京", "DevTools"),
    ("深圳恒通安全技术有限公司", "hengtong-sec.cn", "深圳", "Cybersecurity"),
    ("杭州禾木教育科技有限公司", "hemu-edu.cn", "杭州", "EdTech"),
    ("广州康桥医疗科技有限公司", "kangqiao-med.cn", "广州", "HealthTech"),
    ("上海锦程金融服务有限公司", "jincheng-fin.cn", "上海", "FinTech"),
    ("深圳极光开发者平台有限公司", "jiguang-dev.cn", "深圳", "DevTools"),
    ("北京盾甲网络安全有限公司", "dunjia-sec.cn", "北京", "Cybersecurity"),
    ("成都蓝鲸教育有限公司", "lanjing-edu.cn", "成都", "EdTech"),
    ("杭州安宁健康科技有限公司", "anning-health.cn", "杭州", "HealthTech"),
    ("上海深蓝数据科技有限公司", "shenlan-data.cn", "上海", "DevTools"),
    ("南京钱塘支付科技有限公司", "qiantang-pay.cn", "南京", "FinTech"),
    ("深圳星河医疗器械有限公司", "xinghe-med.cn", "深圳", "HealthTech"),
    ("北京知行学堂科技有限公司", "zhixing-edu.cn", "北京", "EdTech"),
    ("苏州铁壁信息安全有限公司", "tiebi-sec.cn", "苏州", "Cybersecurity"),
]
EN_ACCOUNTS = [
    # name, domain, country, industry
    ("Northwind Health Inc.", "northwindhealth.com", "US", "HealthTech"),
    ("Lumen Ledger Ltd", "lumenledger.com", "UK", "FinTech"),
    ("Quartz Security GmbH", "quartzsec.de", "DE", "Cybersecurity"),
    ("Brightpath Learning", "brightpath.edu.au", "AU", "EdTech"),
    ("Pixelforge Labs", "pixelforge.dev", "CA", "DevTools"),
    ("Harborview Payments LLC", "harborviewpay.com", "US", "FinTech"),
    ("Maple Clinic Systems", "mapleclinic.ca", "CA", "HealthTech"),
    ("Sentinel Grid", "sentinelgrid.io", "US", "Cybersecurity"),
    ("Orbit Academy SAS", "orbitacademy.fr", "FR", "EdTech"),
    ("Kestrel Code Ltd", "kestrelcode.co.uk", "UK", "DevTools"),
]
FEATURES = [f"feature_{i}" for i in range(1, 41)]
TITLES_EN = {
    "EB": ["CEO", "CFO", "COO", "VP Finance"],
    "TB": ["CTO", "Head of IT", "VP Engineering", "Security Lead"],
    "UB": ["Product Manager", "Ops Analyst", "Team Lead", "Support Manager"],
}
TITLES_ZH = {
    "EB": ["总经理", "财务总监", "CEO"],
    "TB": ["技术总监", "CTO", "IT经理"],
    "UB": ["产品经理", "运营专员", "客服主管"],
}
ROLE_ZH = {"EB": "决策者", "TB": "TB", "UB": "使用者"}  # 技术评估者 is rejected (see report)
SURNAMES_EN = ["Smith", "Jones", "Garcia", "Müller", "Patel", "Brown", "Martin", "Lee", "Dubois"]
GIVEN_EN = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack"]
NAMES_ZH = ["刘洋", "陈晨", "赵磊", "孙丽", "周杰", "吴敏", "郑涛", "黄静", "何军", "林芳"]


def _h(*parts: object) -> int:
    """A stable hash (not Python's salted hash()) for deterministic choices."""
    return int(hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def _off_boundary_back(d: dt.date) -> bool:
    return (AS_OF - d).days not in BOUNDARY_BACK


def _off_boundary_ahead(d: dt.date) -> dt.date:
    while (d - AS_OF).days in BOUNDARY_AHEAD:
        d += dt.timedelta(days=2)
    return d


def _owner_cell(handle: str) -> str:
    style = OWNER_STYLE.get(handle) or CSM_STYLE.get(handle, "handle")
    return {"email": EMAIL[handle], "handle": handle, "name": NAME[handle]}[style]


def _contract(subs, acc_id: str) -> tuple[float, dt.date, dt.date]:
    """ARR from the latest subscription started by as-of; the contract runs in yearly terms from
    the first subscription, its end the first anniversary on or after as-of − 60 days, unless the
    latest subscription has an end date of its own."""
    mine = subs[subs.account_id == acc_id].sort_values(["start_date", "subscription_id"])
    started = mine[mine.start_date <= AS_OF.isoformat()]
    row = (started if len(started) else mine).iloc[-1]
    first = dt.date.fromisoformat(mine.iloc[0].start_date)
    if isinstance(row.end_date, str) and row.end_date:
        start, end = dt.date.fromisoformat(row.start_date), dt.date.fromisoformat(row.end_date)
    else:
        start, end = (
            first,
            first.replace(year=first.year + 1)
            if first.month * 100 + first.day != 229
            else first + dt.timedelta(days=365),
        )
        while end < AS_OF - dt.timedelta(days=60):
            start, end = end, end + dt.timedelta(days=365)
    return float(row.arr_amount), start, _off_boundary_ahead(end)


def generate(out: Path = OUT) -> dict:
    """Write users.csv, accounts.xlsx, contacts.csv, events.csv (GBK), nps.csv; return counts."""
    import openpyxl
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    acc = pd.read_csv(RAVEN / "ravenstack_accounts.csv")
    subs = pd.read_csv(RAVEN / "ravenstack_subscriptions.csv", dtype={"end_date": str})
    usage = pd.read_csv(RAVEN / "ravenstack_feature_usage.csv")
    tickets = pd.read_csv(RAVEN / "ravenstack_support_tickets.csv")
    acc = acc[acc.signup_date <= (AS_OF - dt.timedelta(days=60)).isoformat()].head(N_REAL)

    sales_us = ["alice", "bob", "priya", "tom"]
    sales_intl = ["priya", "wangfang", "zhangsan", "bob", "alice"]
    accounts: list[dict] = []
    for r in acc.itertuples():
        arr, start, end = _contract(subs, r.account_id)
        pool = sales_us if r.country == "US" else sales_intl
        owner = pool[_h("owner", r.account_id) % len(pool)]
        csm = ["carol", "chenjing", "carol", ""][_h("csm", r.account_id) % 4]
        num = r.account_name.split("_")[-1]
        accounts.append(
            {
                "account_id": r.account_id,
                "name": r.account_name,
                "domain": f"company{num}.io",
                "industry": r.industry,
                "employees": int(r.seats) * 8 + _h("emp", r.account_id) % 7,
                "country": r.country,
                "city": "",
                "owner": owner,
                "csm": csm,
                "plan": r.plan_tier,
                "arr": arr,
                "contract_start": start,
                "contract_end": end,
                "real": True,
            }
        )
    rng = random.Random(20240918)
    for i, (name, domain, city, industry) in enumerate(CN_ACCOUNTS):
        start = AS_OF - dt.timedelta(days=rng.randint(60, 700))
        end = start + dt.timedelta(days=365)
        while end < AS_OF - dt.timedelta(days=60):
            end += dt.timedelta(days=365)
        accounts.append(
            {
                "account_id": f"CN-{101 + i}",
                "name": name,
                "domain": domain,
                "industry": INDUSTRY_ZH[industry],
                "employees": rng.choice([40, 85, 120, 260, 480, 900, 1500]) + i,
                "country": "中国",
                "city": city,
                "owner": ["zhangsan", "wangfang", "li.wei"][i % 3],
                "csm": ["chenjing", "chenjing", ""][i % 3],
                "plan": ["Basic", "Pro", "Enterprise"][rng.randint(0, 2)],
                "arr": float(rng.choice([8, 12, 18, 26, 36, 48, 66, 88, 120]) * 1000 + i * 10),
                "contract_start": start,
                "contract_end": _off_boundary_ahead(end),
                "real": False,
            }
        )
    for i, (name, domain, country, industry) in enumerate(EN_ACCOUNTS):
        start = AS_OF - dt.timedelta(days=rng.randint(60, 700))
        end = start + dt.timedelta(days=365)
        while end < AS_OF - dt.timedelta(days=60):
            end += dt.timedelta(days=365)
        accounts.append(
            {
                "account_id": f"EN-{201 + i}",
                "name": name,
                "domain": domain,
                "industry": industry,
                "employees": rng.choice([25, 70, 150, 340, 750, 1800]) + i,
                "country": country,
                "city": "",
                "owner": ["alice", "bob", "priya", "tom"][i % 4],
                "csm": ["carol", "", "carol"][i % 3],
                "plan": ["Basic", "Pro", "Enterprise"][(i * 2) % 3],
                "arr": float(rng.choice([6, 14, 22, 31, 44, 57, 73, 96, 140]) * 1000 + i * 170),
                "contract_start": start,
                "contract_end": _off_boundary_ahead(end),
                "real": False,
            }
        )

    # users.csv
    with open(out / "users.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["handle", "name", "email", "role", "manager", "timezone"])
        w.writerows(USERS)

    # accounts.xlsx: English headers, real dates and numbers in the cells
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Accounts"
    head = ["Account ID", "Company Name", "Website", "Industry", "Employees", "Country", "City"]
    head += ["Owner", "CSM", "Plan", "ARR", "Contract Start", "Contract End"]
    ws.append(head)
    for a in accounts:
        ws.append(
            [
                a["account_id"],
                a["name"],
                a["domain"],
                a["industry"],
                a["employees"],
                a["country"],
                a["city"] or None,
                _owner_cell(a["owner"]),
                _owner_cell(a["csm"]) if a["csm"] else None,
                a["plan"],
                a["arr"],
                dt.datetime.combine(a["contract_start"], dt.time()),
                dt.datetime.combine(a["contract_end"], dt.time()),
            ]
        )
    wb.save(out / "accounts.xlsx")

    # contacts.csv: 1-3 key people; some accounts without an EB, some with a blocker
    with open(out / "contacts.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account", "name", "title", "role", "email", "attitude"])
        for a in accounts:
            k = _h("contacts", a["account_id"])
            roles = [["EB", "TB", "UB"], ["TB", "UB"], ["EB", "UB"], ["EB"], ["UB"]][k % 5]
            zh = a["country"] == "中国"
            used: set[str] = set()
            for j, role in enumerate(roles):
                kk = _h("c", a["account_id"], j)
                if zh:
                    person = NAMES_ZH[(kk + j * 3) % len(NAMES_ZH)]
                    while person in used:
                        person = NAMES_ZH[(NAMES_ZH.index(person) + 1) % len(NAMES_ZH)]
                    title = TITLES_ZH[role][kk % len(TITLES_ZH[role])]
                    used.add(person)
                    role_cell = ROLE_ZH[role]
                    email = ""
                else:
                    first = GIVEN_EN[(kk + j * 3) % len(GIVEN_EN)]
                    while first in used:
                        first = GIVEN_EN[(GIVEN_EN.index(first) + 1) % len(GIVEN_EN)]
                    used.add(first)
                    last = SURNAMES_EN[(kk >> 4) % len(SURNAMES_EN)]
                    person = f"{first} {last}"
                    title = TITLES_EN[role][kk % len(TITLES_EN[role])]
                    role_cell = role
                    email = f"{first.lower()}.{last.lower()}@{a['domain']}"
                attitude = ["supporter", "neutral", "supporter", "blocker", "neutral"][
                    (kk >> 8) % 5
                ]
                ref = a["name"] if zh else a["account_id"]
                w.writerow([ref, person, title, role_cell, email, attitude])

    # events.csv in GBK with Chinese headers
    events: list[tuple] = []
    sub_acc = subs.set_index("subscription_id").account_id
    real_ids = {a["account_id"] for a in accounts if a["real"]}
    usage = usage.assign(account_id=usage.subscription_id.map(sub_acc))
    usage = usage[usage.account_id.isin(real_ids)]
    ref_of = {}
    for a in accounts:  # the 客户 column: external id, domain for some, name for Chinese ones
        k = _h("ref", a["account_id"]) % 5
        ref_of[a["account_id"]] = (
            a["name"] if a["country"] == "中国" else (a["domain"] if k == 0 else a["account_id"])
        )
    seats = {a["account_id"]: max(1, min(6, a["employees"] // 40)) for a in accounts}
    for u in usage.itertuples():
        d = dt.date.fromisoformat(u.usage_date)
        if not _off_boundary_back(d):
            continue
        aid = u.account_id
        user = f"user{_h('u', u.usage_id) % seats[aid] + 1}"
        m = _h("m", u.usage_id) % 3600
        hm = f"{m // 60:02d}:{m % 60:02d}"
        events.append((aid, f"{d} 09:{hm}", "login", user, "", ""))
        events.append((aid, f"{d} 10:{hm}", "feature_use", user, u.feature_name, ""))
    tickets = tickets[tickets.account_id.isin(real_ids)]
    for t in tickets.itertuples():
        d = dt.date.fromisoformat(t.submitted_at[:10])
        if not _off_boundary_back(d):
            continue
        user = f"user{_h('t', t.ticket_id) % seats[t.account_id] + 1}"
        events.append(
            (
                t.account_id,
                f"{d} 14:{_h('tm', t.ticket_id) % 60:02d}:00",
                "ticket",
                user,
                t.priority,
                "",
            )
        )
    # the hand-made accounts: logins, feature use, tickets from a seeded generator
    for a in accounts:
        if a["real"]:
            continue
        aid = a["account_id"]
        rate = rng.choice([0.0, 0.02, 0.05, 0.1, 0.2, 0.35])
        stop = rng.choice([0, 0, 3, 10, 25, 40, 70, 120, 800])  # days before as-of usage stops
        for back in range(-100, 600):
            d = AS_OF - dt.timedelta(days=back)
            if back < stop or not _off_boundary_back(d) or rng.random() >= rate:
                continue
            user = f"user{rng.randint(1, seats[aid])}"
            m = rng.randint(0, 59)
            events.append((aid, f"{d} 08:{m:02d}:00", "login", user, "", ""))
            if rng.random() < 0.6:
                feat = rng.choice(FEATURES)
                events.append((aid, f"{d} 11:{m:02d}:00", "feature_use", user, feat, ""))
            if rng.random() < 0.08:
                events.append((aid, f"{d} 15:{m:02d}:00", "ticket", user, "medium", ""))
    # purchases: every subscription start (amount = MRR), plus recent bursts for a few accounts
    subs_in = subs[subs.account_id.isin(real_ids)]
    for s in subs_in.itertuples():
        d = dt.date.fromisoformat(s.start_date)
        if _off_boundary_back(d) and s.mrr_amount > 0:
            events.append(
                (
                    s.account_id,
                    f"{d} 16:00:00",
                    "purchase",
                    "billing",
                    s.plan_tier,
                    str(int(s.mrr_amount)),
                )
            )
    ids = [a["account_id"] for a in accounts]
    bursts = rng.sample(ids, 22)
    for j, aid in enumerate(bursts):
        # 0-7: count 4-6 and amount > 5000; 8-13: count ≥ 4, amount < 5000; 14-21: 2-3 big ones
        n = 4 + j % 3 if j < 14 else 2 + j % 2
        each = 1400 + 150 * j if j < 8 else (700 if j < 14 else 3100)
        days = rng.sample([d for d in range(1, 29) if d not in BOUNDARY_BACK], n)
        for d in days:
            day = AS_OF - dt.timedelta(days=d)
            events.append(
                (aid, f"{day} 17:{j:02d}:00", "purchase", "billing", "add-on", f"{each + 10 * d:,}")
            )
    # keep the file small: a year of history (every window and threshold asked about is shorter)
    # and six weeks past as-of (events after as-of must not count)
    lo, hi = str(AS_OF - dt.timedelta(days=365)), str(AS_OF + dt.timedelta(days=43))
    events = [e for e in events if lo <= e[1][:10] <= hi]
    seen: set[tuple] = set()  # one event per (account, time, type, user): the importer's key
    events = [e for e in events if e[:4] not in seen and not seen.add(e[:4])]
    events.sort(key=lambda e: (e[1], e[0], e[2]))
    with open(out / "events.csv", "w", newline="", encoding="gbk") as fh:
        w = csv.writer(fh)
        w.writerow(["客户", "时间", "类型", "用户", "功能", "金额"])
        for aid, ts, typ, user, feat, amount in events:
            w.writerow([ref_of[aid], ts, typ, user, feat, amount])

    # nps.csv: 1-2 answers for most accounts; a few answered after as-of
    with open(out / "nps.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["account", "date", "score", "comment"])
        for a in accounts:
            k = _h("nps", a["account_id"])
            if k % 6 == 0:
                continue
            n = 1 + (k >> 3) % 2
            for j in range(n):
                back = 20 + (_h("nd", a["account_id"], j) % 300)
                if k % 37 == 1 and j == n - 1:
                    back = -12  # an answer after as-of: must not count yet
                d = AS_OF - dt.timedelta(days=back)
                if (AS_OF - d).days in BOUNDARY_BACK:
                    d -= dt.timedelta(days=3)
                score = [9, 10, 8, 7, 6, 3, 9, 5, 10, 8, 2, 7, 4][_h("ns", a["account_id"], j) % 13]
                comment = ["great support", "too expensive", "missing SSO", "works well", ""][
                    _h("nc", a["account_id"], j) % 5
                ]
                w.writerow([ref_of[a["account_id"]], d.isoformat(), score, comment])
    return {"accounts": len(accounts), "events": len(events)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--generate", action="store_true", help="rewrite the fixture files")
    ap.add_argument("--check", action="store_true", help="oracle only: sizes and ties")
    ap.add_argument("--run", action="store_true", help="import, ask every question, score")
    ap.add_argument("--scale", type=float, default=1.0, help="share of questions to ask")
    ap.add_argument("--url", help="database URL to import into (default: a temporary SQLite file)")
    args = ap.parse_args()
    if args.generate:
        print(generate())
    if args.check or args.run:
        from tests import test_unseen_book3 as t

        if args.check:
            t.check_oracle(verbose=True)
        if args.run:
            t.evaluate(db_url=args.url, scale=args.scale, verbose=True)


if __name__ == "__main__":
    main()
