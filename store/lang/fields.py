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
