"""Column headers as people write them, in English and Chinese, mapped to import fields.

Each import kind has its own table (a contacts file's `account` is the company a person works at;
an accounts file's `account` is the company's name). `map_headers` maps a file's headers for one
kind; `guess_kind` picks the kind whose required fields the headers cover best.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

KINDS = ("users", "accounts", "contacts", "events", "nps")

_ACCOUNT_REF = (
    "account",
    "account_id",
    "account_name",
    "accountid",
    "company",
    "company_name",
    "customer",
    "customer_id",
    "customer_name",
    "client",
    "domain",
    "客户",
    "客户名称",
    "客户名",
    "公司",
    "公司名称",
    "企业",
    "企业名称",
    "客户编号",
    "客户id",
    "所属客户",
    "所属公司",
)

# kind -> field -> aliases (compared after `header_key` folding)
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "account_id": (
            "account_id",
            "accountid",
            "external_id",
            "customer_id",
            "crm_id",
            "id",
            "客户编号",
            "客户id",
            "客户代码",
            "编号",
        ),
        "name": (
            "name",
            "account",
            "account_name",
            "company",
            "company_name",
            "customer",
            "customer_name",
            "client",
            "organization",
            "organisation",
            "客户名称",
            "客户名",
            "公司名称",
            "企业名称",
            "客户",
            "公司",
            "名称",
        ),
        "domain": (
            "domain",
            "website",
            "web",
            "url",
            "site",
            "homepage",
            "官网",
            "网址",
            "域名",
            "网站",
        ),
        "industry": ("industry", "sector", "vertical", "行业", "所属行业", "行业类别"),
        "employees": (
            "employees",
            "employee_count",
            "num_employees",
            "headcount",
            "staff",
            "company_size",
            "员工数",
            "员工人数",
            "员工数量",
            "人数",
            "公司规模",
        ),
        "annual_revenue": (
            "annual_revenue",
            "revenue",
            "年营收",
            "营收",
            "年收入",
            "营业收入",
            "年营业额",
        ),
        "city": ("city", "城市", "所在城市", "所在地"),
        "province": ("province", "state", "省份", "省", "所在省份"),
        "country": ("country", "国家", "国家地区"),
        "founded": (
            "founded",
            "founded_year",
            "year_founded",
            "year_established",
            "established",
            "成立年份",
            "成立时间",
            "成立日期",
        ),
        "parent": ("parent", "parent_company", "subsidiary_of", "母公司", "上级公司", "所属集团"),
        "owner": (
            "owner",
            "account_owner",
            "sales_rep",
            "sales",
            "salesperson",
            "account_manager",
            "am",
            "ae",
            "负责人",
            "客户经理",
            "销售",
            "销售负责人",
            "归属销售",
        ),
        "csm": (
            "csm",
            "customer_success_manager",
            "customer_success",
            "cs_manager",
            "客户成功经理",
            "客户成功",
        ),
        "plan": (
            "plan",
            "plan_tier",
            "edition",
            "subscription",
            "订阅版本",
            "版本",
            "套餐",
            "产品版本",
        ),
        "arr": (
            "arr",
            "arr_amount",
            "annual_contract_value",
            "acv",
            "contract_value",
            "年合同额",
            "合同金额",
            "年度合同额",
            "合同额",
            "年费",
        ),
        "contract_start": (
            "contract_start",
            "contract_start_date",
            "start_date",
            "合同开始日期",
            "合同开始",
            "签约日期",
            "开始日期",
        ),
        "contract_end": (
            "contract_end",
            "contract_end_date",
            "end_date",
            "renewal_date",
            "合同到期日",
            "合同结束日期",
            "合同到期日期",
            "到期日",
            "到期日期",
            "续约日期",
        ),
        "stage": ("stage", "lifecycle_stage", "阶段", "客户阶段"),
        "price_sensitivity": ("price_sensitivity", "价格敏感度"),
        "pains": ("pains", "pain_points", "痛点"),
        "decision_process": ("decision_process", "决策流程"),
        "budget": ("budget", "预算"),
        "notes": ("notes", "note", "remarks", "备注"),
        "tier": ("tier", "客户等级", "等级"),
        "status": ("status", "客户状态", "状态"),
    },
    "contacts": {
        "account": _ACCOUNT_REF,
        "name": (
            "name",
            "contact",
            "contact_name",
            "full_name",
            "person",
            "姓名",
            "联系人",
            "关键人",
        ),
        "title": ("title", "job_title", "position", "职位", "职务", "头衔"),
        "role": ("role", "buying_role", "角色", "决策角色", "采购角色"),
        "email": ("email", "e_mail", "mail", "邮箱", "电子邮件", "邮件"),
        "phone": ("phone", "mobile", "tel", "telephone", "电话", "手机", "手机号", "联系电话"),
        "influence": ("influence", "影响力"),
        "attitude": ("attitude", "态度"),
        "notes": ("notes", "note", "备注"),
    },
    "events": {
        "account": _ACCOUNT_REF,
        "timestamp": (
            "timestamp",
            "ts",
            "time",
            "datetime",
            "date",
            "event_time",
            "event_date",
            "occurred_at",
            "created_at",
            "时间",
            "日期",
            "发生时间",
            "事件时间",
        ),
        "type": (
            "type",
            "event",
            "event_type",
            "activity",
            "activity_type",
            "类型",
            "事件",
            "事件类型",
        ),
        "user": ("user", "actor", "user_id", "user_email", "用户", "操作人", "使用者"),
        "feature": ("feature", "feature_name", "功能", "功能名称"),
        "amount": ("amount", "value", "price", "金额", "数额"),
        "event_id": ("event_id", "id", "事件id", "事件编号"),
    },
    "nps": {
        "account": _ACCOUNT_REF,
        "date": ("date", "survey_date", "responded_at", "timestamp", "日期", "时间", "调研日期"),
        "score": ("score", "nps", "nps_score", "rating", "评分", "分数", "得分", "推荐度"),
        "comment": ("comment", "comments", "feedback", "verbatim", "评论", "反馈", "意见", "备注"),
        "respondent": ("respondent", "contact", "user", "回答人", "填写人", "受访者"),
    },
    "users": {
        "handle": ("handle", "username", "user", "login", "用户名", "账号", "帐号"),
        "name": ("name", "full_name", "姓名", "名字"),
        "email": ("email", "e_mail", "mail", "邮箱"),
        "role": ("role", "角色", "岗位"),
        "manager": ("manager", "reports_to", "上级", "经理", "直属上级"),
        "timezone": ("timezone", "time_zone", "tz", "时区"),
        "slack_id": ("slack_id", "slack", "slack_user_id"),
        "wecom_id": ("wecom_id", "wecom", "企业微信", "企业微信id", "企微id"),
    },
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "users": ("handle",),
    "accounts": ("name",),
    "contacts": ("account", "name"),
    "events": ("account", "timestamp", "type"),
    "nps": ("account", "score"),
}

# Fields that say "this is that kind of file" when guessing the kind.
_SIGNATURE: dict[str, frozenset[str]] = {
    "users": frozenset({"handle", "role", "manager", "timezone", "slack_id", "wecom_id"}),
    "accounts": frozenset(
        {"industry", "employees", "annual_revenue", "city", "arr", "plan", "contract_end", "owner"}
    ),
    "contacts": frozenset({"title", "role", "email", "phone", "influence", "attitude"}),
    "events": frozenset({"timestamp", "type", "feature", "amount", "event_id"}),
    "nps": frozenset({"score", "comment"}),
}

_FOLD = re.compile(r"[\s\-_./·:：()（）\[\]【】*#]+")
_UNIT = re.compile(r"[（(]\s*([^)）]*)\s*[)）]\s*$")
UNIT_FACTORS = {"万": 1e4, "万元": 1e4, "千": 1e3, "千元": 1e3, "k": 1e3, "m": 1e6, "百万": 1e6}
UNIT_FACTORS.update({"亿": 1e8, "亿元": 1e8, "millions": 1e6, "million": 1e6, "thousands": 1e3})


def header_key(header: str) -> str:
    """Fold a header for comparison: 'Account Name ' -> 'accountname', '年合同额（元）' -> '年合同额'."""
    s = unicodedata.normalize("NFKC", str(header or "")).strip().lower()
    s = _UNIT.sub("", s) if _UNIT.search(s) and len(_UNIT.sub("", s)) > 0 else s
    return _FOLD.sub("", s)


def header_unit(header: str) -> float:
    """A unit written in a header multiplies its values: '年合同额（万元）' -> 10000."""
    m = _UNIT.search(unicodedata.normalize("NFKC", str(header or "")).strip().lower())
    if not m:
        return 1.0
    return UNIT_FACTORS.get(m.group(1).strip().lower(), 1.0)


_INDEX: dict[str, dict[str, str]] = {
    kind: {header_key(a): fld for fld, aliases in table.items() for a in (fld, *aliases)}
    for kind, table in ALIASES.items()
}


@dataclass
class HeaderMap:
    """How one file's headers map to one kind's fields."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)  # header -> field
    unknown: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # headers mapping to a field taken

    @property
    def mapped(self) -> set[str]:
        return set(self.fields.values())

    def missing(self) -> list[str]:
        return [f for f in REQUIRED[self.kind] if f not in self.mapped]

    def column_for(self, fld: str) -> str | None:
        return next((h for h, f in self.fields.items() if f == fld), None)


