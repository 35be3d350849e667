"""Sixth held-out evaluation of `profilebot ask` / `profilebot chat --json` (no LLM).

Written by a helper who never read the parser, its vocabularies or the earlier books' questions.

Book (tests/fixtures/unseen_book6, built by its build.py from the raw rows in raw/, see SOURCE.txt): 60 real
accounts of the "CRM with interactions 2024" set (Maven CRM Sales Opportunities with an interactions table):
their Won deals are the purchases, their meetings and emails (moved one year later) are `meeting` / `email`
events and the first sentence of a third of their latest interaction notes is typed in chat as a note;
usage, tickets, plan, seats and lead source from RavenStack; plus a hand-made twin (Acme Logistics Ltd) and
32 hand-written Chinese accounts imported from a UTF-8-with-BOM CSV with Chinese headers (money like 45万 /
1.2万元 / ￥380,000 / 5w / 40k / 1.5m, dates like 2025年3月5日), custom fields lead_source (线索来源) and
seats (席位数), Chinese users, key people (EB/TB/UB with supporter/neutral/blocker; CFO, Chief Financial
Officer, 财务总监, 采购经理 …), NPS with comments. As-of 2025-09-17 (Q3; "last month" = August 2025).

Everything goes through the real CLI into a temp SQLite database; expected answers come from a pandas
oracle over the fixture files following PRODUCT.md's definitions and each asker's scope (sales: own
accounts, CSM: accounts served, manager: the team's, admin: all). Each answer is right, wrong without
saying so, or refused (the product said it did not understand, or gave no answer).

166 questions (145 one-shot `ask` by 10 users + 21 turns of 6 scripted `chat --json` conversations), 86 Chinese.
Run: `python -m tests.test_unseen_book6` (about 2 minutes), or `pytest --full tests/test_unseen_book6.py`.

First sight: main at b262caf, 2026-12-01 12:47 UTC, `python -m tests.test_unseen_book6`:
136/166 = 81.9% (English 76.2% of 80, Chinese 87.2% of 86); right 136, wrong without saying so 15,
refused 15.

    category          n  right  wrong  refused     rate
    list             16     13      1        2    81.2%
    count            11     10      1        0    90.9%
    top              10     10      0        0   100.0%
    breakdown         9      9      0        0   100.0%
    keyperson        14     10      4        0    71.4%
    events           20     12      2        6    60.0%
    aggregate        10      8      2        0    80.0%
    negation         13     11      1        1    84.6%
    money            12     12      0        0   100.0%
    textsearch        8      3      1        4    37.5%
    scope            12     11      0        1    91.7%
    card             10      8      2        0    80.0%
    conversation     21     19      1        1    90.5%
    --------------------------------------------------
    English          80     61     10        9    76.2%
    Chinese          86     75      5        6    87.2%

(The very first run, 12:45 UTC on the same b262caf, printed 133/166 = 80.1%. Two things were fixed
before the score above, nothing else: a checker bug — "No account called 'X' that you can see" comes
with matched=false and was counted as refused; it is the right answer to "tell me about Wayne
Enterprises" and to a salesperson asking about an account that is not theirs — and one expectation the
oracle had provably wrong by PRODUCT.md: "profile for zoomit" asked by the CSM omar.haddad expected
Zoomit's card, but Zoomit is served by grace.kim, so by PRODUCT.md's scope the answer is "no account
called zoomit" (which the product said). Card expectations now check the asker's scope.)

Later runs against main (same questions and oracle):
- 13:04 UTC, main 776e3b5 (book 6 landed on a1545da): 141/166 = 84.9% (English 80.0%, Chinese 89.5%);
  right 141, wrong 14, refused 11 (textsearch 8/8 after d347f7b; every other category unchanged).
- 14:36 UTC, main 42deaf1: 161/166 = 97.0% (English 93.8% of 80, Chinese 100.0% of 86); right 161, wrong 4,
  refused 1. Causes fixed after first sight, each generally and without reading this list: events of any
  stored type (meetings, emails), 'accounts I serve', 'with tickets/logins', 'tech buyer', a name typed as
  a stem two accounts share ('Acme'), 'before year end'; plus the key-person, dates, names and totals work
  landed for book 5. Left: the three disputable 'medical' rows and the CFO row below, and 'tickets in the
  last 90 days' (refused: said not understood).

Disputable expectations, kept as written (PRODUCT.md does not settle them): "list medical accounts",
"how many medical customers" and "total seats across medical accounts" (asked by the admin, who sees both
books) expect only industry = medical; the product also counts the Chinese 医疗 accounts, which a user
might well want. "accounts with a contact titled CFO" expects the literal title CFO; the product also
takes Chief Financial Officer and 财务总监. Counted as right, those four would make 140/166 = 84.3%.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests import heldout  # noqa: E402

BOOK = ROOT / "tests" / "fixtures" / "unseen_book6"
AS_OF = dt.date(2025, 9, 17)
TARGET = 0.90
ADMIN_EN, ADMIN_ZH = "olivia.grant", "zhenghao"

# ---------------------------------------------------------------------------------- the oracle

_UNITS = {"万": 1e4, "w": 1e4, "千": 1e3, "k": 1e3, "m": 1e6, "亿": 1e8}


def money(s) -> float | None:
    """A money cell as a spreadsheet person typed it: 45万, 1.2万元, ￥380,000, 5w, 40k, 1.5m, 8千."""
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return None
    t = str(s).strip().replace(",", "").replace("￥", "").replace("¥", "").replace("元", "")
    m = re.fullmatch(r"([\d.]+)\s*([万wW千kKmM亿]?)", t)
    if not m:
        raise ValueError(f"money? {s!r}")
    return float(m[1]) * _UNITS.get(m[2].lower() if m[2] in "WKM" else m[2], 1.0)


def day(s) -> dt.date:
    m = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", str(s))
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def _handle(s: str) -> str:
    return str(s).split("@")[0] if isinstance(s, str) else ""


class Book:
    """The book's files read back with pandas: accounts (English and Chinese in one frame),
    users, key people, events, NPS answers, notes; and the derived figures PRODUCT.md defines."""

    def __init__(self, as_of: dt.date = AS_OF):
        self.as_of = as_of
        en = pd.read_csv(BOOK / "accounts_en.csv", dtype={"account_id": str})
        en["lang"] = "en"
        zh = pd.read_csv(BOOK / "zh_accounts.csv", encoding="utf-8-sig", dtype=str)
        zh = zh.rename(columns={
            "客户编号": "account_id", "公司名称": "name", "行业": "industry", "城市": "city",
            "省份": "province", "员工数": "employees", "成立年份": "founded", "负责人": "owner",
            "客户成功经理": "csm", "套餐": "plan", "年合同额": "arr", "合同开始日期": "contract_start",
            "合同到期日": "contract_end", "线索来源": "lead_source", "席位数": "seats",
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

    # -- scope
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

    # -- events
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

    def with_event(self, df, typ, start=None, end=None, feature=None) -> pd.DataFrame:
        ids = set(self.events(typ, start, end, feature).account)
        return df[df.account_id.isin(ids)]

    def people(self, df, role=None, attitude=None, title=None) -> pd.DataFrame:
        """Accounts of df with one key person matching every condition given."""
        c = self.contacts
        if role:
            c = c[c.role == role]
        if attitude:
            c = c[c.attitude == attitude]
        if title:
            c = c[c.title.str.casefold() == title.casefold()]
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
    return ("rows", tuple(sorted(df[col].astype(str).value_counts().items())))


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


def PERSON(*names: str) -> tuple:
    return ("person", tuple(names))


def PICK(b: Book, k: int, *ids: str) -> tuple:
    """The k-th account of the previous turn's choice among ids."""
    return ("pick", k, tuple(sorted(ids)), tuple(b.a.name[i] for i in sorted(ids)))


