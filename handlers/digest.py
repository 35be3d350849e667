"""The manager's daily digest: new and open risks, renewals and ARR at stake, unacknowledged
alerts by person, interviews done, tier movements — with a chart of ARR at risk by owner.

Language: the user's `language` when set, else Chinese for a mainland/HK/TW/Macau timezone
(Asia/Shanghai, …), else English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.charts import bar_chart
from handlers.messages import IncomingMessage, Reply
from handlers.services import Services
from store.alerts import count_mine
from store.models import (
    Account,
    AccountTag,
    AuditEntry,
    InterviewSession,
    RuleMatch,
    User,
)
from store.people import People
from store.query import account_rows, find_user, matching_ids, scope_for, team_of, user_identifiers
from store.refresh import ensure_fresh
from store.spec import Condition, Filter, RelativeDate, Sort, Spec
from store.vocab import shown

ZH_ZONES = (
    "Asia/Shanghai",
    "Asia/Chongqing",
    "Asia/Harbin",
    "Asia/Urumqi",
    "Asia/Hong_Kong",
    "Asia/Macau",
    "Asia/Taipei",
    "PRC",
)
RISK_TAG = "churn_risk"
# what the digest lists, as specs the store compiles inside the manager's scope
RISKS = Spec(
    where=Condition(all=[Filter(field="tag", op="eq", value=RISK_TAG)]),
    sort=[Sort(field="arr", desc=True)],
)
RENEWALS_30D = Spec(
    where=Condition(
        all=[
            Filter(field="contract_end", op="ge", value=RelativeDate(days=0)),
            Filter(field="contract_end", op="le", value=RelativeDate(days=30)),
        ]
    ),
    sort=[Sort(field="contract_end", desc=False)],
)
_TRIGGER = re.compile(
    r"^\s*(digest|daily digest|my digest|日报|今日摘要|每日摘要|摘要)\s*[?？!！。.]?\s*$", re.I
)


def user_language(user: User | None, default_tz: str | None = None) -> str:
    """zh or en for a user (see the module doc)."""
    if user is not None and user.language in ("zh", "en"):
        return user.language
    tz = (user.timezone if user is not None else None) or default_tz or ""
    return "zh" if tz in ZH_ZONES else "en"


def _money(v: float | None) -> str:
    return f"{v or 0:,.0f}"


def build_digest(
    services: Services,
    session: Session,
    manager: User,
    now: dt.datetime,
    lang: str | None = None,
) -> Reply:
    """The digest for one manager as of now, in their language (or the one given)."""

    as_of = services.as_of or now.date()
    ensure_fresh(session, as_of)
    lang = lang or user_language(manager, services.settings.default_timezone)
    zh = lang == "zh"
    scope = scope_for(session, manager.handle)
    visible = matching_ids(session, Condition(), scope, as_of).subquery()
    day_ago = now - dt.timedelta(days=1)
    sections: list[tuple[str, str]] = []
    arr_word = "年合同额" if zh else "ARR"
    team = team_of(session, manager)
    handles = [u.handle for u in team]
    # people by their display names (张伟, not zhang): every user, owners may sit outside the team
    people = People.load(session)
    names = {u.handle: u.name or u.handle for u in people.users}

    def _name(owner: str | None) -> str:
        if not owner:
            return "—"
        person = people.resolve(owner, active_only=False)  # the one identity resolver
        return (person.name or person.handle) if person is not None else owner

    # risks: the tagged accounts through the spine; when each was first matched, by their ids
    risk_rows = account_rows(session, RISKS, scope, as_of, ["arr"])
    first_seen = dict(
        session.execute(
            select(AccountTag.account_id, func.min(RuleMatch.since))
            .join(
                RuleMatch,
                (RuleMatch.account_id == AccountTag.account_id)
                & (RuleMatch.rule_id == AccountTag.rule_id),
            )
            .where(AccountTag.tag == RISK_TAG, AccountTag.account_id.in_(select(visible.c.id)))
            .group_by(AccountTag.account_id)
        ).all()
    )
    risks = [(r["id"], r["name"], r["owner"], r["arr"], first_seen.get(r["id"])) for r in risk_rows]
    new_risks = [r for r in risks if r[4] is not None and r[4] >= as_of - dt.timedelta(days=1)]
    arr_at_risk = sum(r[3] or 0 for r in risks)
    lines = [
        (
            f"新增 {len(new_risks)} 个，共 {len(risks)} 个流失风险客户，涉及年合同额 {_money(arr_at_risk)}"
        )
        if zh
        else f"{len(new_risks)} new, {len(risks)} open churn risks, ARR {_money(arr_at_risk)} at risk"
    ]
    for r in (new_risks or risks)[:5]:
        mark = ("新 " if zh else "new ") if r in new_risks else ""
        lines.append(f"• {mark}{r[1]} — {_name(r[2])} · {arr_word} {_money(r[3])}")
    sections.append(("流失风险" if zh else "Risks", "\n".join(lines)))

    # renewals in the next 30 days
    renewals = [
        (r["name"], r["contract_end"], r["arr"], r["owner"])
        for r in account_rows(session, RENEWALS_30D, scope, as_of, ["contract_end", "arr"])
    ]
    at_stake = sum(r[2] or 0 for r in renewals)
    lines = [
        f"未来30天 {len(renewals)} 个客户续约，年合同额 {_money(at_stake)}"
        if zh
        else f"{len(renewals)} renewals in the next 30 days, ARR {_money(at_stake)} at stake"
    ]
    lines += [
        f"• {n} — {d.isoformat()} · {arr_word} {_money(a)} · {_name(o)}"
        for n, d, a, o in renewals[:5]
    ]
    sections.append(("续约" if zh else "Renewals", "\n".join(lines)))

    # unacknowledged alerts by person ("my alerts" of each, the one definition)
    unack = Counter(count_mine(session, handles, ("open",)))
    if unack:
        body = "\n".join(f"• {names.get(h, h)}: {n}" for h, n in unack.most_common())
    else:
        body = "没有未确认的提醒" if zh else "none"
    sections.append(("未确认的提醒" if zh else "Unacknowledged alerts", body))

    # interviews done in the last day
    done = [
        (who, session.get(Account, acc_id).name)
        for who, acc_id in session.execute(
            select(InterviewSession.user_handle, InterviewSession.account_id)
            .where(
                InterviewSession.status == "done",
                InterviewSession.finished_at >= day_ago,
                InterviewSession.user_handle.in_(handles),
                InterviewSession.account_id.in_(select(visible.c.id)),
            )
            .order_by(InterviewSession.finished_at)
        ).all()
    ]
    by_person: dict[str, list[str]] = defaultdict(list)
    for who, name in done:
        by_person[who].append(name)
    body = "\n".join(f"• {names.get(w, w)}: {', '.join(ns)}" for w, ns in by_person.items()) or (
        "昨天没有完成的访谈" if zh else "none yesterday"
    )
    sections.append(("完成的访谈" if zh else "Interviews done", body))

    # tier movements (from the audit log of tier changes)
    moves = session.execute(
        select(AuditEntry.account_id, AuditEntry.detail)
        .where(
            AuditEntry.action == "field.set",
            AuditEntry.at >= day_ago,
            AuditEntry.account_id.in_(select(visible.c.id)),
        )
        .order_by(AuditEntry.id)
    ).all()
    tier_moves = Counter(
        (d.get("from") or "—", d.get("to") or "—")
        for _a, d in moves
        if isinstance(d, dict) and d.get("field") == "tier"
    )
    body = "\n".join(
        f"• {shown('tier', a, lang)} → {shown('tier', b, lang)}: {n}"
        for (a, b), n in tier_moves.most_common()
    ) or ("无变化" if zh else "no changes")
    sections.append(("客户等级变化" if zh else "Tier movements", body))

    # chart: ARR at risk by owner
    by_owner: dict[str, float] = defaultdict(float)
    for r in risks:
        by_owner[_name(r[2])] += r[3] or 0
    top = sorted(by_owner.items(), key=lambda kv: -kv[1])[:8]
    chart = bar_chart(
        title_zh="各负责人的风险年合同额",
        title_en="ARR at risk by owner",
        labels=[k for k, _v in top],
        values=[v for _k, v in top],
        lang=lang,
        xlabel_zh="年合同额",
        xlabel_en="ARR",
    )
    title = f"{as_of.isoformat()} 每日摘要" if zh else f"Daily digest — {as_of.isoformat()}"
    intro = (
        f"{manager.name or manager.handle}，早上好！这是你团队今天的情况。"
        if zh
        else f"Good morning {manager.name or manager.handle} — here is your team today."
    )
    data: dict[str, Any] = {
        "risks": len(risks),
        "new_risks": len(new_risks),
        "arr_at_risk": arr_at_risk,
        "renewals_30d": len(renewals),
        "arr_renewing_30d": at_stake,
        "unacknowledged": dict(unack),
        "interviews_done": len(done),
        "tier_movements": {f"{a}->{b}": n for (a, b), n in tier_moves.items()},
    }
    return Reply(
        text=intro,
        title=title,
        sections=sections,
        chart=chart,
        data=data,
        private=True,
        kind="digest",
        language=lang,
    )


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """'digest' / '日报' / '今日摘要': the asker's digest now."""
    if not _TRIGGER.match(msg.text or ""):
        return None
    with services.session_factory.begin() as s:
        user = find_user(s, msg.user)
        if user is None:
            return None
        if not user_identifiers(user) and user.role not in ("admin", "manager"):
            return None
        as_of = msg.as_of or services.as_of
        now = dt.datetime.combine(as_of, dt.time(9)) if as_of else services.now()
        reply = build_digest(services, s, user, now, lang=msg.language)
    return [reply]
