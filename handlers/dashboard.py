"""Each user's live dashboard: a signed, expiring link, and the figures of their own scope.

Every figure is a query spec run through store.query with the viewer's scope (a manager may narrow
it to one person of the team), and carries the question that gives the same figure in chat
("ask me: …"), in the viewer's language. The page itself is drawn by handlers.dashboard_page.

A link's token is `v1.<user, base64url>.<expiry, unix seconds>.<HMAC-SHA256, base64url>` over
("dashboard", version, user, expiry) with PROFILEBOT_DASHBOARD_SECRET (else
PROFILEBOT_WEBHOOK_SECRET); it is checked in constant time, and a forged, expired, malformed or
missing token gives no data at all.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from handlers.actions import ActionId
from handlers.figures_held import figures_field
from handlers.messages import Button, IncomingMessage, Reply
from handlers.services import Services
from store import query
from store.alerts import OPEN_STATUSES
from store.fields import BUILTIN
from store.models import Account, Alert, User
from store.query import Scope, find_user, scope_for, team_of
from store.refresh import held
from store.settings import Settings
from store.spec import Aggregate, Condition, Filter, RelativeDate, Sort, Spec

TOKEN_VERSION = "v1"
DEFAULT_MINUTES = 24 * 60
MAX_MINUTES = 90 * 24 * 60
FALLBACK_BASE_URL = "http://localhost:3000"
_TOKEN = re.compile(r"^v1\.([A-Za-z0-9_-]{1,400})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# --------------------------------------------------------------------------- signed links


class DashboardConfigError(RuntimeError):
    """No secret to sign dashboard links with; the message says what to set."""


def _secret(settings: Settings) -> bytes:
    for s in (settings.dashboard_secret, settings.webhook_secret):
        if s is not None and s.get_secret_value():
            return s.get_secret_value().encode("utf-8")
    raise DashboardConfigError(
        "no secret to sign dashboard links: set PROFILEBOT_DASHBOARD_SECRET (or "
        "PROFILEBOT_WEBHOOK_SECRET) to a long random string, the same on every server"
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, handle: str, expires: int) -> bytes:
    msg = f"dashboard\n{TOKEN_VERSION}\n{handle}\n{expires}".encode()
    return hmac.new(secret, msg, hashlib.sha256).digest()


def make_token(settings: Settings, handle: str, expires: dt.datetime) -> str:
    """A token naming this user until `expires` (naive UTC)."""
    exp = int(expires.replace(tzinfo=dt.UTC).timestamp())
    sig = _signature(_secret(settings), handle, exp)
    return f"{TOKEN_VERSION}.{_b64(handle.encode('utf-8'))}.{exp}.{_b64(sig)}"


def verify_token(settings: Settings, token: str | None, now: dt.datetime) -> str | None:
    """The user a token names, or None when it is missing, malformed, forged or expired."""
    m = _TOKEN.match(token or "")
    if m is None:
        return None
    try:
        secret = _secret(settings)
        handle = _unb64(m.group(1)).decode("utf-8")
        given = _unb64(m.group(3))
    except (DashboardConfigError, binascii.Error, UnicodeDecodeError, ValueError):
        return None
    expires = int(m.group(2))
    if not hmac.compare_digest(given, _signature(secret, handle, expires)):
        return None
    if expires <= int(now.replace(tzinfo=dt.UTC).timestamp()):
        return None
    return handle


def base_url(settings: Settings) -> str:
    """Where the dashboard is served: PROFILEBOT_PUBLIC_URL, else a local default."""
    return (settings.public_url or FALLBACK_BASE_URL).rstrip("/")


def dashboard_link(
    settings: Settings, handle: str, now: dt.datetime, minutes: int = DEFAULT_MINUTES
) -> tuple[str, dt.datetime]:
    """A signed link to this user's dashboard and when it stops working (UTC)."""
    minutes = max(1, min(int(minutes), MAX_MINUTES))
    expires = (now + dt.timedelta(minutes=minutes)).replace(microsecond=0)
    token = make_token(settings, handle, expires)
    return f"{base_url(settings)}/dashboard?{urlencode({'token': token})}", expires