def map_headers(headers: list[str], kind: str, explicit: dict[str, str] | None = None) -> HeaderMap:
    """Map each header to a field of `kind`; `explicit` ({header: field}) wins over aliases."""
    explicit = {header_key(k): v for k, v in (explicit or {}).items()}
    index = _INDEX[kind]
    hm = HeaderMap(kind)
    taken: set[str] = set()
    # explicit first, then exact field names, then aliases, so 'name' beats 'account' for name
    for h in headers:
        target = explicit.get(header_key(h))
        if target:
            hm.fields[h] = target
            taken.add(target)
    for exact in (True, False):
        for h in headers:
            if h in hm.fields or header_key(h) in explicit:
                continue
            key = header_key(h)
            fld = index.get(key)
            if fld is None or (exact and key != header_key(fld)):
                continue
            if fld in taken:
                if not exact:
                    hm.duplicates.append(h)
                continue
            hm.fields[h] = fld
            taken.add(fld)
    hm.unknown = [
        h for h in headers if h not in hm.fields and header_key(h) not in explicit and h.strip()
    ]
    hm.unknown = [h for h in hm.unknown if h not in hm.duplicates]
    return hm


def guess_kind(headers: list[str]) -> tuple[str | None, list[str]]:
    """The kind these headers make obvious, or (None, candidates) when it is not obvious."""
    scored: list[tuple[int, str]] = []
    for kind in KINDS:
        hm = map_headers(headers, kind)
        if hm.missing():
            continue
        score = 3 * len(hm.mapped & _SIGNATURE[kind]) + len(hm.mapped)
        scored.append((score, kind))
    if not scored:
        return None, []
    scored.sort(reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None, [k for s, k in scored if s == scored[0][0]]
    return scored[0][1], [k for _, k in scored]


def looks_chinese(headers: list[str]) -> bool:
    """Whether most headers are written in Chinese (the report then speaks Chinese)."""
    zh = sum(1 for h in headers if re.search(r"[\u3400-\u9fff]", str(h)))
    return zh > 0 and zh * 2 >= len([h for h in headers if str(h).strip()])