V, CS, M, A = (
    "vicki.laflamme",
    "omar.haddad",
    "celia.rouche",
    ADMIN_EN,
)  # sales, CSM, manager, admin
SJ, TN, FT, QL, ZA = "songjia", "tangning", "fengtao", "qianlei", ADMIN_ZH


def questions(b: Book) -> list[tuple]:
    """(category, language, asker, question, expectation): the one-shot questions."""
    a, d = b.a, dt.date
    sc = b.scope
    ev, last = b.with_event, b.last
    L30, L60, L90, L7, L14 = last(30), last(60), last(90), last(7), last(14)
    aug = (d(2025, 8, 1), d(2025, 8, 31))
    q3 = (d(2025, 7, 1), b.as_of)
    q2 = (d(2025, 4, 1), d(2025, 6, 30))
    ytd = (d(2025, 1, 1), b.as_of)
    since15 = (d(2025, 8, 15), b.as_of)
    between = (d(2025, 6, 10), d(2025, 7, 20))
    yend = d(2025, 12, 31)

    def ends(df, lo, hi):
        return df[(df.contract_end >= lo) & (df.contract_end <= hi)]

    def spent(df, win, amount):
        e = b.events("purchase", *win)
        tot = e.groupby("account").amount.sum()
        return df[df.account_id.map(tot).fillna(0) > amount]

    def spend_col(df, win):
        e = b.events("purchase", *win)
        return df.assign(spend=df.account_id.map(e.groupby("account").amount.sum()).fillna(0))

    def logins_col(df, win):
        e = b.events("login", *win)
        return df.assign(n=df.account_id.map(e.groupby("account").size()).fillna(0))

    def inactive(df, n):
        return df[df.dsl.isna() | (df.dsl > n)]

    def without(df, sub):
        return df[~df.account_id.isin(set(sub.account_id))]

    def note_has(df, term):
        n = b.notes
        return df[
            df.account_id.isin(
                set(n[n.note.str.contains(term, case=False, regex=False)].account_id)
            )
        ]

    def comment_has(df, term):
        c = b.nps
        return df[
            df.account_id.isin(
                set(c[c.comment.str.contains(term, case=False, regex=False)].account)
            )
        ]

    def card(who, aid, typed):
        """One account's card, or "no account called X" when the asker may not see it."""
        return ONE(aid) if aid in set(sc(who).account_id) else NONE(typed)

    def eb(aid):
        return PERSON(*b.names_of(aid, "EB"))

    def tb(aid):
        return PERSON(*b.names_of(aid, "TB"))

    founded = a.founded.astype(int)
    churn = a[
        a.dsl.isna() | (a.dsl >= 15)
        | (logins_col(a, L30).n <= logins_col(a, (d(2025, 7, 20), d(2025, 8, 18))).n / 2)
        & (logins_col(a, (d(2025, 7, 20), d(2025, 8, 18))).n > 0)
        | ((a.nps <= 6) & (a.contract_end >= b.as_of) & (a.contract_end <= b.as_of + dt.timedelta(days=90)))
    ]  # fmt: skip
    q = [
        # ---------------------------------------------------------------- list
        ("list", "en", CS, "show me the enterprise accounts i look after", S(sc(CS)[sc(CS).plan == "Enterprise"])),
        ("list", "en", A, "list medical accounts", S(a[a.industry == "medical"])),
        ("list", "en", M, "retail accounts on my team", S(sc(M)[sc(M).industry == "retail"])),
        ("list", "en", A, "accounts founded before 1990", S(a[founded < 1990])),
        ("list", "en", M, "which accounts came in through a partner", S(sc(M)[sc(M).lead_source == "partner"])),
        ("list", "en", CS, "accounts with more than 30 seats", S(sc(CS)[sc(CS).seats > 30])),
        ("list", "en", A, "show churn risk accounts", S(churn)),
        ("list", "zh", FT, "帮我拉一下团队里的金融客户", S(sc(FT)[sc(FT).industry == "金融"])),
        ("list", "zh", TN, "我服务的客户里有哪几家在上海", S(sc(TN)[sc(TN).city == "上海"])),
        ("list", "zh", SJ, "我的企业版客户有哪些", S(sc(SJ)[sc(SJ).plan == "企业版"])),
        ("list", "zh", QL, "物流行业的客户有哪几家", S(sc(QL)[sc(QL).industry == "物流"])),
        ("list", "zh", ZA, "员工超过2000人的客户", S(a[a.employees > 2000])),
        ("list", "zh", FT, "线索来源是展会的客户", S(sc(FT)[sc(FT).lead_source == "展会"])),
        ("list", "zh", TN, "席位数超过50的客户", S(sc(TN)[sc(TN).seats > 50])),
        ("list", "zh", ZA, "广东的客户都有哪些", S(a[a.province == "广东"])),
        ("list", "zh", TN, "有流失风险的客户", S(churn[churn.csm == TN])),
        # ---------------------------------------------------------------- count
        ("count", "en", A, "how many accounts do we have", C(a)),
        ("count", "en", CS, "how many of my accounts are on the basic plan", C(sc(CS)[sc(CS).plan == "Basic"])),
        ("count", "en", M, "number of accounts renewing in the next 60 days",
         C(ends(sc(M), b.as_of, b.as_of + dt.timedelta(days=60)))),
        ("count", "en", V, "how many customers do i have", C(sc(V))),
        ("count", "en", A, "how many medical customers", C(a[a.industry == "medical"])),
        ("count", "zh", ZA, "一共有多少家客户", C(a)),
        ("count", "zh", QL, "团队有几个医疗行业的客户", C(sc(QL)[sc(QL).industry == "医疗"])),
        ("count", "zh", TN, "北京的客户有几家", C(sc(TN)[sc(TN).city == "北京"])),
        ("count", "zh", FT, "多少客户年底前到期", C(ends(sc(FT), b.as_of, yend))),
        ("count", "zh", SJ, "我有多少个客户", C(sc(SJ))),
        ("count", "zh", ZA, "有几家客户超过15天没登录", C(inactive(a, 15))),
        # ---------------------------------------------------------------- top
        ("top", "en", A, "top 5 accounts by arr", TOP(a, "arr", 5)),
        ("top", "en", CS, "my 3 biggest accounts by employees", TOP(sc(CS), "employees", 3)),
        ("top", "en", M, "top 3 by seats on my team", TOP(sc(M), "seats", 3)),
        ("top", "en", A, "which 5 accounts spent the most in the last 90 days", TOP(spend_col(a, L90), "spend", 5)),
        ("top", "en", CS, "smallest 3 accounts by arr", TOP(sc(CS), "arr", 3, desc=False)),
        ("top", "zh", ZA, "年合同额最高的三个客户", TOP(a, "arr", 3)),
        ("top", "zh", TN, "员工最多的前5家", TOP(sc(TN), "employees", 5)),
        ("top", "zh", FT, "团队里合同额最低的3家", TOP(sc(FT), "arr", 3, desc=False)),
        ("top", "zh", QL, "最近30天登录次数最多的前5个客户", TOP(logins_col(sc(QL), L30), "n", 5)),
        ("top", "zh", SJ, "我的客户里ARR前三", TOP(sc(SJ), "arr", 3)),
        # ---------------------------------------------------------------- breakdown
        ("breakdown", "en", M, "break down my team's accounts by plan", G(sc(M), "plan")),
        ("breakdown", "en", CS, "how are my accounts split by industry", G(sc(CS), "industry")),
        ("breakdown", "en", M, "arr by plan for my team", GSUM(sc(M), "plan", "arr")),
        ("breakdown", "en", CS, "split by lead source", G(sc(CS), "lead_source")),
        ("breakdown", "zh", QL, "按行业统计一下团队的客户数", G(sc(QL), "industry")),
        ("breakdown", "zh", TN, "按城市分布", G(sc(TN), "city")),
        ("breakdown", "zh", FT, "按套餐统计年合同额", GSUM(sc(FT), "plan", "arr")),
        ("breakdown", "zh", SJ, "我的客户按线索来源分一下", G(sc(SJ), "lead_source")),
        ("breakdown", "zh", QL, "各个省份有多少客户", G(sc(QL), "province")),
        # ---------------------------------------------------------------- key people
        ("keyperson", "en", A, "accounts where the EB is a blocker", S(b.people(a, "EB", "blocker"))),
        ("keyperson", "en", CS, "which of my accounts have no economic buyer", S(without(sc(CS), b.people(a, "EB")))),
        ("keyperson", "en", M, "accounts where the tech buyer is a supporter", S(b.people(sc(M), "TB", "supporter"))),
        ("keyperson", "en", A, "accounts with a contact titled CFO", S(b.people(a, title="CFO"))),
        ("keyperson", "en", A, "who is the EB at Betasoloin", eb("E2002")),
        ("keyperson", "en", CS, "accounts where a user buyer is a blocker", S(b.people(sc(CS), "UB", "blocker"))),
        ("keyperson", "en", A, "whos the technical buyer at Cheers", tb("E2008")),
        ("keyperson", "zh", ZA, "哪些客户的决策人是反对者", S(b.people(a, "EB", "blocker"))),
        ("keyperson", "zh", TN, "没有决策人的客户有哪些", S(without(sc(TN), b.people(a, "EB")))),
        ("keyperson", "zh", FT, "TB态度中立的客户", S(b.people(sc(FT), "TB", "neutral"))),
        ("keyperson", "zh", SJ, "我的客户里有采购经理的是哪几家", S(b.people(sc(SJ), title="采购经理"))),
        ("keyperson", "zh", ZA, "深圳腾云智能硬件有限公司的决策人是谁", eb("ZH03")),
        ("keyperson", "zh", QL, "有没有决策人是支持者的客户", S(b.people(sc(QL), "EB", "supporter"))),
        ("keyperson", "zh", TN, "南京钟山制药有限公司的技术负责人是谁", tb("ZH08")),
        # ---------------------------------------------------------------- events
        ("events", "en", A, "accounts we met with last month", S(ev(a, "meeting", *aug))),
        ("events", "en", CS, "which of my accounts had email contact since Aug 15", S(ev(sc(CS), "email", *since15))),
        ("events", "en", M, "who used forecasting in the last 30 days", S(ev(sc(M), "feature_use", *L30, feature="forecasting"))),
        ("events", "en", A, "accounts that raised tickets between June 10 and July 20", S(ev(a, "ticket", *between))),
        ("events", "en", V, "any of my accounts use the mobile feature this year", S(ev(sc(V), "feature_use", *ytd, feature="mobile"))),
        ("events", "en", A, "accounts with a meeting in the last 14 days", S(ev(a, "meeting", *L14))),
        ("events", "en", M, "tickets in the last 90 days", S(ev(sc(M), "ticket", *L90))),
        ("events", "en", A, "who used the api feature last month", S(ev(a, "feature_use", *aug, feature="api"))),
        ("events", "en", CS, "which of my accounts logged in in the last 7 days", S(ev(sc(CS), "login", *L7))),
        ("events", "zh", ZA, "上个月开过会的客户", S(ev(a, "meeting", *aug))),
        ("events", "zh", TN, "本季度有工单的客户", S(ev(sc(TN), "ticket", *q3))),
        ("events", "zh", FT, "最近60天用过报表功能的客户", S(ev(sc(FT), "feature_use", *L60, feature="reports"))),
        ("events", "zh", QL, "这个季度有采购的客户有哪些", S(ev(sc(QL), "purchase", *q3))),
        ("events", "zh", SJ, "我的客户最近7天有谁登录过", S(ev(sc(SJ), "login", *L7))),
        ("events", "zh", ZA, "今年以来用过sso的客户", S(ev(a, "feature_use", *ytd, feature="sso"))),
        ("events", "zh", TN, "上季度有会议记录的客户", S(ev(sc(TN), "meeting", *q2))),
        ("events", "zh", ZA, "8月15号以来有邮件往来的客户", S(ev(a, "email", *since15))),
        ("events", "zh", QL, "6月10日到7月20日之间有登录的客户", S(ev(sc(QL), "login", *between))),
        ("events", "zh", FT, "超过30天没登录的客户", S(inactive(sc(FT), 30))),
        ("events", "zh", ZA, "上个月用过api的客户有哪几家", S(ev(a, "feature_use", *aug, feature="api"))),
        # ---------------------------------------------------------------- totals / averages
        ("aggregate", "en", CS, "total arr of my enterprise accounts", SUM(sc(CS)[sc(CS).plan == "Enterprise"].arr.sum())),
        ("aggregate", "en", M, "average arr for my team", SUM(sc(M).arr.mean())),
        ("aggregate", "en", A, "total ARR of accounts renewing before year end", SUM(ends(a, b.as_of, yend).arr.sum())),
        ("aggregate", "en", V, "whats the total arr across my accounts", SUM(sc(V).arr.sum())),
        ("aggregate", "en", A, "total seats across medical accounts", SUM(a[a.industry == "medical"].seats.sum())),
        ("aggregate", "zh", SJ, "我的客户年合同额一共多少", SUM(sc(SJ).arr.sum())),
        ("aggregate", "zh", FT, "团队里金融客户的平均年合同额", SUM(sc(FT)[sc(FT).industry == "金融"].arr.mean())),
        ("aggregate", "zh", ZA, "年底前到期的客户ARR合计", SUM(ends(a, b.as_of, yend).arr.sum())),
        ("aggregate", "zh", TN, "我服务的客户平均员工数", SUM(sc(TN).employees.mean())),
        ("aggregate", "zh", QL, "团队客户的席位数加起来多少", SUM(sc(QL).seats.sum())),
        # ---------------------------------------------------------------- negation
        ("negation", "en", M, "my team's accounts that aren't in the united states", S(sc(M)[sc(M).country != "United States"])),
        ("negation", "en", CS, "which of my accounts dont have any contacts", S(without(sc(CS), b.people(a)))),
        ("negation", "en", CS, "accounts that havent logged in for 45 days", S(inactive(sc(CS), 45))),
        ("negation", "en", M, "accounts not in retail", S(sc(M)[sc(M).industry != "retail"])),
        ("negation", "en", A, "accounts with no nps response", S(without(a, a[a.nps.notna()]))),
        ("negation", "en", CS, "accounts without tickets this year", S(without(sc(CS), ev(a, "ticket", *ytd)))),
        ("negation", "en", M, "accts that havent bought anything since aug 15", S(without(sc(M), ev(a, "purchase", *since15)))),
        ("negation", "zh", SJ, "不是企业版的客户", S(sc(SJ)[sc(SJ).plan != "企业版"])),
        ("negation", "zh", TN, "非上海的客户", S(sc(TN)[sc(TN).city != "上海"])),
        ("negation", "zh", FT, "还没开过会的客户", S(without(sc(FT), ev(a, "meeting")))),
        ("negation", "zh", QL, "最近60天没有采购的客户", S(without(sc(QL), ev(a, "purchase", *L60)))),
        ("negation", "zh", ZA, "从来没登录过的客户", S(a[a.dsl.isna()])),
        ("negation", "zh", TN, "没有NPS评分的客户", S(sc(TN)[sc(TN).nps.isna()])),
        # ---------------------------------------------------------------- money
        ("money", "en", A, "accounts with arr above 1m", S(a[a.arr > 1e6])),
        ("money", "en", CS, "my accounts with arr under 80k", S(sc(CS)[sc(CS).arr < 80000])),
        ("money", "en", M, "arr between 100k and 150k on my team", S(sc(M)[(sc(M).arr >= 1e5) & (sc(M).arr <= 1.5e5)])),
        ("money", "en", A, "accounts paying more than ￥380,000 a year", S(a[a.arr > 380000])),
        ("money", "en", A, "who spent over 20k in the last 30 days", S(spent(a, L30, 20000))),
        ("money", "zh", ZA, "年合同额超过45万的客户", S(a[a.arr > 450000])),
        ("money", "zh", SJ, "合同额在10万到50万之间的客户", S(sc(SJ)[(sc(SJ).arr >= 1e5) & (sc(SJ).arr <= 5e5)])),
        ("money", "zh", TN, "年合同额低于5w的", S(sc(TN)[sc(TN).arr < 50000])),
        ("money", "zh", FT, "ARR大于1.2万元的客户", S(sc(FT)[sc(FT).arr > 12000])),
        ("money", "zh", QL, "年合同额不到40k的客户", S(sc(QL)[sc(QL).arr < 40000])),
        ("money", "zh", ZA, "最近90天采购金额超过5万的客户", S(spent(a, L90, 50000))),
        ("money", "zh", ZA, "年合同额至少100万的客户", S(a[a.arr >= 1e6])),
        # ---------------------------------------------------------------- text search
        ("textsearch", "en", A, "accounts whose notes mention integration", S(note_has(a, "integration"))),
        ("textsearch", "en", A, "nps comments mentioning onboarding", S(comment_has(a, "onboarding"))),
        ("textsearch", "en", A, "which accounts have notes about lunch", S(note_has(a, "lunch"))),
        ("textsearch", "en", A, "any notes that mention GTK 500", S(note_has(a, "GTK 500"))),
        ("textsearch", "zh", ZA, "备注里提到竞品的客户", S(note_has(a, "竞品"))),
        ("textsearch", "zh", ZA, "NPS评论里说客服的客户", S(comment_has(a, "客服"))),
        ("textsearch", "zh", TN, "评论里提到移动端的客户", S(comment_has(sc(TN), "移动端"))),
        ("textsearch", "zh", ZA, "备注中提到培训的客户", S(note_has(a, "培训"))),
        # ---------------------------------------------------------------- scope
        ("scope", "en", V, "my accounts", S(sc(V))),
        ("scope", "en", V, "tell me about Acme Corporation", NONE("Acme Corporation")),
        ("scope", "en", M, "how many accounts does my team have", C(sc(M))),
        ("scope", "en", CS, "list the accounts i serve", S(sc(CS))),
        ("scope", "en", M, "which of my team's accounts are on pro", S(sc(M)[sc(M).plan == "Pro"])),
        ("scope", "en", M, "vicki laflamme's accounts", S(sc(V))),
        ("scope", "zh", SJ, "我的客户有哪些", S(sc(SJ))),
        ("scope", "zh", SJ, "华信物流（上海）有限公司的情况", NONE("华信物流")),
        ("scope", "zh", QL, "我团队的客户有哪些", S(sc(QL))),
        ("scope", "zh", TN, "我负责服务的客户数量", C(sc(TN))),
        ("scope", "zh", FT, "邓超的客户", S(sc("dengchao"))),
        ("scope", "zh", SJ, "韩冰的客户有哪些", ("set", ())),
        # ---------------------------------------------------------------- one account
        ("card", "en", A, "tell me about Betasoloin", card(A, "E2002", "Betasoloin")),
        ("card", "en", CS, "profile for zoomit", card(CS, "E2059", "zoomit")),
        ("card", "en", A, "tell me about Wayne Enterprises", NONE("Wayne Enterprises")),
        ("card", "en", A, "what about Acme", CHOICE(b, "E2001", "E2999")),
        ("card", "en", V, "show me Condax", card(V, "E2009", "Condax")),
        ("card", "zh", ZA, "北京华信金融科技有限公司的情况", card(ZA, "ZH01", "北京华信金融科技有限公司")),
        ("card", "zh", ZA, "腾飞科技怎么样", NONE("腾飞科技")),
        ("card", "zh", ZA, "华信的客户画像", CHOICE(b, "ZH01", "ZH02")),
        ("card", "zh", TN, "南京钟山制药的画像", card(TN, "ZH08", "南京钟山制药")),
        ("card", "zh", QL, "看一下武汉江城物流集团", card(QL, "ZH10", "武汉江城物流集团")),
    ]  # fmt: skip
    return q