# --------------------------------------------------------------------------- language


def user_language(user: User) -> str:
    """The user's language: their setting, else Chinese when their name is written in it."""
    if user.language in ("zh", "en"):
        return user.language
    if user.language and user.language.lower().startswith("zh"):
        return "zh"
    return "zh" if _CJK.search(user.name or "") else "en"


TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Dashboard", "客户看板"),
    "scope_all": ("All accounts", "全部客户"),
    "scope_team": ("Team of {name}", "{name}的团队"),
    "scope_own": ("Accounts of {name}", "{name}的客户"),
    "accounts_n": ("{n} accounts", "{n} 个客户"),
    "as_of": ("as of {d}", "截至 {d}"),
    "everyone": ("Everyone", "全部"),
    "show": ("Show", "查看"),
    "person": ("Person", "成员"),
    "tiers": ("Value tiers (by ARR)", "价值分层（按年合同额）"),
    "tier_high": ("ARR over ¥300k", "年合同额 30万以上"),
    "tier_mid": ("ARR ¥100k–300k", "年合同额 10万–30万"),
    "tier_low": ("ARR under ¥100k", "年合同额 10万以下"),
    "tier_none": ("no ARR", "无年合同额"),
    "risk": ("ARR at risk by renewal month", "按续约月份的风险年合同额"),
    "risk_note": ("accounts tagged churn risk", "带流失风险标签的客户"),
    "health": ("Health", "健康度分布"),
    "rfm": ("RFM segments", "RFM 分群"),
    "logins": ("Logins per week, by health band", "每周登录次数（按健康等级）"),
    "logins_30d": ("logins in the last 30 days", "近30天登录次数"),
    "regions": ("Regions (province)", "地区分布（省份）"),
    "alerts": ("Open alerts and to-dos", "未处理的提醒和待办"),
    "alerts_none": ("No open alerts or to-dos.", "没有未处理的提醒或待办。"),
    "renewals": ("Renewals in the next 90 days", "未来90天续约"),
    "renewals_none": ("No renewals in the next 90 days.", "未来90天没有续约。"),
    "completeness": ("Profile completeness", "画像完成度"),
    "completeness_avg": ("average key completeness", "平均关键信息完成度"),
    "comp_low": ("under 50%", "50%以下"),
    "comp_mid": ("50%–80%", "50%–80%"),
    "comp_high": ("80% and more", "80%及以上"),
    "lowest": ("Least complete", "完成度最低"),
    "persona": ("Churn-risk persona", "流失风险客户画像"),
    "persona_none": ("No churn-risk accounts.", "没有带流失风险标签的客户。"),
    "persona_lead": (
        "{n} churn-risk accounts; what sets them apart from the other {m}:",
        "{n} 个有流失风险的客户，与其余 {m} 个相比的突出特征：",
    ),
    "persona_caveat": ("Correlation, not causation.", "相关不等于因果。"),
    "trait_row": ("{share} of them vs {base} of the rest", "占 {share}，其余客户中占 {base}"),
    "ask_me": ("ask me", "问我"),
    "none": ("(none)", "（空）"),
    "col_account": ("Account", "客户"),
    "col_owner": ("Owner", "负责人"),
    "col_end": ("Contract end", "合同到期日"),
    "col_arr": ("ARR", "年合同额"),
    "col_health": ("Health", "健康度"),
    "col_title": ("Alert", "提醒"),
    "col_assignee": ("Assignee", "负责人"),
    "col_status": ("Status", "状态"),
    "col_key": ("Key completeness", "关键信息完成度"),
    "total": ("Total", "合计"),
    "footer": (
        "Figures are live for your own accounts; this link is yours alone and expires.",
        "数据实时、仅限你可见的客户；此链接仅供你本人使用，到期失效。",
    ),
}


