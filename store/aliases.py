"""Column headers as people write them, in English and Chinese, mapped to import fields.

Each import kind has its own table (a contacts file's `account` is the company a person works at;
an accounts file's `account` is the company's name). `map_headers` maps a file's headers for one
kind; `guess_kind` picks the kind whose required fields the headers cover best.

An accounts file's field words that a question uses too ("ARR", "年合同额", "contract end date") are
store/lang/fields.py's FIELD_WORDS, written once; the lists below add only header words: machine
column names and words that are a field only as a whole header ("crm_id", "arr_amount", "url",
"am", "所在地"), columns no question names ("account_id", "decision_process"), and the headers of
contacts, events, NPS and users files, which name import columns rather than profile fields. A unit
in a header ("（万元）", "(k)") is read by store/lang/numbers.py's scale table.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from store.lang.fields import FIELD_WORDS
from store.lang.numbers import read_number

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
        "domain": (*FIELD_WORDS["domain"], "web", "url", "site", "homepage", "网址"),
        "industry": (*FIELD_WORDS["industry"], "所属行业", "行业类别"),
        "employees": (*FIELD_WORDS["employees"], "num_employees", "员工数量"),
        "annual_revenue": (*FIELD_WORDS["annual_revenue"], "年营业额"),
        "city": (*FIELD_WORDS["city"], "所在城市", "所在地"),
        "province": (*FIELD_WORDS["province"], "所在省份"),
        "country": (*FIELD_WORDS["country"], "国家地区"),
        "founded": (*FIELD_WORDS["founded"], "founded_year", "成立日期"),
        "parent": (*FIELD_WORDS["parent"], "subsidiary_of", "上级公司", "所属集团"),
        "owner": (*FIELD_WORDS["owner"], "am", "ae", "销售负责人", "归属销售"),
        "csm": (*FIELD_WORDS["csm"], "cs_manager"),
        "plan": (*FIELD_WORDS["plan"], "plan_tier", "产品版本"),
        "arr": (*FIELD_WORDS["arr"], "arr_amount"),
        "contract_start": (*FIELD_WORDS["contract_start"], "开始日期"),
        "contract_end": (*FIELD_WORDS["contract_end"], "合同到期日期", "到期日期"),
        "stage": (*FIELD_WORDS["stage"],),
        "price_sensitivity": (*FIELD_WORDS["price_sensitivity"],),
        "pains": (*FIELD_WORDS["pains"],),
        "decision_process": ("decision_process", "决策流程"),
        "budget": (*FIELD_WORDS["budget"],),
        "notes": ("notes", "note", "remarks", "备注"),
        "tier": (*FIELD_WORDS["tier"],),
        "status": (*FIELD_WORDS["status"],),
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


def header_key(header: str) -> str:
    """Fold a header for comparison: 'Account Name ' -> 'accountname', '年合同额（元）' -> '年合同额'."""
    s = unicodedata.normalize("NFKC", str(header or "")).strip().lower()
    s = _UNIT.sub("", s) if _UNIT.search(s) and len(_UNIT.sub("", s)) > 0 else s
    return _FOLD.sub("", s)


def header_unit(header: str) -> float:
    """A unit written in a header multiplies its values: '年合同额（万元）' -> 10000."""
    m = _UNIT.search(unicodedata.normalize("NFKC", str(header or "")).strip().lower())
    unit = m.group(1).strip() if m else ""
    if not unit or not unit[0].isalpha() and unit[0] not in "¥￥$€£":
        return 1.0  # no unit, or a year or a note ('ARR (2024)')
    return read_number("1" + unit) or 1.0  # the one scale table (store/lang/numbers.py)


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
