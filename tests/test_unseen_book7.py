"""Held-out book 7: plain questions nobody tuned the product for, in English and Chinese, asked through
the real CLI (`profilebot ask --json`, `profilebot chat --json`) of a book imported into a fresh SQLite
file, with no LLM configured; each answer is scored right / wrong without saying so / refused against
a pandas oracle over the fixture files (PRODUCT.md's definitions, the asker's scope).

The book (tests/fixtures/unseen_book7, see SOURCE.txt): 41 English accounts from the Maven CRM sales
pipeline (Won deals as purchases, dates moved so the last close lands on 2026-03-10) paired with RavenStack
usage, tickets, plans and seats; 28 hand-written Chinese accounts in a GBK file with Chinese headers and
money like 十五万 / 1千万 / 1.2万元 / ￥5,000 / 5w / 40k, their purchases from the rfm package's orders; key
people, NPS with comments, notes typed in chat, custom fields lead_source / seats / competitor; English
and Chinese users (sales, CSM, manager, admin). As-of 2026-03-11 (a Wednesday).

Run: `python -m tests.test_unseen_book7 [--failures FILE.md]` (prints the failures and the table; with
--failures also writes them as markdown, as tests/fixtures/unseen_book7/first_sight_failures.md was written
by the first run). Under pytest only with `pytest --full`.

First sight: main at d7d65a8, run 2026-12-01 15:51 UTC (4 minutes): 159/183 = 86.9% right
(English 74/84 = 88.1%, Chinese 85/99 = 85.9%); right 159, wrong without saying so 15, refused 9.

    category          n  right  wrong  refused     rate
    list             22     21      1        0    95.5%
    count            12     11      1        0    91.7%
    top              11     10      1        0    90.9%
    breakdown        13     13      0        0   100.0%
    keyperson        12     11      0        1    91.7%
    events           16     13      3        0    81.2%
    aggregate        10      8      1        1    80.0%
    negation         12      8      1        3    66.7%
    money            11     11      0        0   100.0%
    textsearch       10     10      0        0   100.0%
    scope            13      9      2        2    69.2%
    card             18     17      1        0    94.4%
    conversation     23     17      4        2    73.9%
    --------------------------------------------------
    English          84     74      7        3    88.1%
    Chinese          99     85      8        6    85.9%

Checker/oracle fixes after first sight: none.

Later runs (same questions and oracle). After first sight the developers read first_sight_failures.md
and fixed causes generally (names read as filters, 团队 alone, totals over all accounts, a field of one
account, titles after a cue, 'only the …' after a breakdown), beside the pattern-table migrations of
values, classes, dates and events; from then on this book measures regressions, not first sight:
- 17:24 UTC, main 18db3aa: 167/183 = 91.3% (English 90.5%, Chinese 91.9%); wrong 10, refused 6.
- 18:15 UTC, main d1cc0b3 (a6cacb5 less 48d5ace): 173/183 = 94.5% (English 95.2% of 84, Chinese 93.9%
  of 99); wrong 8, refused 2.

Readings PRODUCT.md leaves open, chosen here: "last month" / 上个月 = the calendar month before as-of;
"this quarter" = the calendar quarter up to as-of; "since Oct 1" = 2025-10-01 to as-of; "renew before
the end of September" = contract end from as-of to 2026-09-30; "合同已经过期" = contract end before
as-of; "今年到期" = contract end in calendar 2026; "超过 / over / more than" strict, "以上" inclusive (no
value sits on a boundary anyway); NPS of an account = its latest answer; text searches look in every NPS
comment and note; a breakdown's blank group is ignored. No event falls on a window's first or last day
and no contract ends on a threshold day, so inclusive/exclusive edges cannot change an answer.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BOOK = ROOT / "tests" / "fixtures" / "unseen_book7"
AS_OF = dt.date(2026, 3, 11)
TARGET = 0.90
ADMIN_EN, ADMIN_ZH = "sam.rivera", "zhaomin"

# ---------------------------------------------------------------------------------- the oracle

_UNITS = {"千万": 1e7, "百万": 1e6, "万": 1e4, "w": 1e4, "千": 1e3, "k": 1e3, "m": 1e6, "亿": 1e8}
_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}


def _cn_number(t: str) -> float:
    """十五 -> 15, 三十八 -> 38, 八十 -> 80, 二十五 -> 25 (below 10,000)."""
    total, cur = 0, 0
    for ch in t:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            total += (cur or 1) * _CN_SMALL[ch]
            cur = 0
        else:
            raise ValueError(t)
    return float(total + cur)


def money(s) -> float | None:
    """A money cell as a spreadsheet person typed it: 十五万, 1千万, 1.2万元, ￥5,000, 5w, 40k."""
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return None
    t = str(s).strip().replace(",", "").replace("￥", "").replace("¥", "").replace("元", "")
    m = re.fullmatch(r"([\d.]+)\s*(千万|百万|[万wW千kKmM亿]?)", t)
    if m:
        return float(m[1]) * _UNITS.get(m[2].lower() if m[2] in "WKM" else m[2], 1.0)
    m = re.fullmatch(r"([零一二两三四五六七八九十百]+)([万亿]?)", t)
    if not m:
        raise ValueError(f"money? {s!r}")
    return _cn_number(m[1]) * _UNITS.get(m[2], 1.0)


def day(s) -> dt.date:
    m = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", str(s))
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def _handle(s: str) -> str:
    return str(s).split("@")[0] if isinstance(s, str) else ""


# R package rfm (shared/realdata/rfm_reference/expected_results.json): segment rules in order
RFM_SEGMENTS = [  # name, r lo, r hi, f lo, f hi, m lo, m hi
    ("Champions", 5, 5, 5, 5, 5, 5), ("Potential Loyalist", 3, 5, 3, 5, 2, 5),
    ("Loyal Customers", 2, 4, 2, 4, 2, 4), ("Promising", 3, 4, 1, 3, 3, 5),
    ("New Customers", 4, 5, 1, 3, 1, 5), ("Can't Lose Them", 1, 2, 3, 4, 4, 5),
    ("At Risk", 1, 2, 2, 5, 4, 5), ("Need Attention", 1, 3, 3, 5, 3, 5),
    ("About To Sleep", 2, 3, 1, 3, 1, 4), ("Lost", 1, 1, 1, 5, 1, 5),
]  # fmt: skip


def _bins(x: pd.Series, n: int = 5) -> pd.Series:
    """rfm's bucket index 1..n: cuts = quantile type 7 without min and max, + 1; [lower, upper)."""
    cuts = list(np.quantile(x.to_numpy(dtype=float), np.linspace(0, 1, n + 1))[1:-1] + 1)
    lower = [x.min(), *cuts]
    out = pd.Series(0, index=x.index)
    for i, lo in enumerate(lower, start=1):
        out[x >= lo] = i
    return out