def t(key: str, lang: str, **kw: Any) -> str:
    """A dashboard text in the viewer's language."""
    en, zh = TEXTS[key]
    return (zh if lang == "zh" else en).format(**kw)


# --------------------------------------------------------------------------- questions
# The chat question for each figure, with "{acc}" for whose accounts. They are tested: asked in
# chat by the same user, each gives the same figure as the page (tests/test_dashboard.py).
QUESTIONS: dict[str, tuple[str, str]] = {
    "tier_high": ("how many {acc} with ARR over 300k", "{acc}中年合同额超过30万的有多少"),
    "tier_mid": (
        "how many {acc} with ARR between 100k and 300k",
        "{acc}中年合同额在10万到30万之间的有多少",
    ),
    "tier_low": ("how many {acc} with ARR under 100k", "{acc}中年合同额低于10万的有多少"),
    "tier_none": ("how many {acc} without ARR", "{acc}中没有年合同额的有多少"),
    "risk": (
        "total ARR of {acc} with churn risk and contract end {period}",
        "{acc}中有流失风险且合同{period}到期的年合同额总和",
    ),
    "health": ("{acc} by health band", "{acc}按健康等级统计"),
    "rfm": ("{acc} by RFM segment", "{acc}按RFM分群统计"),
    "logins": ("total logins in the last 30 days of {acc}", "{acc}近30天登录次数总和"),
    "regions": ("{acc} by province", "{acc}按省份统计"),
    "alerts": ("alerts", "提醒"),
    "renewals": ("{acc} renewing in the next 90 days", "{acc}中未来90天续约的"),
    "completeness": ("average key completeness of {acc}", "{acc}的平均关键信息完成度"),
    "persona": ("churn-risk {acc} by {field}", "有流失风险的{acc}按{field}统计"),
}


def _acc(lang: str, person: User | None) -> str:
    if person is None:
        return "客户" if lang == "zh" else "accounts"
    who = person.handle
    return f"{who}的客户" if lang == "zh" else f"{who}'s accounts"


def question(key: str, lang: str, person: User | None, **kw: str) -> str:
    """The chat question giving this figure, for this viewer and person filter."""
    en, zh = QUESTIONS[key]
    text = (zh if lang == "zh" else en).format(acc=_acc(lang, person), **kw)
    if lang == "en" and person is not None and text.startswith("churn-risk "):
        text = (
            f"{person.handle}'s churn-risk accounts"
            + text[len(f"churn-risk {_acc(lang, person)}") :]
        )
    return text


MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _month_period(as_of: dt.date, k: int) -> tuple[dt.date, str, str, str]:
    """The k-th month from as-of's: (first day, spec period, English words, Chinese words)."""
    m = as_of.month - 1 + k
    first = dt.date(as_of.year + m // 12, m % 12 + 1, 1)
    if k == 0:
        return first, "this_month", "this month", "本月"
    if k == 1:
        return first, "next_month", "next month", "下个月"
    name = MONTHS_EN[first.month - 1]
    if first.year == as_of.year:
        return first, f"m{first.month}", f"in {name}", f"在{first.month}月"
    return first, f"next_year_m{first.month}", f"in {name} next year", f"在明年{first.month}月"


# --------------------------------------------------------------------------- figures


@dataclass
class Viewer:
    """Who looks, in which language, over which accounts (a manager may narrow to one person)."""

    user: User
    lang: str
    scope: Scope
    people: list[User]  # whom a manager may filter by (empty for others)
    person: User | None = None

    def spec(self, **kw: Any) -> Spec:
        """A spec over the viewer's accounts (one person's, when filtered)."""
        if self.person is not None:
            kw.setdefault("owner", self.person.handle)
        return Spec(**kw)


class NoDashboard(LookupError):
    """The token's user is gone or inactive: no data."""


def viewer_for(
    session: Session, handle: str, person: str | None = None, lang: str | None = None
) -> Viewer:
    """The viewer a verified token names; a person filter only within a manager's team."""
    user = find_user(session, handle)
    if user is None or user.handle != handle:
        raise NoDashboard(handle)
    scope = scope_for(session, user.handle)
    people: list[User] = []
    if user.role == "manager":
        people = sorted(team_of(session, user), key=lambda u: u.handle)
    elif user.role == "admin":
        people = list(
            session.scalars(select(User).where(User.active.is_(True)).order_by(User.handle))
        )
    chosen = next((u for u in people if person and u.handle == person), None)
    language = lang if lang in ("zh", "en") else user_language(user)
    return Viewer(user, language, scope, people, chosen)


def _run(session: Session, v: Viewer, spec: Spec, as_of: dt.date) -> query.QueryResult:
    return query.run(session, spec, v.scope, as_of, language=v.lang)


def _count(session: Session, v: Viewer, where: Condition, as_of: dt.date) -> int:
    res = _run(session, v, v.spec(where=where, aggregate=Aggregate(func="count")), as_of)
    return int(res.value or 0)


def _all(*filters: Filter) -> Condition:
    return Condition(all=list(filters))


CHURN = Filter(field="tag", op="eq", value="churn_risk")


def value_tiers(session: Session, v: Viewer, as_of: dt.date) -> dict[str, Any]:
    """Accounts in ARR bands: over 300k, 100k-300k, under 100k, none (disjoint, complete)."""
    bands = (
        ("tier_high", Filter(field="arr", op="gt", value=300000)),
        ("tier_mid", Filter(field="arr", op="between", value=[100000, 300000])),
        ("tier_low", Filter(field="arr", op="lt", value=100000)),
        ("tier_none", Filter(field="arr", op="empty")),
    )
    rows = [
        {
            "key": key,
            "label": t(key, v.lang),
            "count": _count(session, v, _all(flt), as_of),
            "ask": question(key, v.lang, v.person),
        }
        for key, flt in bands
    ]
    return {"title": t("tiers", v.lang), "rows": rows}


def arr_at_risk(session: Session, v: Viewer, as_of: dt.date, months: int = 6) -> dict[str, Any]:
    """ARR of churn-risk accounts whose contract ends in each of the next months."""
    rows = []
    for k in range(months):
        first, period, en, zh = _month_period(as_of, k)
        where = _all(CHURN, Filter(field="contract_end", op="in_period", value=period))
        res = _run(
            session, v, v.spec(where=where, aggregate=Aggregate(func="sum", field="arr")), as_of
        )
        rows.append(
            {
                "month": first.strftime("%Y-%m"),
                "label": f"{first.year}年{first.month}月"
                if v.lang == "zh"
                else first.strftime("%b %Y"),
                "arr": float(res.value or 0),
                "count": int(res.total or 0),
                "ask": question("risk", v.lang, v.person, period=zh if v.lang == "zh" else en),
            }
        )
    return {"title": t("risk", v.lang), "note": t("risk_note", v.lang), "rows": rows}


def _label(field: str, key: Any, lang: str) -> str:
    if key is None:
        return t("none", lang)
    if field == "health_band" and lang == "zh":
        return HEALTH_ZH.get(str(key), str(key))
    return str(key)


def _groups(res: query.QueryResult, field: str, lang: str) -> list[dict[str, Any]]:
    return [
        {"key": g["key"], "label": _label(field, g["key"], lang), "count": g["count"]}
        for g in res.groups
    ]


def breakdown(
    session: Session, v: Viewer, as_of: dt.date, field: str, key: str, limit: int | None = None
) -> dict[str, Any]:
    """Accounts grouped by one field, largest group first."""
    res = _run(session, v, v.spec(group_by=field), as_of)
    rows = _groups(res, field, v.lang)
    if limit and len(rows) > limit:
        rest = rows[limit - 1 :]
        rows = rows[: limit - 1] + [
            {
                "key": "_other",
                "label": "其他" if v.lang == "zh" else "Other",
                "count": sum(r["count"] for r in rest),
            }
        ]
    return {
        "title": t(key, v.lang),
        "field": field,
        "total": res.total,
        "rows": rows,
        "ask": question(key, v.lang, v.person),
    }


HEALTH_BANDS = ("green", "yellow", "red")
HEALTH_ZH = {"green": "良好（绿）", "yellow": "关注（黄）", "red": "危险（红）"}


def logins_per_week(session: Session, v: Viewer, as_of: dt.date, weeks: int = 12) -> dict[str, Any]:
    """Logins per week over the last weeks, one line per health band, and the 30-day total."""
    series = []
    week_starts: list[str] = []
    for band in HEALTH_BANDS:
        spec = v.spec(where=_all(Filter(field="health_band", op="eq", value=band)))
        points = query.measure_by_week(session, spec, v.scope, as_of, "logins", weeks)
        week_starts = [d.isoformat() for d, _ in points]
        series.append(
            {
                "key": band,
                "label": HEALTH_ZH[band] if v.lang == "zh" else band,
                "values": [int(x) for _, x in points],
            }
        )
    total = _run(session, v, v.spec(aggregate=Aggregate(func="sum", field="logins")), as_of)
    return {
        "title": t("logins", v.lang),
        "weeks": week_starts,
        "series": series,
        "total_30d": int(total.value or 0),
        "total_label": t("logins_30d", v.lang),
        "ask": question("logins", v.lang, v.person),
    }


def open_alerts(session: Session, v: Viewer, as_of: dt.date, limit: int = 10) -> dict[str, Any]:
    """Open alerts and to-dos on the viewer's accounts (or assigned to them), newest first."""
    ids = query.spec_ids(session, v.spec(), v.scope, as_of)
    mine = Alert.assignee == (v.person or v.user).handle
    visible = Alert.account_id.in_(ids)
    cond = visible if v.person is not None else (visible | mine)
    is_open = Alert.status.in_(OPEN_STATUSES)
    stmt = (
        select(Alert, Account.name)
        .outerjoin(Account, Account.id == Alert.account_id)
        .where(is_open, cond)
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    rows = [
        {
            "id": a.id,
            "kind": a.kind,
            "title": a.title,
            "account": {"id": a.account_id, "name": name} if a.account_id else None,
            "assignee": a.assignee,
            "severity": a.severity,
            "status": a.status,
            "created": a.created_at.date().isoformat() if a.created_at else None,
        }
        for a, name in session.execute(stmt)
    ]
    count = session.scalar(select(func.count()).select_from(Alert).where(is_open, cond)) or 0
    # the viewer's own, as "alerts" in chat lists them (assigned or escalated to them)
    me = v.user.handle
    yours = (
        session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(is_open, or_(Alert.assignee == me, Alert.escalated_to == me))
        )
        or 0
    )
    return {
        "title": t("alerts", v.lang),
        "count": count,
        "yours": yours,
        "rows": rows,
        "ask": question("alerts", v.lang, None),
    }


def renewals(session: Session, v: Viewer, as_of: dt.date, limit: int = 12) -> dict[str, Any]:
    """Accounts whose contract ends in the next 90 days, soonest first, with their ARR."""
    where = _all(
        Filter(
            field="contract_end", op="between", value=[RelativeDate(days=0), RelativeDate(days=90)]
        )
    )
    listing = _run(
        session,
        v,
        v.spec(
            where=where,
            sort=[Sort(field="contract_end", desc=False)],
            limit=limit,
            show=["contract_end", "health_band"],
        ),
        as_of,
    )
    arr = _run(session, v, v.spec(where=where, aggregate=Aggregate(func="sum", field="arr")), as_of)
    rows = [
        {
            "id": r.id,
            "account_id": r.account_id,
            "name": r.name,
            "owner": r.owner,
            "contract_end": r.values.get("contract_end").isoformat()
            if r.values.get("contract_end")
            else None,
            "health_band": r.values.get("health_band"),
            "health_label": _label("health_band", r.values.get("health_band"), v.lang)
            if r.values.get("health_band")
            else "",
            "arr": float(r.values["arr"]) if r.values.get("arr") is not None else None,
        }
        for r in listing.rows
    ]
    return {
        "title": t("renewals", v.lang),
        "count": listing.total,
        "arr": float(arr.value or 0),
        "rows": rows,
        "ask": question("renewals", v.lang, v.person),
    }


def completeness(session: Session, v: Viewer, as_of: dt.date) -> dict[str, Any]:
    """Average key completeness, accounts in three bands, and the least complete accounts."""
    avg = _run(session, v, v.spec(aggregate=Aggregate(func="avg", field="completeness_key")), as_of)
    bands = (
        ("comp_low", Filter(field="completeness_key", op="lt", value=0.5)),
        (
            "comp_mid",
            _all(
                Filter(field="completeness_key", op="ge", value=0.5),
                Filter(field="completeness_key", op="lt", value=0.8),
            ),
        ),
        ("comp_high", Filter(field="completeness_key", op="ge", value=0.8)),
    )
    rows = []
    for key, flt in bands:
        where = flt if isinstance(flt, Condition) else _all(flt)
        rows.append(
            {"key": key, "label": t(key, v.lang), "count": _count(session, v, where, as_of)}
        )
    lowest = _run(
        session,
        v,
        v.spec(
            sort=[Sort(field="completeness_key", desc=False)], limit=5, show=["completeness_key"]
        ),
        as_of,
    )
    return {
        "title": t("completeness", v.lang),
        "average": float(avg.value) if avg.value is not None else None,
        "average_label": t("completeness_avg", v.lang),
        "bands": rows,
        "lowest": [
            {
                "id": r.id,
                "name": r.name,
                "owner": r.owner,
                "completeness_key": r.values.get("completeness_key"),
            }
            for r in lowest.rows
        ],
        "ask": question("completeness", v.lang, v.person),
    }


PERSONA_FIELDS = (
    "industry",
    "plan",
    "health_band",
    "nps_class",
    "price_sensitivity",
    "rfm_segment",
    "province",
    "stage",
)


def persona(session: Session, v: Viewer, as_of: dt.date, top: int = 5) -> dict[str, Any]:
    """What sets the churn-risk accounts apart from the rest: share, baseline share, lift.

    Each field is two breakdowns through the spine (the segment, and everyone else in scope);
    a trait needs at least 3 accounts and a segment share of 10% to count.
    """
    seg_where = _all(CHURN)
    rest_where = Condition(all=[CHURN], negate=True)
    n_seg = _count(session, v, seg_where, as_of)
    n_rest = _count(session, v, rest_where, as_of)
    traits: list[dict[str, Any]] = []
    if n_seg:
        for field in PERSONA_FIELDS:
            seg = _run(session, v, v.spec(where=seg_where, group_by=field), as_of).groups
            rest = {
                str(g["key"]): g["count"]
                for g in _run(session, v, v.spec(where=rest_where, group_by=field), as_of).groups
            }
            for g in seg:
                if g["key"] is None or g["count"] < 3:
                    continue
                share = g["count"] / n_seg
                base = rest.get(str(g["key"]), 0) / n_rest if n_rest else 0.0
                if share < 0.1 or share <= base:  # only what is more common among them
                    continue
                lift = share / base if base else None
                f = BUILTIN.get(field)
                traits.append(
                    {
                        "field": field,
                        "field_label": f.label(v.lang) if f else field,
                        "value": str(g["key"]),
                        "value_label": _label(field, g["key"], v.lang),
                        "count": g["count"],
                        "share": round(share, 4),
                        "baseline_share": round(base, 4),
                        "lift": round(lift, 2) if lift is not None else None,
                        "ask": question(
                            "persona",
                            v.lang,
                            v.person,
                            field=(f.label(v.lang) if v.lang == "zh" else field.replace("_", " "))
                            if f
                            else field,
                        ),
                    }
                )
    traits.sort(key=lambda r: (-(r["lift"] if r["lift"] is not None else 99.0), -r["count"]))
    return {
        "title": t("persona", v.lang),
        "segment_count": n_seg,
        "baseline_count": n_rest,
        "lead": t("persona_lead", v.lang, n=n_seg, m=n_rest)
        if n_seg
        else t("persona_none", v.lang),
        "traits": traits[:top],
        "caveat": t("persona_caveat", v.lang),
    }


def build(session: Session, v: Viewer, as_of: dt.date) -> dict[str, Any]:
    """Every figure of the page, as JSON-able data (on the figures as held: never refreshed here)."""
    total = _count(session, v, Condition(), as_of)
    if v.scope.kind == "all" and v.person is None:
        scope_label = t("scope_all", v.lang)
    elif v.user.role == "manager" and v.person is None:
        scope_label = t("scope_team", v.lang, name=v.user.name or v.user.handle)
    else:
        who = v.person or v.user
        scope_label = t("scope_own", v.lang, name=who.name or who.handle)
    return {
        "user": {"handle": v.user.handle, "name": v.user.name, "role": v.user.role},
        "language": v.lang,
        "as_of": as_of.isoformat(),
        "scope": {
            "kind": v.scope.kind,
            "label": scope_label,
            "accounts": total,
            "person": v.person.handle if v.person else None,
            "people": [{"handle": u.handle, "name": u.name or u.handle} for u in v.people],
        },
        "value_tiers": value_tiers(session, v, as_of),
        "arr_at_risk": arr_at_risk(session, v, as_of),
        "health": breakdown(session, v, as_of, "health_band", "health"),
        "rfm": breakdown(session, v, as_of, "rfm_segment", "rfm"),
        "logins": logins_per_week(session, v, as_of),
        "regions": breakdown(session, v, as_of, "province", "regions", limit=12),
        "alerts": open_alerts(session, v, as_of),
        "renewals": renewals(session, v, as_of),
        "completeness": completeness(session, v, as_of),
        "persona": persona(session, v, as_of),
        "figures_state": figures_field(held(session), as_of),
    }


# --------------------------------------------------------------------------- chat

_TRIGGER = re.compile(
    r"^\s*(?:(?:my|open|show(?: me)?(?: my)?|send(?: me)?(?: my)?)\s+)?(?:the\s+)?dashboard(?:\s+link)?"
    r"|^\s*(?:我的|打开|发我|给我)?(?:客户)?(?:看板|仪表盘)(?:链接)?",
    re.I,
)


def is_dashboard_request(text: str) -> bool:
    """'dashboard', 'my dashboard', '看板', '我的看板' and the like."""
    t_ = (text or "").strip().rstrip("?？!！。.")
    m = _TRIGGER.match(t_)
    return m is not None and m.end() == len(t_)


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """'dashboard' / '看板': the asker's own signed dashboard link, privately."""
    if not is_dashboard_request(msg.text):
        return None
    zh = msg.zh
    with services.session_factory() as s:
        user = find_user(s, msg.user)
        handle = user.handle if user is not None else None
    if handle is None:
        return None
    try:
        url, expires = dashboard_link(services.settings, handle, services.clock())
    except DashboardConfigError:
        text = (
            "看板链接还没有配置：请管理员设置 PROFILEBOT_DASHBOARD_SECRET。"
            if zh
            else "Dashboard links are not set up yet: ask an admin to set PROFILEBOT_DASHBOARD_SECRET."
        )
        return [Reply(text=text, kind="error", language=msg.language, private=True)]
    until = expires.strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"你的客户看板（仅限你本人，{until} 前有效）：\n{url}"
        if zh
        else f"Your dashboard (for you alone, valid until {until}):\n{url}"
    )
    return [
        Reply(
            text=text,
            buttons=[
                Button("打开看板" if zh else "Open dashboard", ActionId.OPEN_DASHBOARD, url=url)
            ],
            kind="text",
            language=msg.language,
            private=True,
        )
    ]
