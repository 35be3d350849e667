"""The field catalogue: every profile field and derived figure the query spec can address.

Each field is defined once here — key, labels in both languages, type, where it is stored and, for
derived figures, what it means, its unit and window. The spec compiler, the parser, rules, the
profile card and completeness all read this table, so adding a field here adds it everywhere.
Custom fields (admin-defined, stored in `custom_fields`) join the catalogue at run time as
`FieldDef`s with `source="custom"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldDef:
    """One addressable field."""

    key: str
    label_en: str
    label_zh: str
    type: str  # text | number | money | integer | date | datetime | choice | percent | json
    source: str  # account | figure | custom | tag | contact | owner
    column: str | None = None  # column on accounts / account_figures
    dimension: str = "firmographic"  # firmographic | behavioural | attitudinal | transactional
    unit: str | None = None
    window_days: int | None = None
    doc: str = ""
    choices: tuple[str, ...] = ()
    importable: bool = False
    custom_id: int | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    @property
    def numeric(self) -> bool:
        return self.type in ("number", "money", "integer", "percent")

    @property
    def temporal(self) -> bool:
        return self.type in ("date", "datetime")


def _acc(key, en, zh, type_, dim="firmographic", **kw) -> FieldDef:
    return FieldDef(key, en, zh, type_, "account", column=key, dimension=dim, importable=True, **kw)


def _fig(key, en, zh, type_, doc, unit=None, window=None, dim="behavioural", **kw) -> FieldDef:
    return FieldDef(
        key,
        en,
        zh,
        type_,
        "figure",
        column=key,
        dimension=dim,
        unit=unit,
        window_days=window,
        doc=doc,
        **kw,
    )


ACCOUNT_FIELDS: tuple[FieldDef, ...] = (
    _acc("account_id", "Account ID", "客户编号", "text"),
    _acc("name", "Name", "客户名称", "text"),
    _acc("domain", "Domain", "官网", "text"),
    _acc("industry", "Industry", "行业", "text"),
    _acc("employees", "Employees", "员工数", "integer", unit="people"),
    _acc("annual_revenue", "Annual revenue", "年营收", "money", unit="CNY"),
    _acc("city", "City", "城市", "text"),
    _acc("province", "Province", "省份", "text"),
    _acc("country", "Country", "国家", "text"),
    _acc("founded", "Founded", "成立年份", "integer", unit="year"),
    _acc("parent", "Parent company", "母公司", "text"),
    _acc("owner", "Owner", "负责人", "text", dim="firmographic"),
    _acc("csm", "CSM", "客户成功经理", "text"),
    _acc("plan", "Plan", "订阅版本", "text", dim="transactional"),
    _acc("arr", "ARR", "年合同额", "money", dim="transactional", unit="CNY"),
    _acc("contract_start", "Contract start", "合同开始日期", "date", dim="transactional"),
    _acc("contract_end", "Contract end", "合同到期日", "date", dim="transactional"),
    _acc("stage", "Stage", "阶段", "text", dim="transactional"),
    _acc(
        "price_sensitivity",
        "Price sensitivity",
        "价格敏感度",
        "choice",
        dim="attitudinal",
        choices=("low", "medium", "high"),
    ),
    _acc("pains", "Pains", "痛点", "text", dim="attitudinal"),
    _acc("decision_process", "Decision process", "决策流程", "text", dim="attitudinal"),
    _acc("budget", "Budget", "预算", "text", dim="attitudinal"),
    _acc("notes", "Notes", "备注", "text", dim="attitudinal"),
    _acc("tier", "Tier", "客户等级", "text", dim="transactional"),
    _acc("status", "Status", "客户状态", "text", dim="behavioural"),
)
# account_id is stored as accounts.external_id
ACCOUNT_FIELDS = tuple(
    FieldDef(**{**f.__dict__, "column": "external_id"}) if f.key == "account_id" else f
    for f in ACCOUNT_FIELDS
)

_WINDOWED = (
    ("logins", "Logins", "登录次数", "integer", "login events in the window", "logins"),
    (
        "active_users",
        "Active users",
        "活跃用户数",
        "integer",
        "distinct users with any event in the window",
        "users",
    ),
    (
        "feature_uses",
        "Feature uses",
        "功能使用次数",
        "integer",
        "feature_use events in the window",
        "uses",
    ),
    ("tickets", "Support tickets", "工单数", "integer", "ticket events in the window", "tickets"),
    (
        "purchase_amount",
        "Purchase amount",
        "购买金额",
        "money",
        "sum of purchase event amounts in the window",
        "CNY",
    ),
    (
        "purchase_count",
        "Purchases",
        "购买次数",
        "integer",
        "purchase events in the window",
        "purchases",
    ),
)
WINDOWS = (7, 30, 90)

FIGURE_FIELDS: tuple[FieldDef, ...] = (
    _fig(
        "last_login_at",
        "Last login",
        "最近登录",
        "datetime",
        "time of the latest login event up to as-of",
    ),
    _fig(
        "days_since_login",
        "Days since login",
        "未登录天数",
        "integer",
        "whole days from the last login to as-of; no login ever counts as inactive "
        "(stored as NULL and matched by any 'more than N days' filter)",
        unit="days",
    ),
    *(
        _fig(
            f"{key}_{w}d",
            f"{en} ({w}d)",
            f"近{w}天{zh}",
            type_,
            f"{doc}: (as-of − {w} days, as-of]",
            unit=unit,
            window=w,
            dim="transactional" if key.startswith("purchase") else "behavioural",
        )
        for key, en, zh, type_, doc, unit in _WINDOWED
        for w in WINDOWS
    ),
    _fig(
        "logins_prev_30d",
        "Logins (previous 30d)",
        "前30天登录次数",
        "integer",
        "login events in (as-of − 60 days, as-of − 30 days]",
        unit="logins",
        window=30,
    ),
    _fig(
        "login_trend",
        "Login trend",
        "登录趋势",
        "percent",
        "change of logins in the last 30 days against the 30 days before, as a fraction "
        "(-0.5 = fell by half); NULL when the 30 days before had no login (no base to compare)",
        unit="ratio",
    ),
    _fig(
        "purchase_amount_total",
        "Total purchases",
        "累计购买金额",
        "money",
        "sum of all purchase amounts up to as-of",
        unit="CNY",
        dim="transactional",
    ),
    _fig(
        "purchase_count_total",
        "Total purchase count",
        "累计购买次数",
        "integer",
        "number of purchase events up to as-of",
        unit="purchases",
        dim="transactional",
    ),
    _fig(
        "last_purchase_at",
        "Last purchase",
        "最近购买",
        "datetime",
        "time of the latest purchase up to as-of",
        dim="transactional",
    ),
    _fig(
        "nps_latest",
        "Latest NPS",
        "最新NPS",
        "integer",
        "score of the latest NPS answer up to as-of",
        unit="0-10",
        dim="attitudinal",
    ),
    _fig(
        "nps_date",
        "NPS date",
        "NPS日期",
        "date",
        "date of the latest NPS answer",
        dim="attitudinal",
    ),
    _fig(
        "nps_class",
        "NPS class",
        "NPS类别",
        "choice",
        "promoter (9-10), passive (7-8), detractor (0-6) of the latest answer",
        dim="attitudinal",
        choices=("promoter", "passive", "detractor"),
    ),
    _fig(
        "days_to_renewal",
        "Days to renewal",
        "距续约天数",
        "integer",
        "contract_end − as-of in days (negative once expired)",
        unit="days",
        dim="transactional",
    ),
    _fig(
        "ltv",
        "LTV",
        "客户终身价值",
        "money",
        "lifetime value: all purchases up to as-of plus ARR earned since contract start "
        "(ARR × years from contract start to the earlier of as-of and contract end); NULL "
        "when there are neither purchases nor ARR with a contract start",
        unit="CNY",
        dim="transactional",
    ),
    _fig(
        "rfm_recency_days",
        "RFM recency",
        "RFM最近购买天数",
        "integer",
        "whole days from the date of the latest purchase to as-of; NULL without purchases",
        unit="days",
        dim="transactional",
    ),
    _fig(
        "rfm_frequency",
        "RFM frequency",
        "RFM购买频次",
        "integer",
        "number of purchases up to as-of",
        dim="transactional",
    ),
    _fig(
        "rfm_monetary",
        "RFM monetary",
        "RFM购买金额",
        "money",
        "sum of purchase amounts up to as-of",
        unit="CNY",
        dim="transactional",
    ),
    _fig(
        "rfm_r",
        "RFM R score",
        "RFM R分",
        "integer",
        "recency quintile score 1-5 (5 = most recent), cut as R's rfm package cuts it, "
        "among accounts with purchases up to as-of",
        dim="transactional",
    ),
    _fig(
        "rfm_f",
        "RFM F score",
        "RFM F分",
        "integer",
        "frequency quintile score 1-5",
        dim="transactional",
    ),
    _fig(
        "rfm_m",
        "RFM M score",
        "RFM M分",
        "integer",
        "monetary quintile score 1-5",
        dim="transactional",
    ),
    _fig("rfm_score", "RFM score", "RFM分数", "integer", "100·R + 10·F + M", dim="transactional"),
    _fig(
        "rfm_segment",
        "RFM segment",
        "RFM分群",
        "choice",
        "segment name as the R package rfm assigns it",
        dim="transactional",
    ),
    _fig(
        "health_score",
        "Health score",
        "健康度",
        "number",
        "0-100 weighted score of usage, engagement trend, support load, NPS and renewal "
        "proximity; a missing input's weight is redistributed",
        unit="points",
    ),
    _fig(
        "health_band",
        "Health band",
        "健康等级",
        "choice",
        "green ≥ 75, yellow 50-74, red < 50",
        choices=("green", "yellow", "red"),
    ),
    _fig(
        "completeness_key",
        "Key completeness",
        "关键信息完成度",
        "percent",
        "share of key profile fields filled",
        unit="ratio",
        dim="firmographic",
    ),
    _fig(
        "completeness_all",
        "Completeness",
        "信息完成度",
        "percent",
        "share of all profile fields filled, custom fields included",
        unit="ratio",
        dim="firmographic",
    ),
)

SPECIAL_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("tag", "Tag", "标签", "text", "tag", doc="a tag currently on the account"),
    FieldDef(
        "contact_role",
        "Key person role",
        "关键人角色",
        "choice",
        "contact",
        doc="buying role of any key person (EB/TB/UB)",
        choices=("EB", "TB", "UB"),
    ),
    FieldDef(
        "contact_title",
        "Key person title",
        "关键人职位",
        "text",
        "contact",
        doc="title of any key person",
    ),
    FieldDef(
        "contact_attitude",
        "Key person attitude",
        "关键人态度",
        "choice",
        "contact",
        doc="attitude of any key person",
        choices=("supporter", "neutral", "blocker"),
    ),
    FieldDef(
        "contact_name", "Key person", "关键人", "text", "contact", doc="name of any key person"
    ),
    FieldDef(
        "note_text",
        "Note text",
        "备注内容",
        "text",
        "note",
        dimension="attitudinal",
        doc="the words of the account's quick notes and interview notes (contains)",
    ),
    FieldDef(
        "nps_comment",
        "NPS comment",
        "NPS评论",
        "text",
        "nps",
        dimension="attitudinal",
        doc="text of any NPS comment (op 'contains': words it mentions)",
    ),
    FieldDef(
        "open_alerts",
        "Open alerts",
        "未处理提醒数",
        "integer",
        "alert",
        dimension="behavioural",
        doc="alerts and to-dos on the account not yet resolved (open, acknowledged or snoozed); "
        "'an alert still open' is open_alerts ge 1",
    ),
    FieldDef(
        "segment",
        "Saved segment",
        "已存分群",
        "text",
        "segment",
        doc="membership of a saved segment (store/segments.py), by name",
    ),
)

# Event-derived measures addressable with any window (spec Filter.window_days); the fixed windows
# above are read from account_figures, any other window is a correlated, indexed events lookup.
EVENT_MEASURES: dict[str, tuple[str, str]] = {
    "logins": ("login", "count"),
    "feature_uses": ("feature_use", "count"),
    "tickets": ("ticket", "count"),
    "purchase_count": ("purchase", "count"),
    "purchase_amount": ("purchase", "sum"),
    "active_users": ("*", "distinct_actor"),
    # events of the filter's own `event_type` (meeting, email, call, … any stored type word)
    "events": ("?", "count"),
}

BUILTIN: dict[str, FieldDef] = {
    f.key: f for f in (*ACCOUNT_FIELDS, *FIGURE_FIELDS, *SPECIAL_FIELDS)
}

# Key fields for completeness (configurable: completeness takes the list it is given).
DEFAULT_KEY_FIELDS: tuple[str, ...] = (
    "industry",
    "employees",
    "city",
    "plan",
    "arr",
    "contract_end",
    "contact:EB",
    "contact:TB",
    "contact:UB",
    "pains",
    "decision_process",
    "budget",
)


def catalogue(custom: list[FieldDef] | None = None) -> dict[str, FieldDef]:
    """Built-in fields plus the given custom fields, by key."""
    out = dict(BUILTIN)
    for f in custom or ():
        out[f.key] = f
    return out


def custom_field_def(row) -> FieldDef:  # noqa: ANN001  (a store.models.CustomField)
    """A FieldDef for one custom field row."""
    type_ = {"number": "number", "date": "date", "choice": "choice", "region": "text"}.get(
        row.type, "text"
    )
    return FieldDef(
        key=row.key,
        label_en=row.label_en,
        label_zh=row.label_zh or row.label_en,
        type=type_,
        source="custom",
        dimension="attitudinal" if row.type == "text" else "firmographic",
        choices=tuple(row.choices or ()),
        importable=True,
        custom_id=row.id,
        aliases=tuple(row.aliases or ()),
    )