def conversations(b: Book) -> list[tuple[str, list[tuple[str, tuple]]]]:
    """(asker, [(line, expectation)]): scripted `chat --json` conversations."""
    sc = b.scope
    n90 = sc(CS)[(sc(CS).contract_end >= b.as_of)
                & (sc(CS).contract_end <= b.as_of + dt.timedelta(days=90))]  # fmt: skip
    n90e = n90[n90.plan == "Enterprise"]
    team = sc(QL)
    sh = team[team.city == "上海"]
    mine = sc(V)
    quiet = mine[mine.dsl.isna() | (mine.dsl > 30)]
    return [
        (CS, [
            ("show my accounts renewing in the next 90 days", S(n90)),
            ("of those which are on enterprise", S(n90e)),
            ("sort them by arr", ALL_BY(n90e, "arr")),
            ("total arr of those", SUM(n90e.arr.sum())),
        ]),
        (QL, [
            ("我团队里有多少客户", C(team)),
            ("其中在上海的有哪几家", S(sh)),
            ("再按行业分一下", G(sh, "industry")),
        ]),
        (A, [
            ("tell me about Acme", CHOICE(b, "E2001", "E2999")),
            ("2", PICK(b, 2, "E2001", "E2999")),
            ("who's the EB at Acme Corporation", PERSON(*b.names_of("E2001", "EB"))),
            ("compare Acme Corporation and Betasoloin", ("set", ("E2001", "E2002"))),
        ]),
        (ZA, [
            ("华信的情况", CHOICE(b, "ZH01", "ZH02")),
            ("第一个", PICK(b, 1, "ZH01", "ZH02")),
            ("北京华信金融科技有限公司的决策人是谁", PERSON(*b.names_of("ZH01", "EB"))),
            ("对比深圳腾云智能硬件有限公司和南京钟山制药有限公司", ("set", ("ZH03", "ZH08"))),
        ]),
        (V, [
            ("my accounts", S(mine)),
            ("which of those havent logged in for 30 days", S(quiet)),
            ("how many", C(quiet)),
        ]),
        (FT, [
            ("团队里年底前到期的客户", S(team_end := sc(FT)[(sc(FT).contract_end >= b.as_of)
                                               & (sc(FT).contract_end <= dt.date(2025, 12, 31))])),
            ("其中哪些是企业版", S(team_end[team_end.plan == "企业版"])),
            ("那专业版呢", S(team_end[team_end.plan == "专业版"])),
        ]),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------- running it


def build_db(workdir: Path) -> heldout.Built:
    """The book in a fresh SQLite file through the real CLI: fields, imports, notes typed in chat,
    the default rules run at as-of (they set the churn_risk tag)."""
    db = f"sqlite:///{workdir / 'book6.db'}"
    built = heldout.build(
        db,
        [
            (BOOK / "users.csv", "users", []),
            (BOOK / "accounts_en.csv", "accounts", []),
            (BOOK / "zh_accounts.csv", "accounts", []),
            (BOOK / "contacts.csv", "contacts", []),
            (BOOK / "events.csv", "events", []),
            (BOOK / "nps.csv", "nps", []),
        ],
        before=[
            ["fields", "add", "lead_source", "--label-en", "lead source", "--label-zh", "线索来源"],
            ["fields", "add", "seats", "--type", "number", "--label-en", "seats", "--label-zh", "席位数"],
        ],
        cwd=workdir,
    )  # fmt: skip
    notes = pd.read_csv(BOOK / "notes.csv", dtype=str)
    lines = [
        f"note {r.name}: {r.note}" if r.account_id.startswith("E") else f"记一下 {r.name}：{r.note}"
        for r in notes.itertuples()
    ]
    done = heldout.cli(
        ["chat", "--as", ADMIN_EN, "--as-of", AS_OF.isoformat(), "--json"],
        built.env, stdin="\n".join(lines) + "\n", cwd=workdir,
    )  # fmt: skip
    replies = _json_lines(done.stdout)
    for line, reply in zip(lines, replies + [None] * len(lines), strict=False):
        text = (reply or {}).get("text", "")
        if not re.search(r"Noted|已记", text):
            built.problems.append(f"note not filed: {line[:60]!r} -> {text[:120]!r}")
    done = heldout.cli(["rules", "run", "--as-of", AS_OF.isoformat()], built.env, cwd=workdir)
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


def run_chat(env: dict, who: str, turns: list[str], workdir: Path) -> list[dict | None]:
    """One scripted `chat --json` conversation: one answer per line (None where none came)."""
    done = heldout.cli(
        ["chat", "--as", who, "--as-of", AS_OF.isoformat(), "--json", "--files-dir", str(workdir)],
        env, stdin="\n".join(turns) + "\n", cwd=workdir,
    )  # fmt: skip
    got = _json_lines(done.stdout)
    return got if len(got) == len(turns) else [None] * len(turns)


# ---------------------------------------------------------------------------------- checking

# the same value written in the other script (a breakdown may show either)
SAME = {
    "金融": "finance", "零售": "retail", "医疗": "medical", "软件": "software", "制造": "manufacturing",
    "物流": "logistics", "教育": "education", "互联网": "internet", "咨询": "consulting",
    "企业版": "enterprise", "专业版": "pro", "基础版": "basic", "展会": "event", "合作伙伴": "partner",
    "官网": "website", "广告": "ads", "转介绍": "referral", "其他": "other",
}  # fmt: skip
REFUSAL = re.compile(r"didn.t understand|not sure what|没理解|不明白|没听懂|看不懂|无法理解", re.I)
NOT_FOUND = re.compile(
    r"no account|couldn.t find|could not find|can.t find|don.t know|not found|unknown|"
    r"没有找到|找不到|没找到|不存在|没有叫|没有名为|查无",
    re.I,
)


def _key(k) -> str:
    t = str(k).strip().casefold().removesuffix("市").removesuffix("省")
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
            got[_key(r.get("key"))] = (got.get(_key(r.get("key")), 0) or 0) + (_num(v) or 0)
        got = {k: v for k, v in got.items() if v}
        wanted = {_key(k): float(v) for k, v in want}
        return set(got) == set(wanted) and all(
            abs(got[k] - wanted[k]) <= max(1.0, 0.005 * abs(wanted[k])) for k in wanted
        )
    if kind == "sum":
        v = _num(ans.get("value"))
        return v is not None and abs(v - want) <= max(1.0, 0.005 * abs(want))
    if kind == "one":
        return ids == [want]
    if kind == "none":  # "no account called X" (said as a refusal, matched=false, is right)
        return (
            not ids
            and not REFUSAL.search(text)
            and (want.casefold() in text.casefold() or bool(NOT_FOUND.search(text)))
        )
    if kind == "choice":
        return sorted(set(ids)) == list(want) or (not ids and all(n in text for n in exp[2]))
    if kind == "person":
        return not refused(ans) and all(n in text for n in want)
    if kind == "pick":
        options = _ids(prev or {})
        if not options:  # the choice was offered in the text: its order is where the names stand
            at = {
                i: (prev or {}).get("text", "").find(n) for i, n in zip(exp[2], exp[3], strict=True)
            }
            options = sorted((i for i in at if at[i] >= 0), key=at.get)
        return len(options) >= want and ids == [options[want - 1]]
    raise ValueError(kind)


def lang_of(text: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def evaluate(workdir: Path, verbose: bool = True) -> dict:
    """Build the book, ask everything, score: right / wrong without saying so / refused."""
    b = Book()
    built = build_db(workdir)
    qs = questions(b)
    answers = heldout.ask_as(built.env, [(who, text) for _, _, who, text, _ in qs], AS_OF)
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
    bits = [repr((ans.get("text") or "")[:160])]
    if ans.get("accounts"):
        bits.append(f"accounts={_ids(ans)[:12]}")
    if ans.get("value") is not None:
        bits.append(f"value={ans.get('value')}")
    if ans.get("rows"):
        bits.append(
            f"rows={[(r.get('key'), r.get('count'), r.get('value')) for r in ans['rows']][:10]}"
        )
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
    head = (f"book 6: {tally['right']}/{n} = {rate:.1%} right (target {TARGET:.0%}); "
            f"wrong {tally['wrong']}, refused {tally['refused']}")  # fmt: skip
    fails = [
        f"  {v.upper():7} [{cat}/{who}] {text!r}\n           expected {exp[0]} {str(exp[1])[:150]}\n"
        f"           got {_short(ans)}"
        for cat, _lang, who, text, exp, v, ans in results
        if v != "right"
    ]
    return {
        "rate": rate, "n": n, **tally, "results": results,
        "table": head + "\n" + "\n".join(lines), "failures": "\n".join(fails),
    }  # fmt: skip


def test_unseen_book6(tmp_path):
    rep = evaluate(tmp_path)
    assert not rep["problems"], rep["problems"]
    assert rep["rate"] >= TARGET, f"{rep['rate']:.1%} < {TARGET:.0%}\n" + rep["table"]


def test_unseen_book6_oracle_is_sane():
    """The oracle itself: enough questions, half Chinese, no empty or all-accounts set answers."""
    b = Book()
    qs = questions(b)
    turns = [t for _, ts in conversations(b) for t in ts]
    n_zh = sum(q[1] == "zh" for q in qs) + sum(lang_of(t) == "zh" for t, _ in turns)
    assert len(qs) + len(turns) >= 130 and n_zh * 2 >= len(qs) + len(turns)
    assert len(b.a) == 93 and (b.a.lang == "zh").sum() == 32
    assert b.a.arr.notna().all() and b.a.contract_end.notna().all()
    assert money("45万") == 450000 and money("1.2万元") == 12000 and money("￥380,000") == 380000
    assert money("5w") == 50000 and money("40k") == 40000 and money("1.5m") == 1500000
    for cat, _, who, text, exp in qs:
        if exp[0] == "set" and cat not in ("negation", "scope"):
            assert 0 < len(exp[1]) < len(b.scope(who)), (text, len(exp[1]))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        r = evaluate(Path(d))
    sys.exit(0 if r["rate"] >= TARGET else 1)