def rfm_table(purchases: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per account with purchases: recency days, count, amount, R/F/M scores and segment, the way
    rfm_table_order(analysis_date = as-of) computes them."""
    g = purchases.groupby("account").agg(
        last=("date", "max"), f=("date", "size"), m=("amount", "sum")
    )
    g["recency"] = g["last"].map(lambda d: (as_of - d).days)
    g["r"] = 6 - _bins(g.recency)
    g["fs"] = _bins(g.f)
    g["ms"] = _bins(g.m)

    def seg(row) -> str:
        for name, rl, rh, fl, fh, ml, mh in RFM_SEGMENTS:
            if rl <= row.r <= rh and fl <= row.fs <= fh and ml <= row.ms <= mh:
                return name
        return "Others"

    g["segment"] = g.apply(seg, axis=1)
    return g


class Book:
    """The book's files read back with pandas, and the derived figures PRODUCT.md defines."""

    def __init__(self, as_of: dt.date = AS_OF):
        self.as_of = as_of
        en = pd.read_csv(BOOK / "accounts_en.csv", dtype={"account_id": str}).fillna(
            {"parent": "", "competitor": ""}
        )
        en["lang"] = "en"
        zh = pd.read_csv(BOOK / "zh_accounts.csv", encoding="gbk", dtype=str).fillna({"竞品": ""})
        zh = zh.rename(columns={
            "客户编号": "account_id", "客户名称": "name", "行业": "industry", "城市": "city",
            "省份": "province", "员工数": "employees", "成立年份": "founded", "客户经理": "owner",
            "客户成功经理": "csm", "套餐": "plan", "年合同额": "arr", "合同开始日期": "contract_start",
            "合同到期日": "contract_end", "线索来源": "lead_source", "席位数": "seats", "竞品": "competitor",
        })  # fmt: skip
        zh["lang"] = "zh"
        a = pd.concat([en, zh], ignore_index=True)
        a["arr"] = a.arr.map(money)
        a["employees"] = a.employees.astype(int)
        a["seats"] = a.seats.astype(int)
        a["contract_end"] = a.contract_end.map(day)
        a["owner"] = a.owner.map(_handle)
        a["csm"] = a.csm.map(_handle)
        a.index = a.account_id.rename(None)
        self.a = a
        self.users = pd.read_csv(BOOK / "users.csv", dtype=str).fillna("").set_index("handle")
        self.contacts = pd.read_csv(BOOK / "contacts.csv", dtype=str).fillna("")
        ev = pd.read_csv(BOOK / "events.csv", dtype={"account": str}).fillna({"feature": ""})
        ev["date"] = pd.to_datetime(ev.timestamp).dt.date
        self.ev = ev
        nps = pd.read_csv(BOOK / "nps.csv", dtype={"account": str}).fillna({"comment": ""})
        nps["date"] = pd.to_datetime(nps.date).dt.date
        self.nps = nps
        self.notes = pd.read_csv(BOOK / "notes.csv", dtype=str)
        logins = ev[ev.type == "login"].groupby("account").date.max()
        self.a["last_login"] = self.a.account_id.map(logins)
        self.a["dsl"] = self.a.last_login.map(
            lambda d: (as_of - d).days if isinstance(d, dt.date) else None
        )
        latest = (
            nps.sort_values("date").drop_duplicates("account", keep="last").set_index("account")
        )
        self.a["nps"] = self.a.account_id.map(latest.score)
        self.rfm = rfm_table(ev[ev.type == "purchase"], as_of)
        self.a["rfm_segment"] = self.a.account_id.map(self.rfm.segment)

    def scope(self, who: str | None) -> pd.DataFrame:
        """The accounts `who` may see (PRODUCT.md: sales own, CSM served, manager the team's)."""
        if who is None:
            return self.a
        role = self.users.loc[who, "role"]
        if role == "admin":
            return self.a
        if role == "sales":
            return self.a[self.a.owner == who]
        if role == "csm":
            return self.a[self.a.csm == who]
        team = set(self.users[self.users.manager == who].index) | {who}
        return self.a[self.a.owner.isin(team)]

    def events(self, typ: str | None = None, start=None, end=None, feature=None) -> pd.DataFrame:
        """Events of a type (and feature) with start <= date <= end."""
        e = self.ev
        if typ:
            e = e[e.type == typ]
        if feature:
            e = e[e.feature == feature]
        if start:
            e = e[e.date >= start]
        if end:
            e = e[e.date <= end]
        return e

    def last(self, n: int) -> tuple[dt.date, dt.date]:
        """'Last N days': (as-of - N, as-of] as inclusive dates."""
        return self.as_of - dt.timedelta(days=n - 1), self.as_of

    def count_col(self, df, typ, win, feature=None) -> pd.Series:
        n = self.events(typ, *win, feature=feature).groupby("account").size()
        return df.account_id.map(n).fillna(0).astype(int)

    def sum_col(self, df, typ, win) -> pd.Series:
        s = self.events(typ, *win).groupby("account").amount.sum()
        return df.account_id.map(s).fillna(0.0)

    def with_event(self, df, typ, start=None, end=None, feature=None) -> pd.DataFrame:
        ids = set(self.events(typ, start, end, feature).account)
        return df[df.account_id.isin(ids)]

    def people(self, df, role=None, attitude=None, titles=None) -> pd.DataFrame:
        """Accounts of df with one key person matching every condition given."""
        c = self.contacts
        if role:
            c = c[c.role == role]
        if attitude:
            c = c[c.attitude == attitude]
        if titles:
            c = c[c.title.str.casefold().isin([t.casefold() for t in titles])]
        return df[df.account_id.isin(set(c.account))]

    def names_of(self, aid: str, role: str) -> list[str]:
        c = self.contacts
        return list(c[(c.account == aid) & (c.role == role)].name)


# expectations: (kind, payload)
def S(df) -> tuple:
    return ("set", tuple(sorted(df.account_id)))


def C(x) -> tuple:
    return ("count", int(x if isinstance(x, int) else len(x)))


def TOP(df, col: str, n: int, desc: bool = True) -> tuple:
    """The first n by col, in order (accounts tied on col may come in either order)."""
    s = df.sort_values([col, "account_id"], ascending=[not desc, True])
    vals = list(s[col])
    assert len(vals) > n and vals[n - 1] != vals[n], f"tie at the edge of top {n} by {col}"
    return ("top", tuple(s.account_id[:n]), tuple(vals[:n]))


def ALL_BY(df, col: str, desc: bool = True) -> tuple:
    """Every account of df, sorted by col."""
    s = df.sort_values([col, "account_id"], ascending=[not desc, True])
    return ("top", tuple(s.account_id), tuple(s[col]))


def G(df, col: str) -> tuple:
    """A breakdown's counts; blank values are not a group (a blank row in the answer is ignored)."""
    v = df[col].astype(str)
    v = v[~v.isin(["", "nan", "None"])]
    return ("rows", tuple(sorted(v.value_counts().items())))


def GSUM(df, col: str, val: str) -> tuple:
    return ("rowsum", tuple(sorted(df.groupby(col)[val].sum().items())))


def SUM(x: float) -> tuple:
    return ("sum", float(x))


def ONE(aid: str) -> tuple:
    return ("one", aid)


def NONE(name: str) -> tuple:
    return ("none", name)


def CHOICE(b: Book, *ids: str) -> tuple:
    """A numbered choice among these accounts (as accounts, or their names in the text)."""
    return ("choice", tuple(sorted(ids)), tuple(b.a.name[i] for i in sorted(ids)))


def TXT(*alternatives) -> tuple:
    """A direct answer: every group is a tuple of spellings, one of which the text must hold."""
    return ("text", tuple(a if isinstance(a, tuple) else (a,) for a in alternatives))


def PICK(b: Book, k: int, *ids: str) -> tuple:
    """The k-th account of the previous turn's choice among ids."""
    return ("pick", k, tuple(sorted(ids)), tuple(b.a.name[i] for i in sorted(ids)))


def _money_spellings(x: float) -> tuple:
    """How a reply may write an amount: 150,000 / 150000 / 15万 / 15.0万 / 150k."""
    out = {f"{x:,.0f}", f"{x:.0f}", f"{x:,.2f}"}
    if x >= 1e4:
        w = x / 1e4
        out |= {f"{w:g}万", f"{w:.1f}万", f"{w:.2f}万"}
    if x >= 1e3:
        out |= {f"{x / 1e3:g}k", f"{x / 1e3:g}K"}
    return tuple(sorted(out))


def _date_spellings(d: dt.date) -> tuple:
    return (d.isoformat(), f"{d.year}年{d.month}月{d.day}日", f"{d.year}/{d.month}/{d.day}",
            d.strftime("%b %d, %Y"), d.strftime("%B %d, %Y"), d.strftime("%d %b %Y").lstrip("0"),
            f"{d.strftime('%b')} {d.day}, {d.year}", f"{d.strftime('%B')} {d.day}, {d.year}")  # fmt: skip


# askers: English sales / CSMs / managers / admin; Chinese sales / CSMs / managers / admin
VICKI, ROSIE, KARY = "vicki.laflamme", "rosie.papadopoulos", "kary.hendrixson"
PRIYA, TOM, LENA = "priya.shah", "tom.becker", "lena.ortiz"
ROCCO, CELIA, SUMMER, SAM = "rocco.neubert", "celia.rouche", "summer.sewald", ADMIN_EN
WF, CJ, SL, GY = "wangfang", "chenjie", "sunli", "guoyang"
ZY, WH, LQ, HJ, ZM = "zhouyan", "wuhao", "liuqiang", "hejing", ADMIN_ZH


def questions(b: Book) -> list[tuple]:
    """(category, language, asker, question, expectation): the one-shot questions."""
    a, d = b.a, dt.date
    sc = b.scope
    ev = b.with_event
    L7, L30, L60 = b.last(7), b.last(30), b.last(60)
    feb = (d(2026, 2, 1), d(2026, 2, 28))  # "last month" / 上个月 at as-of 2026-03-11
    q1 = (d(2026, 1, 1), b.as_of)  # "this quarter" / 本季度: the calendar quarter so far
    since_oct = (d(2025, 10, 1), b.as_of)
    dec_jan = (d(2025, 12, 1), d(2026, 1, 31))
    ao = b.as_of

    def ends(df, lo, hi):
        return df[(df.contract_end >= lo) & (df.contract_end <= hi)]

    def next_days(n):
        return ao, ao + dt.timedelta(days=n)

    def inactive(df, n):
        """No login in the last n days (never logged in counts as inactive)."""
        return df[df.dsl.isna() | (df.dsl >= n)]

    def without(df, sub):
        return df[~df.account_id.isin(set(sub.account_id))]

    def note_has(df, term):
        n = b.notes
        return df[df.account_id.isin(set(n[n.note.str.contains(term, case=False)].account_id))]

    def comment_has(df, term):
        n = b.nps
        return df[df.account_id.isin(set(n[n.comment.str.contains(term, case=False)].account))]

    def churn_risk(df):
        """PRODUCT.md's churn_risk: no login for 15 days (or never), or logins in the last 30 days at
        most half of the 30 days before (which had some), or latest NPS <= 6 and the contract ends
        within 90 days (from as-of on)."""
        cur = b.count_col(df, "login", L30)
        prev = b.count_col(df, "login", (ao - dt.timedelta(days=59), ao - dt.timedelta(days=30)))
        quiet = df.dsl.isna() | (df.dsl >= 15)
        fell = (prev > 0) & (cur * 2 <= prev)
        soon = (df.contract_end >= ao) & (df.contract_end <= ao + dt.timedelta(days=90))
        unhappy = df.nps.notna() & (df.nps <= 6) & soon
        return df[quiet | fell | unhappy]

    def with_col(df, name, series):
        df = df.copy()
        df[name] = series
        return df

    def eb(aid):
        return TXT(*[(n,) for n in b.names_of(aid, "EB")])

    def zh(cat, who, text, exp):
        return (cat, "zh", who, text, exp)

    def en(cat, who, text, exp):
        return (cat, "en", who, text, exp)

    ent = lambda df: df[df.plan.isin(["Enterprise", "企业版"])]  # noqa: E731
    basic = lambda df: df[df.plan.isin(["Basic", "基础版"])]  # noqa: E731

    qs = [
        # ---- list
        en("list", LENA, "show me my retail accounts", S(sc(LENA)[sc(LENA).industry == "retail"])),
        # trap: Globex Retail Solutions is in software, only its name says retail
        en("list", PRIYA, "which of my accounts are in retail?", S(sc(PRIYA)[sc(PRIYA).industry == "retail"])),
        en("list", TOM, "list finance accounts on the enterprise plan",
           S(ent(sc(TOM)).query("industry == 'finance'"))),
        en("list", CELIA, "accounts with more than 1000 employees", S(sc(CELIA)[sc(CELIA).employees > 1000])),
        en("list", PRIYA, "accounts where lead source is partner", S(sc(PRIYA)[sc(PRIYA).lead_source == "partner"])),
        en("list", TOM, "customers where the competitor is Salesforce",
           S(sc(TOM)[sc(TOM).competitor == "Salesforce"])),
        en("list", LENA, "which accounts have contracts ending in the next 60 days",
           S(ends(sc(LENA), *next_days(60)))),
        en("list", SUMMER, "show accounts founded before 2000", S(sc(SUMMER)[sc(SUMMER).founded.astype(int) < 2000])),
        zh("list", ZY, "我负责的客户里哪些是企业版", S(ent(sc(ZY)))),
        # trap: 成都零售通 is in 上海 (its name holds a city and an industry word)
        zh("list", LQ, "列出团队在成都的客户", S(sc(LQ)[sc(LQ).city == "成都"])),
        zh("list", LQ, "零售行业的客户有哪些", S(sc(LQ)[sc(LQ).industry == "零售"])),
        zh("list", ZM, "物流行业的客户有哪些", S(a[a.industry == "物流"])),
        zh("list", ZM, "上海的客户", S(a[a.city == "上海"])),
        zh("list", ZM, "员工超过2000人的客户", S(a[a.employees > 2000])),
        zh("list", HJ, "线索来源是展会的客户", S(sc(HJ)[sc(HJ).lead_source == "展会"])),
        zh("list", ZY, "竞品是销售易的客户", S(sc(ZY)[sc(ZY).competitor == "销售易"])),
        zh("list", WH, "套餐是基础版的客户有哪些", S(basic(sc(WH)))),
        zh("list", LQ, "未来90天内合同到期的客户", S(ends(sc(LQ), *next_days(90)))),
        # "已经过期": the contract end date is before as-of
        zh("list", HJ, "合同已经过期的客户", S(sc(HJ)[sc(HJ).contract_end < ao])),
        zh("list", WH, "广东省的客户", S(sc(WH)[sc(WH).province == "广东"])),
        en("list", TOM, "show churn-risk accounts", S(churn_risk(sc(TOM)))),
        zh("list", HJ, "有流失风险的客户", S(churn_risk(sc(HJ)))),
        # ---- count
        en("count", SUMMER, "how many of our accounts are on the Basic plan?", C(basic(sc(SUMMER)))),
        en("count", TOM, "number of enterprise customers", C(ent(sc(TOM)))),
        en("count", PRIYA, "count accounts with more than 30 seats", C(sc(PRIYA)[sc(PRIYA).seats > 30])),
        # "renew before the end of September": contract end between as-of and 2026-09-30
        en("count", ROCCO, "how many accounts renew before the end of September?",
           C(ends(sc(ROCCO), ao, d(2026, 9, 30)))),
        en("count", SAM, "how many customers do we have in total", C(a)),
        zh("count", LQ, "我们团队有几个企业版客户", C(ent(sc(LQ)))),
        zh("count", HJ, "杭州有多少家客户", C(sc(HJ)[sc(HJ).city == "杭州"])),
        zh("count", ZY, "我服务的客户中有几个是教育行业的", C(sc(ZY)[sc(ZY).industry == "教育"])),
        zh("count", ZM, "多少客户超过30天没登录", C(inactive(a, 31))),
        # the latest NPS answer of each account
        zh("count", WH, "NPS低于5分的客户有几个", C(sc(WH)[sc(WH).nps < 5])),
        zh("count", CJ, "我有几个客户", C(sc(CJ))),
        zh("count", ZM, "合同下个月到期的客户有多少", C(ends(a, d(2026, 4, 1), d(2026, 4, 30)))),
        # ---- top
        en("top", SAM, "top 5 accounts by ARR", TOP(a, "arr", 5)),
        en("top", TOM, "biggest 3 customers by headcount", TOP(sc(TOM), "employees", 3)),
        en("top", LENA, "which 3 accounts have the most seats", TOP(sc(LENA), "seats", 3)),
        en("top", ROCCO, "top 5 by purchase amount this quarter",
           TOP(with_col(sc(ROCCO), "spend", b.sum_col(sc(ROCCO), "purchase", q1)), "spend", 5)),
        en("top", PRIYA, "my 4 smallest accounts by ARR", TOP(sc(PRIYA), "arr", 4, desc=False)),
        zh("top", ZM, "年合同额最高的5个客户", TOP(a, "arr", 5)),
        zh("top", LQ, "团队里员工数最多的3家客户", TOP(sc(LQ), "employees", 3)),
        zh("top", HJ, "累计采购金额最高的3个客户",
           TOP(with_col(sc(HJ), "spend", b.sum_col(sc(HJ), "purchase", (None, None))), "spend", 3)),
        zh("top", ZY, "席位数前五的客户", TOP(sc(ZY), "seats", 5)),
        zh("top", WH, "年合同额最低的3个客户", TOP(sc(WH), "arr", 3, desc=False)),
        zh("top", ZM, "成立最早的3家客户", TOP(a.assign(fy=a.founded.astype(int)), "fy", 3, desc=False)),
        # ---- breakdown
        en("breakdown", TOM, "accounts by industry", G(sc(TOM), "industry")),
        en("breakdown", LENA, "split my accounts by lead source", G(sc(LENA), "lead_source")),
        en("breakdown", SAM, "RFM segment breakdown", G(a, "rfm_segment")),
        en("breakdown", ROCCO, "ARR by plan", GSUM(sc(ROCCO), "plan", "arr")),
        en("breakdown", CELIA, "how are my team's accounts split by competitor", G(sc(CELIA), "competitor")),
        en("breakdown", SAM, "count of accounts per country", G(a, "country")),
        zh("breakdown", ZM, "按城市统计客户数", G(a, "city")),
        zh("breakdown", LQ, "按行业看一下团队客户分布", G(sc(LQ), "industry")),
        zh("breakdown", HJ, "各套餐的年合同额合计", GSUM(sc(HJ), "plan", "arr")),
        zh("breakdown", ZY, "按竞品分一下我的客户", G(sc(ZY), "competitor")),
        zh("breakdown", WH, "按线索来源统计客户数量", G(sc(WH), "lead_source")),
        zh("breakdown", ZM, "各省份分别有多少客户", G(a, "province")),
        zh("breakdown", CJ, "我的客户按套餐分布", G(sc(CJ), "plan")),
        # ---- key person
        en("keyperson", TOM, "accounts where the economic buyer is a blocker",
           S(b.people(sc(TOM), "EB", "blocker"))),
        en("keyperson", LENA, "which of my accounts have no technical buyer",
           S(without(sc(LENA), b.people(sc(LENA), "TB")))),
        en("keyperson", ROCCO, "accounts where a user buyer is neutral", S(b.people(sc(ROCCO), "UB", "neutral"))),
        en("keyperson", PRIYA, "accounts with a contact titled Solutions Architect",
           S(b.people(sc(PRIYA), titles=["Solutions Architect"]))),
        en("keyperson", SAM, "accounts where the decision maker supports us",
           S(b.people(a, "EB", "supporter"))),
        en("keyperson", SUMMER, "show accounts whose TB is a supporter", S(b.people(sc(SUMMER), "TB", "supporter"))),
        zh("keyperson", ZY, "技术负责人持反对态度的客户", S(b.people(sc(ZY), "TB", "blocker"))),
        zh("keyperson", WH, "哪些客户没有TB", S(without(sc(WH), b.people(sc(WH), "TB")))),
        zh("keyperson", HJ, "UB是支持者的客户", S(b.people(sc(HJ), "UB", "supporter"))),
        zh("keyperson", LQ, "有采购总监的客户", S(b.people(sc(LQ), titles=["采购总监"]))),
        zh("keyperson", ZM, "决策人态度中立的客户有哪些", S(b.people(a, "EB", "neutral"))),
        zh("keyperson", ZY, "关键人里有反对者的客户", S(b.people(sc(ZY), attitude="blocker"))),
        # ---- events over windows
        en("events", LENA, "accounts that logged in during the last 30 days", S(ev(sc(LENA), "login", *L30))),
        en("events", TOM, "which accounts opened a ticket last month", S(ev(sc(TOM), "ticket", *feb))),
        en("events", PRIYA, "how many accounts filed a ticket this quarter", C(ev(sc(PRIYA), "ticket", *q1))),
        en("events", ROCCO, "total purchase amount between Dec 1 and Jan 31",
           SUM(b.events("purchase", *dec_jan).pipe(lambda e: e[e.account.isin(sc(ROCCO).account_id)]).amount.sum())),
        en("events", CELIA, "accounts that used the api feature in the last 60 days",
           S(ev(sc(CELIA), "feature_use", *L60, feature="api"))),
        en("events", SUMMER, "which accounts opened a ticket since Oct 1?", S(ev(sc(SUMMER), "ticket", *since_oct))),
        en("events", SAM, "accounts with more than 5 logins in the last 30 days",
           S(a[b.count_col(a, "login", L30) > 5])),
        en("events", TOM, "how many logins did Opentech have last month",
           ("count", int(len(b.events("login", *feb).query("account == 'E726'"))))),
        zh("events", ZM, "上个月有购买的客户", S(ev(a, "purchase", *feb))),
        zh("events", ZY, "最近30天提过工单的客户", S(ev(sc(ZY), "ticket", *L30))),
        zh("events", LQ, "10月1日以来团队的采购总额是多少",
           SUM(b.events("purchase", *since_oct).pipe(lambda e: e[e.account.isin(sc(LQ).account_id)]).amount.sum())),
        zh("events", WH, "12月1日到1月31日之间有工单的客户有几个", C(ev(sc(WH), "ticket", *dec_jan))),
        zh("events", WF, "我的客户最近7天登录过的有哪些", S(ev(sc(WF), "login", *L7))),
        zh("events", HJ, "上个月登录过的客户", S(ev(sc(HJ), "login", *feb))),
        zh("events", ZY, "最近60天用过报表功能的客户", S(ev(sc(ZY), "feature_use", *L60, feature="reports"))),
        zh("events", ZM, "10月1日以来有过会议的客户", S(ev(a, "meeting", *since_oct))),
        # ---- aggregate
        en("aggregate", SAM, "total ARR", SUM(a.arr.sum())),
        en("aggregate", TOM, "average ARR of my enterprise accounts", SUM(ent(sc(TOM)).arr.mean())),
        en("aggregate", LENA, "total seats across my accounts", SUM(sc(LENA).seats.sum())),
        en("aggregate", ROCCO, "average headcount of the team's accounts", SUM(sc(ROCCO).employees.mean())),
        en("aggregate", CELIA, "what's the combined ARR of accounts renewing before the end of the year",
           SUM(ends(sc(CELIA), ao, d(2026, 12, 31)).arr.sum())),
        zh("aggregate", ZM, "所有客户的年合同额加起来是多少", SUM(a.arr.sum())),
        zh("aggregate", LQ, "团队企业版客户的平均年合同额", SUM(ent(sc(LQ)).arr.mean())),
        zh("aggregate", ZY, "我服务的医疗客户一共多少席位", SUM(sc(ZY)[sc(ZY).industry == "医疗"].seats.sum())),
        # "今年到期": the contract ends in calendar 2026 (including the months already past)
        zh("aggregate", HJ, "合同在今年到期的客户年合同额合计",
           SUM(ends(sc(HJ), d(2026, 1, 1), d(2026, 12, 31)).arr.sum())),
        zh("aggregate", WH, "我的客户平均有多少员工", SUM(sc(WH).employees.mean())),
        # ---- negation
        en("negation", TOM, "accounts that havent logged in for 2 weeks", S(inactive(sc(TOM), 15))),
        en("negation", LENA, "my accounts that dont have a competitor listed", S(sc(LENA)[sc(LENA).competitor == ""])),
        en("negation", PRIYA, "accounts not on the enterprise plan", S(sc(PRIYA)[sc(PRIYA).plan != "Enterprise"])),
        en("negation", SAM, "customers with no NPS response", S(a[a.nps.isna()])),
        en("negation", ROCCO, "accounts that didn't buy anything in the last 2 weeks",
           S(without(sc(ROCCO), ev(sc(ROCCO), "purchase", *b.last(14))))),
        en("negation", CELIA, "accounts without any blocker among their key people",
           S(without(sc(CELIA), b.people(sc(CELIA), attitude="blocker")))),
        zh("negation", LQ, "团队里不在上海的客户", S(sc(LQ)[sc(LQ).city != "上海"])),
        zh("negation", HJ, "没有任何工单的客户", S(without(sc(HJ), ev(sc(HJ), "ticket")))),
        zh("negation", WH, "不是金融行业的客户", S(sc(WH)[sc(WH).industry != "金融"])),
        zh("negation", ZY, "还没给过NPS评分的客户", S(sc(ZY)[sc(ZY).nps.isna()])),
        zh("negation", ZM, "从来没登录过的客户", S(a[a.dsl.isna()])),
        zh("negation", LQ, "最近一周没有任何登录的客户", S(inactive(sc(LQ), 7))),
        # ---- money in both scripts
        en("money", SAM, "accounts with ARR over 100k", S(a[a.arr > 100000])),
        en("money", TOM, "customers paying less than $10,000 a year", S(sc(TOM)[sc(TOM).arr < 10000])),
        en("money", LENA, "accounts with ARR between 20k and 80k", S(sc(LENA)[sc(LENA).arr.between(20000, 80000)])),
        en("money", SUMMER, "anyone above $50,000 ARR?", S(sc(SUMMER)[sc(SUMMER).arr > 50000])),
        zh("money", ZM, "年合同额超过10万的客户", S(a[a.arr > 100000])),
        zh("money", LQ, "年合同额低于4万元的客户", S(sc(LQ)[sc(LQ).arr < 40000])),
        zh("money", HJ, "年合同额在1万到20万之间的客户", S(sc(HJ)[sc(HJ).arr.between(10000, 200000)])),
        zh("money", ZY, "年合同额大于一百万的客户", S(sc(ZY)[sc(ZY).arr > 1e6])),
        zh("money", WH, "合同额¥80,000以上的客户", S(sc(WH)[sc(WH).arr >= 80000])),
        zh("money", ZM, "最近30天购买金额超过5000的客户", S(a[b.sum_col(a, "purchase", L30) > 5000])),
        zh("money", WF, "年合同额20w以上的客户", S(sc(WF)[sc(WF).arr >= 200000])),
        # ---- text search in NPS comments and notes (any answer, not only the latest)
        en("textsearch", SAM, "accounts whose NPS comments mention pricing", S(comment_has(a, "pricing"))),
        en("textsearch", TOM, "which accounts mentioned SSO in their NPS feedback", S(comment_has(sc(TOM), "SSO"))),
        en("textsearch", PRIYA, "notes mentioning budget", S(note_has(sc(PRIYA), "budget"))),
        en("textsearch", TOM, "accounts where the notes mention Salesforce", S(note_has(sc(TOM), "Salesforce"))),
        en("textsearch", LENA, "nps comments that talk about HubSpot", S(comment_has(sc(LENA), "HubSpot"))),
        zh("textsearch", ZM, "备注里提到预算的客户", S(note_has(a, "预算"))),
        zh("textsearch", ZY, "NPS评论里提到闪退的客户", S(comment_has(sc(ZY), "闪退"))),
        zh("textsearch", WH, "评论中提到纷享销客的客户", S(comment_has(sc(WH), "纷享销客"))),
        zh("textsearch", ZM, "备注中提到折扣的客户", S(note_has(a, "折扣"))),
        zh("textsearch", HJ, "NPS反馈里说到单点登录的客户", S(comment_has(sc(HJ), "单点登录"))),
        # ---- scope
        en("scope", VICKI, "list my accounts", S(sc(VICKI))),
        en("scope", VICKI, "how is Faxquote doing", NONE("Faxquote")),
        en("scope", TOM, "show Scotfind", NONE("Scotfind")),
        en("scope", CELIA, "all accounts", S(sc(CELIA))),
        en("scope", ROCCO, "how many accounts do we have?", C(sc(ROCCO))),
        en("scope", KARY, "show me Hatfan", ONE("E719")),
        zh("scope", WF, "我的客户", S(sc(WF))),
        zh("scope", WF, "北京数联科技的情况", ONE("C717")),
        zh("scope", WF, "看一下北京智造机械", NONE("北京智造机械")),
        zh("scope", ZY, "我服务的客户有多少", C(sc(ZY))),
        zh("scope", HJ, "团队所有客户列表", S(sc(HJ))),
        zh("scope", ZM, "看看成都天府物流", ONE("C704")),
        zh("scope", SL, "深圳鹏程金融的情况怎么样", NONE("深圳鹏程金融")),
        # ---- card / direct answers
        en("card", SAM, "who is the EB at Zencorporation", eb("E739")),
        en("card", TOM, "health of Opentech", ONE("E726")),
        en("card", LENA, "what's the competitor at Scotfind", TXT("HubSpot")),
        en("card", ROSIE, "when does the Konex contract end", TXT(_date_spellings(a.contract_end["E723"]))),
        en("card", SAM, "Globex", CHOICE(b, "E717", "E799")),
        en("card", SAM, "show me Acme", ONE("E701")),
        en("card", KARY, "how many seats does Xx-holding have", TXT(str(a.seats["E736"]))),
        en("card", PRIYA, "decision maker at Finhigh?", eb("E713")),
        zh("card", ZM, "深圳鹏程金融的决策人是谁", eb("C705")),
        zh("card", ZM, "西安丝路物流的席位数", TXT(str(a.seats["C712"]))),
        zh("card", LQ, "郑州中原制造的健康度", ONE("C723")),
        zh("card", HJ, "杭州西湖零售连锁的合同什么时候到期", TXT(_date_spellings(a.contract_end["C720"]))),
        zh("card", ZM, "华信", CHOICE(b, "C701", "C702", "C726")),
        zh("card", WF, "上海华信的年合同额", TXT(_money_spellings(a.arr["C701"]))),
        zh("card", ZY, "成都蓉城银行的EB是谁", eb("C713")),
        zh("card", WH, "长沙湘江软件的竞品是什么", TXT("销售易")),
        zh("card", ZM, "南京金陵制药的客户画像", ONE("C709")),
        zh("card", GY, "广州易购零售的线索来源", TXT("官网")),
    ]  # fmt: skip
    return qs


def conversations(b: Book) -> list[tuple[str, list[tuple[str, tuple]]]]:
    """(asker, [(line, expectation)]): scripted `chat --json` conversations with follow-ups."""
    a, sc, ao = b.a, b.scope, b.as_of
    t_ent = sc(TOM)[sc(TOM).plan == "Enterprise"]
    # "renewing before October": contract end between as-of and 2026-09-30
    t_ent_ren = t_ent[(t_ent.contract_end >= ao) & (t_ent.contract_end <= dt.date(2026, 9, 30))]
    z_ent = sc(ZY)[sc(ZY).plan == "企业版"]
    z_big = z_ent[z_ent.arr > 400000]
    lq = sc(LQ)
    l_inact = sc(LENA)[sc(LENA).dsl.isna() | (sc(LENA).dsl >= 30)]
    h_tk = b.with_event(sc(HJ), "ticket", *b.last(30))
    p = sc(PRIYA)
    wf = sc(WF)
    return [
        (TOM, [
            ("enterprise accounts", S(t_ent)),
            ("only the ones renewing before October", S(t_ent_ren)),
            ("sort them by ARR", ALL_BY(t_ent_ren, "arr")),
        ]),
        (ZY, [
            ("企业版客户", S(z_ent)),
            ("其中年合同额超过40万的", S(z_big)),
            ("按年合同额排一下", ALL_BY(z_big, "arr")),
        ]),
        (LQ, [
            ("团队的客户", S(lq)),
            ("再按城市分一下", G(lq, "city")),
            ("只看上海的", S(lq[lq.city == "上海"])),
        ]),
        (SAM, [
            ("Globex", CHOICE(b, "E717", "E799")),
            ("2", PICK(b, 2, "E717", "E799")),
        ]),
        (ZM, [
            ("华信", CHOICE(b, "C701", "C702", "C726")),
            ("1", PICK(b, 1, "C701", "C702", "C726")),
        ]),
        (SAM, [("compare Konex and Opentech", S(a.loc[["E723", "E726"]]))]),
        (ZM, [("对比上海华信软件和北京数联科技", S(a.loc[["C701", "C717"]]))]),
        (LENA, [
            ("accounts that havent logged in for 30 days", S(l_inact)),
            ("how many of those are on Basic", C(l_inact[l_inact.plan == "Basic"])),
        ]),
        (HJ, [
            ("最近30天有工单的客户", S(h_tk)),
            ("其中哪些是企业版", S(h_tk[h_tk.plan == "企业版"])),
        ]),
        (PRIYA, [
            ("my accounts by industry", G(p, "industry")),
            ("show me the finance ones", S(p[p.industry == "finance"])),
        ]),
        (WF, [
            ("我的客户", S(wf)),
            ("按年合同额从高到低排", ALL_BY(wf, "arr")),
        ]),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------- the harness


@dataclass
class Built:
    env: dict
    problems: list[str] = field(default_factory=list)


def _exe() -> str:
    found = shutil.which("profilebot")
    return found or str(Path(sys.executable).with_name("profilebot"))


def cli(args: list[str], env: dict, stdin: str | None = None, cwd: Path | None = None):
    return subprocess.run(
        [_exe(), *args], input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=1800
    )


def build_db(workdir: Path) -> Built:
    """The book in a fresh SQLite file through the real CLI: users, three custom fields, the imports
    (figures refreshed at as-of), notes typed in chat, the default rules run at as-of. No LLM."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PROFILEBOT_"))}
    env["PROFILEBOT_DATABASE_URL"] = f"sqlite:///{workdir / 'book7.db'}"
    env["PYTHONPATH"] = str(ROOT)
    built = Built(env)
    steps = [
        ["init"],
        ["import", str(BOOK / "users.csv"), "--kind", "users", "--json"],
        ["fields", "add", "lead_source", "--label-en", "lead source", "--label-zh", "线索来源"],
        ["fields", "add", "seats", "--type", "number", "--label-en", "seats", "--label-zh", "席位数"],
        ["fields", "add", "competitor", "--label-en", "competitor", "--label-zh", "竞品"],
    ] + [
        ["import", str(BOOK / f), "--kind", k, "--as-of", AS_OF.isoformat(), "--json"]
        for f, k in [("accounts_en.csv", "accounts"), ("zh_accounts.csv", "accounts"),
                     ("contacts.csv", "contacts"), ("events.csv", "events"), ("nps.csv", "nps")]
    ]  # fmt: skip
    for args in steps:
        done = cli(args, env, cwd=workdir)
        if done.returncode:
            built.problems.append(f"{' '.join(args[:2])} exited {done.returncode}: "
                                  f"{(done.stdout + done.stderr)[-600:]}")  # fmt: skip
        elif "--json" in args and args[0] == "import":
            try:
                rep = json.loads(done.stdout.strip().splitlines()[-1])
            except (json.JSONDecodeError, IndexError):
                rep = {}
            if rep.get("rejected"):
                built.problems.append(f"{args[1]}: rejected {rep['rejected'][:5]}")
    notes = pd.read_csv(BOOK / "notes.csv", dtype=str)
    for who, lines in [
        (ADMIN_EN, [f"note {r.name}: {r.note}" for r in notes.itertuples() if r.account_id.startswith("E")]),
        (ADMIN_ZH, [f"记一下 {r.name}：{r.note}" for r in notes.itertuples() if r.account_id.startswith("C")]),
    ]:  # fmt: skip
        done = cli(["chat", "--as", who, "--as-of", AS_OF.isoformat(), "--json"], env,
                   stdin="\n".join(lines) + "\n", cwd=workdir)  # fmt: skip
        replies = _json_lines(done.stdout)
        for line, reply in zip(lines, replies + [None] * len(lines), strict=False):
            text = (reply or {}).get("text", "")
            if not re.search(r"Noted|已记", text):
                built.problems.append(f"note not filed: {line[:60]!r} -> {text[:120]!r}")
    done = cli(["rules", "run", "--as-of", AS_OF.isoformat()], env, cwd=workdir)
    if done.returncode:
        built.problems.append(f"rules run exited {done.returncode}: {done.stderr[-400:]}")
    return built


def _json_lines(out: str) -> list[dict | None]:
    got: list[dict | None] = []
    for line in out.splitlines():
        if line.strip().startswith("{"):
            try:
                got.append(json.loads(line))
            except json.JSONDecodeError:
                got.append(None)
    return got


def ask_as(env: dict, asks: list[tuple[str, str]], workdir: Path) -> list[dict | None]:
    """Every (asker, question) through `profilebot ask - --as WHO --json`, one process per asker."""
    out: list[dict | None] = [None] * len(asks)
    for who in dict.fromkeys(w for w, _ in asks):
        idx = [i for i, (w, _) in enumerate(asks) if w == who]
        done = cli(["ask", "-", "--as", who, "--as-of", AS_OF.isoformat(), "--json"], env,
                   stdin="\n".join(asks[i][1] for i in idx) + "\n", cwd=workdir)  # fmt: skip
        got = _json_lines(done.stdout)
        if len(got) == len(idx):
            for i, ans in zip(idx, got, strict=True):
                out[i] = ans
    return out


def run_chat(env: dict, who: str, turns: list[str], workdir: Path) -> list[dict | None]:
    """One scripted `chat --json` conversation: one answer per line (None where none came)."""
    done = cli(
        ["chat", "--as", who, "--as-of", AS_OF.isoformat(), "--json", "--files-dir", str(workdir)],
        env, stdin="\n".join(turns) + "\n", cwd=workdir,
    )  # fmt: skip
    got = _json_lines(done.stdout)
    return got if len(got) == len(turns) else [None] * len(turns)


# ---------------------------------------------------------------------------------- checking

# the same value written in the other script (a breakdown may show either)
SAME = {
    "金融": "finance", "零售": "retail", "医疗": "medical", "软件": "software", "企业版": "enterprise",
    "专业版": "pro", "基础版": "basic",
}  # fmt: skip
BLANK = {"", "none", "null", "nan", "unknown", "(none)", "(blank)", "(empty)", "-", "—", "n/a",
         "未知", "无", "空", "(空)", "未填", "未填写", "其他(空)"}  # fmt: skip
REFUSAL = re.compile(r"didn.t understand|not sure what|没理解|不明白|没听懂|看不懂|无法理解", re.I)
NOT_FOUND = re.compile(
    r"no account|couldn.t find|could not find|can.t find|don.t know|not found|unknown|"
    r"没有找到|找不到|没找到|不存在|没有叫|没有名为|查无",
    re.I,
)


def _key(k) -> str:
    t = str(k).strip().casefold().replace("_", " ").removesuffix("市").removesuffix("省")
    return SAME.get(t, t)


def _ids(ans: dict) -> list[str]:
    return [str(x.get("account_id")) for x in ans.get("accounts") or []]


def _num(x) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def refused(ans: dict | None) -> bool:
    """No answer, or the product said it did not understand."""
    if ans is None or ans.get("matched") is False:
        return True
    text = ans.get("text") or ""
    return bool(REFUSAL.search(text)) or (
        ans.get("understood") is None and not ans.get("accounts") and ans.get("value") is None
        and not ans.get("rows") and not text.strip()
    )  # fmt: skip


def right(ans: dict | None, exp: tuple, prev: dict | None = None) -> bool:
    """Is this answer the expected one?"""
    if ans is None:
        return False
    kind, want = exp[0], exp[1]
    ids, text = _ids(ans), ans.get("text") or ""
    if kind == "set":
        return sorted(set(ids)) == list(want) and len(ids) == len(set(ids))
    if kind == "count":
        v = _num(ans.get("value"))
        return v is not None and round(v) == want and v == int(v)
    if kind == "top":
        vals = dict(zip(want, exp[2], strict=True))
        if len(ids) != len(want) or set(ids) != set(want):
            return False
        got = [vals[i] for i in ids]
        return got == sorted(got, reverse=exp[2][0] >= exp[2][-1])
    if kind in ("rows", "rowsum"):
        rows = ans.get("rows") or []
        got: dict[str, float] = {}
        for r in rows:
            v = r.get("count") if kind == "rows" else r.get("value")
            if v is None and kind == "rows":
                v = r.get("value")
            k = _key(r.get("key"))
            got[k] = (got.get(k, 0) or 0) + (_num(v) or 0)
        got = {k: v for k, v in got.items() if v and k not in BLANK}
        wanted = {_key(k): float(v) for k, v in want}
        return set(got) == set(wanted) and all(
            abs(got[k] - wanted[k]) <= max(1.0, 0.005 * abs(wanted[k])) for k in wanted
        )
    if kind == "sum":
        v = _num(ans.get("value"))
        return v is not None and abs(v - want) <= max(1.0, 0.005 * abs(want))
    if kind == "one":
        return ids == [want]
    if kind == "none":  # "no account called X (that you can see)"
        return (
            not ids
            and not REFUSAL.search(text)
            and (want.casefold() in text.casefold() or bool(NOT_FOUND.search(text)))
        )
    if kind == "choice":
        return sorted(set(ids)) == list(want) or (not ids and all(n in text for n in exp[2]))
    if kind == "text":
        return not refused(ans) and all(any(_holds(text, s) for s in group) for group in want)
    if kind == "pick":
        options = _ids(prev or {})
        if not options:  # the choice was offered in the text: its order is where the names stand
            at = {
                i: (prev or {}).get("text", "").find(n) for i, n in zip(exp[2], exp[3], strict=True)
            }
            options = sorted((i for i in at if at[i] >= 0), key=at.get)
        return len(options) >= want and ids == [options[want - 1]]
    raise ValueError(kind)


def _holds(text: str, s: str) -> bool:
    """s in text; a number only as a whole number (7 is not in 2027)."""
    if s.isdigit():
        return bool(re.search(rf"(?<![\d.,]){s}(?![\d.,]\d|\d)", text))
    return s in text


def lang_of(text: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def evaluate(workdir: Path, verbose: bool = True) -> dict:
    """Build the book, ask everything, score: right / wrong without saying so / refused."""
    b = Book()
    built = build_db(workdir)
    qs = questions(b)
    answers = ask_as(built.env, [(who, text) for _, _, who, text, _ in qs], workdir)
    results = []  # (category, lang, who, text, exp, verdict, answer)
    for (cat, lang, who, text, exp), ans in zip(qs, answers, strict=True):
        results.append((cat, lang, who, text, exp, _verdict(ans, exp), ans))
    for who, turns in conversations(b):
        got = run_chat(built.env, who, [t for t, _ in turns], workdir)
        prev = None
        for (text, exp), ans in zip(turns, got, strict=True):
            results.append(
                ("conversation", lang_of(text), who, text, exp, _verdict(ans, exp, prev), ans)
            )
            prev = ans
    rep = report(results)
    rep["problems"] = built.problems
    if verbose:
        for p in built.problems:
            print("BUILD PROBLEM:", p)
        print(rep["failures"])
        print(rep["table"])
    return rep


def _verdict(ans: dict | None, exp: tuple, prev: dict | None = None) -> str:
    if right(ans, exp, prev):
        return "right"
    return "refused" if refused(ans) else "wrong"


CATEGORIES = ["list", "count", "top", "breakdown", "keyperson", "events", "aggregate", "negation",
              "money", "textsearch", "scope", "card", "conversation"]  # fmt: skip


def _short(ans: dict | None) -> str:
    if ans is None:
        return "(no answer)"
    bits = [repr((ans.get("text") or "")[:200])]
    if ans.get("accounts"):
        bits.append(f"accounts={_ids(ans)[:14]}")
    if ans.get("value") is not None:
        bits.append(f"value={ans.get('value')}")
    if ans.get("rows"):
        bits.append(
            f"rows={[(r.get('key'), r.get('count'), r.get('value')) for r in ans['rows']][:12]}"
        )
    if ans.get("understood") is not None:
        bits.append(f"understood={json.dumps(ans['understood'], ensure_ascii=False)[:300]}")
    return " ".join(bits)


def report(results: list[tuple]) -> dict:
    """Rate, counts, the per-category and per-language table, and every failure."""
    n = len(results)
    tally = {v: sum(r[5] == v for r in results) for v in ("right", "wrong", "refused")}
    lines = [f"{'category':14} {'n':>4} {'right':>6} {'wrong':>6} {'refused':>8} {'rate':>8}"]
    for cat in CATEGORIES + ["", "en", "zh"]:
        if cat == "":
            lines.append("-" * 50)
            continue
        rs = [r for r in results if (r[0] == cat if cat not in ("en", "zh") else r[1] == cat)]
        if not rs:
            continue
        k = {v: sum(r[5] == v for r in rs) for v in ("right", "wrong", "refused")}
        label = cat if cat not in ("en", "zh") else {"en": "English", "zh": "Chinese"}[cat]
        lines.append(f"{label:14} {len(rs):4} {k['right']:6} {k['wrong']:6} {k['refused']:8} "
                     f"{k['right'] / len(rs):8.1%}")  # fmt: skip
    rate = tally["right"] / n if n else 0.0
    head = (f"book 7: {tally['right']}/{n} = {rate:.1%} right (target {TARGET:.0%}); "
            f"wrong {tally['wrong']}, refused {tally['refused']}")  # fmt: skip
    fails = [
        f"  {v.upper():7} [{cat}/{who}] {text!r}\n           expected {exp[0]} {str(exp[1])[:200]}\n"
        f"           got {_short(ans)}"
        for cat, _lang, who, text, exp, v, ans in results
        if v != "right"
    ]
    return {
        "rate": rate, "n": n, **tally, "results": results,
        "table": head + "\n" + "\n".join(lines), "failures": "\n".join(fails),
    }  # fmt: skip


def failure_report(rep: dict) -> str:
    """The markdown the developers read: each wrong / refused answer against its expectation."""
    out = ["# Book 7: first-sight failures", "",
           "Each wrong or refused answer of `python -m tests.test_unseen_book7`: the question, who asked "
           "(role), what the product answered, and what the oracle (pandas over the fixture files, "
           "PRODUCT.md's definitions, the asker's scope) expected.", "", rep["table"].replace("\n", "  \n"), ""]  # fmt: skip
    users = pd.read_csv(BOOK / "users.csv", dtype=str).set_index("handle")
    for cat in CATEGORIES:
        rows = [r for r in rep["results"] if r[0] == cat and r[5] != "right"]
        if not rows:
            continue
        out += [f"## {cat}", ""]
        for _c, lang, who, text, exp, v, ans in rows:
            role = users.role.get(who, "?")
            out.append(f"- **{v}** ({lang}, {who} / {role}): `{text}`")
            out.append(f"  - expected: {exp[0]} {str(exp[1])[:300]}")
            out.append(f"  - got: {_short(ans)}")
        out.append("")
    return "\n".join(out)


@pytest.mark.slow
@pytest.mark.xfail(strict=False, reason="held-out first sight; target 90%")
def test_unseen_book7(tmp_path):
    rep = evaluate(tmp_path)
    assert not rep["problems"], rep["problems"]
    assert rep["rate"] >= TARGET, f"{rep['rate']:.1%} < {TARGET:.0%}\n" + rep["table"]


def test_unseen_book7_oracle_is_sane():
    """The oracle itself: enough questions, half Chinese, no empty or all-accounts set answers."""
    b = Book()
    qs = questions(b)
    turns = [t for _, ts in conversations(b) for t in ts]
    n_zh = sum(q[1] == "zh" for q in qs) + sum(lang_of(t) == "zh" for t, _ in turns)
    assert len(qs) + len(turns) >= 140 and n_zh * 2 >= len(qs) + len(turns) and len(turns) >= 20
    assert len(b.a) == 69 and (b.a.lang == "zh").sum() == 28
    assert b.a.arr.notna().all() and b.a.contract_end.notna().all()
    assert money("十五万") == 150000 and money("1千万") == 1e7 and money("1.2万元") == 12000
    assert money("￥5,000") == 5000 and money("5w") == 50000 and money("40k") == 40000
    assert money("三十八万") == 380000 and money("八十万") == 800000 and money("二十五万") == 250000
    assert day("2024年3月5日") == dt.date(2024, 3, 5)
    for cat, _, who, text, exp in qs:
        if exp[0] == "set" and cat not in ("negation", "scope"):
            assert 0 < len(exp[1]) < len(b.scope(who)), (text, len(exp[1]))
        if exp[0] in ("count", "sum"):
            assert exp[1] > 0, text


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        r = evaluate(Path(d))
    if (
        "--failures" in sys.argv
    ):  # the first sight wrote tests/fixtures/unseen_book7/first_sight_failures.md
        Path(sys.argv[sys.argv.index("--failures") + 1]).write_text(
            failure_report(r), encoding="utf-8"
        )
    sys.exit(0 if r["rate"] >= TARGET else 1)
