"""Field words: how people name a profile field, in English and Chinese, both as a column header of
an accounts file and in a question ("ARR", "年合同额", "employees", "员工人数", "contract end date").

`FIELD_WORDS` holds the words that name a field the same way in both places; the importer's header
aliases (store/aliases.py) and the parser's field phrases (handlers/lexicon.py) each add only what
is theirs and say why at their top:

- header-only: machine column names and words that are a field only as a whole header (`crm_id`,
  `arr_amount`, `num_employees`, `url`, `am`, `所在地`), and columns no question names as such
  (`account_id`, `name`, `decision_process`, `notes`); headers of contacts, events, NPS and users
  files name import columns, not profile fields.
- question-only: words that name a field inside a sentence but are too loose for a header
  (`paying`, `size`, `people`, `金额`, `规模`), and the figures the product computes (days since
  login, health, RFM, completeness), which no file imports.

A header is compared after folding (`Contract End Date` = `contract_end_date` = `contract end date`),
a question lower-cased, so a word is written here once, with spaces. `EXAMPLES` is the corpus both
readers must read alike (tests/test_lang.py).
"""

from __future__ import annotations

import re

# field -> words naming it both as an accounts-file header and in a question
FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "domain": ("domain", "website", "官网", "域名", "网站"),
    "industry": ("industry", "sector", "vertical", "行业"),
    "employees": (
        "employees",
        "employee count",
        "headcount",
        "staff",
        "company size",
        "员工数",
        "员工人数",
        "人数",
        "公司规模",
    ),
    "annual_revenue": ("annual revenue", "revenue", "年营收", "营收", "营业收入", "年收入"),
    "city": ("city", "城市"),
    "province": ("province", "state", "省份", "省"),
    "country": ("country", "国家"),
    "founded": (
        "founded",
        "year founded",
        "established",
        "year established",
        "成立年份",
        "成立时间",
    ),
    "parent": ("parent company", "parent", "母公司"),
    "owner": (
        "owner",
        "account owner",
        "sales rep",
        "salesperson",
        "account manager",
        "sales",
        "负责人",
        "客户经理",
        "销售",
    ),
    "csm": ("csm", "customer success manager", "customer success", "客户成功经理", "客户成功"),
    "plan": ("plan", "edition", "subscription", "套餐", "订阅版本", "版本"),
    "arr": (
        "arr",
        "contract value",
        "annual contract value",
        "acv",
        "年合同额",
        "年度合同额",
        "合同额",
        "合同金额",
        "年费",
    ),
    "contract_start": (
        "contract start",
        "contract start date",
        "start date",
        "签约日期",
        "合同开始日期",
        "合同开始",
    ),
    "contract_end": (
        "contract end",
        "contract end date",
        "renewal date",
        "end date",
        "合同到期日",
        "到期日",
        "续约日期",
        "合同结束日期",
    ),
    "stage": ("stage", "lifecycle stage", "阶段", "客户阶段"),
    "price_sensitivity": ("price sensitivity", "价格敏感度"),
    "pains": ("pains", "pain points", "痛点"),
    "budget": ("budget", "预算"),
    "tier": ("tier", "客户等级", "等级"),
    "status": ("status", "客户状态", "状态"),
}

# the corpus: a word -> the field both the importer's header mapping and the question parser read
# words beside a plan's name that make an ordinary word a plan ("the team plan", "growth tier",
# "subscribed to free"); with FIELD_WORDS["plan"]
PLAN_CUES: tuple[str, ...] = (
    "plans",
    "tier",
    "tiers",
    "editions",
    "package",
    "packages",
    "subscriptions",
    "subscribed",
    "subscribed to",
    "版",
    "方案",
)

# a letter grade said with its word: "A类客户", "A级", "tier B", "grade C", "class A", "gold tier";
# the grade is the first group that matched (read_grade)
GRADE_RX = (
    r"(?<![a-z0-9])([a-d]|[sabcd])\s*(?:类|级|等)(?:客户)?|\btier\s+([a-z0-9]+)\b"
    r"|\b([a-z0-9]+)\s+tier\b|\bgrade[\s-]+([a-e])\b|(?<![a-z0-9])([a-e])[\s-]+grade\b"
    r"|\b(?:class|level|rank)\s+([a-d])\b(?!\s*(?:>|<|=))"
)


def read_grade(text: str) -> str | None:
    """The grade a GRADE_RX phrase names ("A级" -> "a", "tier gold" -> "gold")."""
    m = re.fullmatch(GRADE_RX, text.strip().lower())
    return next((g for g in m.groups() if g), None) if m else None


# a price sensitivity said with its level: "价格敏感度高", "high price sensitivity", "price sensitive"
PRICE_LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "high": ("高", "较高", "很高", "偏高", "非常高"),
    "medium": ("中", "中等", "一般", "适中", "中等偏上"),
    "low": ("低", "较低", "很低", "偏低", "不高"),
}
PRICE_PHRASES: dict[str, str] = {
    "price sensitive": "high",
    "price-sensitive": "high",
    "价格敏感": "high",
    "not price sensitive": "low",
    "价格不敏感": "low",
    **{
        tpl.format(w=w): level
        for level, words in PRICE_LEVEL_WORDS.items()
        for w in words
        for tpl in (
            "价格敏感度{w}",
            "价格敏感度为{w}",
            "价格敏感度是{w}",
            "{w}价格敏感度",
            "{w}价格敏感",
        )
    },
}
# words that say price is talked about: a level the book stores (high, 高) is a price sensitivity
# beside one ("high price sensitivity", "price sensitivity: medium")
PRICE_CUES: tuple[str, ...] = (
    "price sensitivity",
    "pricing sensitivity",
    "price",
    "pricing",
    "价格敏感度",
    "价格",
    "敏感度",
    "敏感",
)

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("ARR", "arr"),
    ("年合同额", "arr"),
    ("annual contract value", "arr"),
    ("employees", "employees"),
    ("员工人数", "employees"),
    ("annual revenue", "annual_revenue"),
    ("年营收", "annual_revenue"),
    ("industry", "industry"),
    ("行业", "industry"),
    ("city", "city"),
    ("城市", "city"),
    ("owner", "owner"),
    ("plan", "plan"),
    ("套餐", "plan"),
    ("stage", "stage"),
    ("阶段", "stage"),
    ("budget", "budget"),
    ("预算", "budget"),
    ("province", "province"),
    ("省份", "province"),
    ("country", "country"),
    ("痛点", "pains"),
)
