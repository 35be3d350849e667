"""Alerts and to-dos: opened by rules and reminders, acted on by people, escalated when ignored.

Lifecycle: open → acknowledged → resolved, with snoozed (until a date, with a reason) and
reassigned on the way; every step is appended to `history` as {at, by, action, detail}.

A rule's alert holds `open_key = rule:<id>:<kind>:<account>` for as long as the account keeps
matching, so repeat matches update that alert instead of opening another — even after a person
resolved it. When the account stops matching the rule closes what is still open and releases
the key, so the next time it matches a fresh alert opens.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    DateTime,
    String,
    Text,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from store import audit, outbox
from store.dialect import date_text, json_array, json_object
from store.matches import (
    match_rows,
    reason_json,
    recipient_or_fallback,
    values_expr,
)
from store.models import ALERT_OPEN_STATUSES, Account, AccountFigures, Alert, Rule, RuleMatch, User
from store.query import find_user, scope_for, team_of

OPEN_STATUSES = ALERT_OPEN_STATUSES


class AlertError(ValueError):
    """An alert action that cannot be done; the message says why, `code` and `params` let a
    handler say it in the asker's language (missing, forbidden, resolved, snooze_past,
    no_user, cannot_see, unknown_action)."""

    def __init__(self, message: str, code: str = "", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def _entry(now: dt.datetime, by: str | None, action: str, **detail: Any) -> dict[str, Any]:
    out = {"at": now.isoformat(timespec="seconds"), "by": by, "action": action}
    if detail:
        out["detail"] = {k: v for k, v in detail.items() if v is not None}
    return out


def add_history(alert: Alert, entry: dict[str, Any]) -> None:
    alert.history = [*(alert.history or []), entry]


def _insert(session: Session):  # noqa: ANN202
    table = Alert.__table__
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["open_key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=["open_key"])


def create(
    session: Session,
    *,
    kind: str,
    title: str,
    assignee: str | None,
    now: dt.datetime,
    account_id: int | None = None,
    open_key: str | None = None,
    body: str | None = None,
    severity: str = "medium",
    reason: dict[str, Any] | None = None,
    by: str | None = None,
) -> Alert | None:
    """Open one alert or to-do; with an open_key, None when one is already open under it."""
    values = {
        "kind": kind,
        "account_id": account_id,
        "open_key": open_key,
        "title": title[:500],
        "body": body,
        "severity": severity,
        "assignee": assignee,
        "status": "open",
        "reason": reason,
        "history": [_entry(now, by, "opened")],
        "created_at": now,
        "updated_at": now,
    }
    res = session.execute(_insert(session).returning(Alert.__table__.c.id), [values]).all()
    if not res:
        return None
    return session.get(Alert, res[0][0])


def open_for_rule(
    session: Session,
    rule: Rule,
    action: Any,
    rows: list[Any] | None,
    people: dict,
    as_of: dt.date,
    now: dt.datetime,
) -> tuple[int, int]:
    """Open an alert/to-do per matching account without one; refresh the open ones' reasons.

    rows: the rule's matches as (account id, name, external id, owner, csm, since), or None to
    read them only if needed. Returns (opened, updated).
    """

    kind = action.type
    mine = and_(Alert.rule_id == rule.id, Alert.kind == kind, Alert.open_key.is_not(None))
    # the alerts already open first; new ones get their reason as they are inserted (updating
    # rows inserted in the same transaction would run their foreign-key checks a second time)
    res = session.execute(
        update(Alert)
        .where(mine, Alert.status != "resolved")
        .values(reason=values_expr(session, rule, as_of, Alert.account_id), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    updated = res.rowcount or 0
    assignee = _assignee_expr(session, rule, action, people)
    if assignee is None:
        opened = _open_row_by_row(session, rule, action, rows, people, as_of, now)
        _note_fallbacks(session, rule, action, people, now)
        return opened, updated

    by = f"rule:{rule.name}"
    history = json_array(
        session,
        json_object(
            session,
            [
                ("at", literal(now.isoformat(timespec="seconds"), String)),
                ("by", literal(by, String)),
                ("action", literal("opened", String)),
                (
                    "detail",
                    json_object(session, [("since", date_text(session, RuleMatch.since))]),
                ),
            ],
        ),
    )
    src = (
        select(
            literal(kind, String),
            RuleMatch.account_id,
            literal(rule.id),
            literal(f"rule:{rule.id}:{kind}:", String) + cast(RuleMatch.account_id, String),
            literal((action.title or rule.name)[:400] + " — ", String) + Account.name,
            literal(rule.description, Text),
            literal(action.severity, String),
            assignee,
            literal("open", String),
            reason_json(session, rule, as_of),
            history,
            literal(now, DateTime),
            literal(now, DateTime),
        )
        .select_from(RuleMatch)
        .join(Account, Account.id == RuleMatch.account_id)
        .outerjoin(AccountFigures, AccountFigures.account_id == Account.id)
        .where(RuleMatch.rule_id == rule.id)
        .order_by(RuleMatch.account_id)
    )
    cols = ["kind", "account_id", "rule_id", "open_key", "title", "body", "severity", "assignee"]
    cols += ["status", "reason", "history", "created_at", "updated_at"]
    opened = session.execute(
        _insert(session).from_select(cols, src), execution_options={"preserve_rowcount": True}
    ).rowcount
    if opened:
        _note_fallbacks(session, rule, action, people, now)
    return opened, updated


def _note_fallbacks(
    session: Session, rule: Rule, action: Any, people: Any, now: dt.datetime
) -> int:
    """Alerts just opened for someone other than the addressee (no CSM, an owner who is no
    user): the assignee is their manager or an admin — said in the alert's history and audited,
    so nobody is left untold."""
    who = action.to or "owner"
    just_opened = (
        Alert.rule_id == rule.id,
        Alert.kind == action.type,
        Alert.created_at == now,
        Alert.assignee.is_not(None),
    )
    # worked out once per distinct owner/CSM pair; alerts are loaded only for redirected pairs
    pairs = session.execute(
        select(Account.owner, Account.csm)
        .join(Alert, Alert.account_id == Account.id)
        .where(*just_opened)
        .distinct()
    ).all()
    redirected = [p for p in pairs if recipient_or_fallback(people, who, p[0], p[1])[1]]
    if not redirected:
        return 0
    same = [
        and_(
            Account.owner.is_(None) if o is None else Account.owner == o,
            Account.csm.is_(None) if c is None else Account.csm == c,
        )
        for o, c in redirected
    ]
    rows = session.execute(
        select(Alert, Account.owner, Account.csm)
        .join(Account, Account.id == Alert.account_id)
        .where(*just_opened, or_(*same))
    ).all()
    noted = 0
    for alert, owner, csm in rows:
        to, why = recipient_or_fallback(people, who, owner, csm)
        if not why or any(h.get("action") == "assigned" for h in alert.history or []):
            continue
        add_history(alert, _entry(now, "profilebot", "assigned", to=to, reason=why))
        audit.record(
            session,
            "profilebot",
            "alert.fallback",
            platform="scheduler",
            account_id=alert.account_id,
            detail={
                "alert_id": alert.id,
                "rule": rule.name,
                "meant_for": who,
                "to": to,
                "why": why,
            },
            at=now,
        )
        noted += 1
    return noted


MAX_ASSIGNEE_CASES = 200


def _assignee_expr(session: Session, rule: Rule, action: Any, people: dict) -> Any | None:
    """SQL giving each matching account's assignee, `recipient()` worked out in Python once per
    distinct owner/csm; None when there are too many distinct values to spell out."""

    who = action.to or "owner"
    if who not in ("owner", "csm", "manager"):
        return literal(recipient_or_fallback(people, who, None, None)[0], String)

    def distinct(*cols: Any) -> list[Any]:
        return session.execute(
            select(*cols)
            .join(RuleMatch, RuleMatch.account_id == Account.id)
            .where(RuleMatch.rule_id == rule.id)
            .distinct()
        ).all()

    # the addressed cell alone when every value of it names a user; else both cells, since a
    # missing CSM falls back to the owner's manager (and a missing owner to the CSM's)
    cols: tuple[Any, ...] = (Account.owner, Account.csm)
    if who in ("owner", "csm"):
        one = (Account.owner,) if who == "owner" else (Account.csm,)
        keys = distinct(*one)
        if all(people.resolve(k[0]) is not None for k in keys):
            cols = one
    if len(cols) == 2:
        keys = distinct(*cols)
    if len(keys) > MAX_ASSIGNEE_CASES:
        return None
    whens = []
    for key in keys:
        owner, csm = key if len(cols) == 2 else (key[0], None) if who == "owner" else (None, key[0])
        to, _why = recipient_or_fallback(people, who, owner, csm)
        if to is not None:
            same = [
                c == v if v is not None else c.is_(None) for c, v in zip(cols, key, strict=True)
            ]
            whens.append((and_(*same), literal(to, String)))
    return case(*whens, else_=literal(None, String)) if whens else literal(None, String)


def _open_row_by_row(
    session: Session,
    rule: Rule,
    action: Any,
    rows: list[Any] | None,
    people: dict,
    as_of: dt.date,
    now: dt.datetime,
) -> int:
    """Open alerts from rows built in Python (accounts with very many distinct owners)."""

    kind = action.type
    if rows is None:
        rows = match_rows(session, rule)
    values = []
    for acc_id, name, _ext, owner, csm, since in rows:
        values.append(
            {
                "kind": kind,
                "account_id": acc_id,
                "rule_id": rule.id,
                "open_key": f"rule:{rule.id}:{kind}:{acc_id}",
                "title": (action.title or rule.name)[:400] + f" — {name}",
                "body": rule.description,
                "severity": action.severity,
                "assignee": recipient_or_fallback(people, action.to or "owner", owner, csm)[0],
                "status": "open",
                "history": [_entry(now, f"rule:{rule.name}", "opened", since=since.isoformat())],
                "created_at": now,
                "updated_at": now,
            }
        )
    new_ids: list[int] = []
    stmt = _insert(session).returning(Alert.__table__.c.id)
    for i in range(0, len(values), 1000):
        new_ids += [r[0] for r in session.execute(stmt, values[i : i + 1000]).all()]
    for i in range(0, len(new_ids), 1000):
        session.execute(
            update(Alert)
            .where(Alert.id.in_(new_ids[i : i + 1000]))
            .values(reason=values_expr(session, rule, as_of, Alert.account_id), updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(new_ids)


def close_ended(session: Session, rule: Rule, kinds: set[str], now: dt.datetime) -> int:
    """Close the rule's alerts whose account no longer matches, and release their keys."""
    ended = session.scalars(
        select(Alert).where(
            Alert.rule_id == rule.id,
            Alert.open_key.is_not(None),
            ~exists().where(RuleMatch.rule_id == rule.id, RuleMatch.account_id == Alert.account_id),
        )
    ).all()
    closed = 0
    for a in ended:
        if a.status != "resolved":
            a.status = "resolved"
            a.resolved_by = f"rule:{rule.name}"
            a.resolved_at = now
            add_history(a, _entry(now, f"rule:{rule.name}", "resolved", why="no longer matches"))
            closed += 1
        a.open_key = None
        a.updated_at = now
    return closed


def _key_expr(prefix: str, suffix: str):  # noqa: ANN202
    return literal(prefix, String) + cast(Alert.id, String) + literal(suffix, String)


def notify_new(session: Session, now: dt.datetime) -> int:
    """Queue one message per alert that opened or woke from a snooze and was not announced."""
    woke = session.scalars(
        select(Alert).where(Alert.status == "snoozed", Alert.snoozed_until <= now)
    ).all()
    for a in woke:
        a.status = "open"
        add_history(a, _entry(now, "profilebot", "woke", snoozed_until=a.snoozed_until.isoformat()))
    session.flush()
    msgs = []
    for a in woke:
        msgs.append(
            outbox.message(
                f"alert:{a.id}:wake:{a.snoozed_until:%Y-%m-%d}",
                "dm",
                a.assignee,
                {"kind": "alert", "alert_id": a.id, "event": "woke"},
                now,
            )
        )
    added = outbox.enqueue_many(session, msgs)
    # one "opened" message per open alert not yet announced, straight from SQL (a first rule
    # run may open thousands): the rows outbox.message() would build for each; an alert already
    # announced is skipped by the key's ON CONFLICT DO NOTHING (an index probe per row, where a
    # NOT EXISTS would re-scan the outbox per alert while the planner thinks it is empty)

    key = _key_expr("alert:", ":open")
    payload = json_object(
        session,
        [
            ("kind", literal("alert", String)),
            ("alert_id", Alert.id),
            ("event", literal("opened", String)),
        ],
    )
    fresh = (
        select(
            key,
            literal("dm", String),
            Alert.assignee,
            payload,
            literal("pending", String),
            literal(0),
            literal(now, DateTime),
            literal(now, DateTime),
        )
        .where(Alert.status == "open", Alert.assignee.is_not(None))
        .order_by(Alert.id)
    )
    return added + outbox.enqueue_select(session, fresh)


def escalate(session: Session, now: dt.datetime, after_hours: float) -> int:
    """Alerts left unacknowledged for too long go to the assignee's manager (once each)."""
    cutoff = now - dt.timedelta(hours=after_hours)
    due = session.scalars(
        select(Alert).where(
            Alert.status == "open",
            Alert.escalated_at.is_(None),
            Alert.created_at <= cutoff,
            Alert.assignee.is_not(None),
        )
    ).all()
    managers = dict(
        session.execute(
            select(User.handle, User.manager_id).where(User.manager_id.is_not(None))
        ).all()
    )
    handles = dict(session.execute(select(User.id, User.handle)).all())
    msgs = []
    for a in due:
        boss = handles.get(managers.get(a.assignee))
        if not boss or boss == a.assignee:
            continue
        a.escalated_at = now
        a.escalated_to = boss
        add_history(a, _entry(now, "profilebot", "escalated", to=boss))
        msgs.append(
            outbox.message(
                f"alert:{a.id}:escalate:{boss}",
                "dm",
                boss,
                {"kind": "alert", "alert_id": a.id, "event": "escalated"},
                now,
            )
        )
    return outbox.enqueue_many(session, msgs) if msgs else 0


# --------------------------------------------------------------------------- people acting


def mine(handle: str):  # noqa: ANN201
    """What "my alerts" means, everywhere: assigned to me or escalated to me."""
    h = handle.lower()
    return or_(func.lower(Alert.assignee) == h, func.lower(Alert.escalated_to) == h)


@dataclass(frozen=True)
class AlertPage:
    """One page of a person's alerts and how many there are in all."""

    alerts: list[Alert]
    total: int
    offset: int = 0

    @property
    def more(self) -> bool:
        """Whether alerts remain after this page."""
        return self.offset + len(self.alerts) < self.total


def my_alerts(
    session: Session,
    handle: str,
    *,
    statuses: tuple[str, ...] = OPEN_STATUSES,
    offset: int = 0,
    limit: int | None = 10,
) -> AlertPage:
    """A person's alerts and to-dos (newest first): one page and the honest total.

    The one definition of "my alerts" read by chat, the CLI, the Slack App Home and the digest.
    """
    where = and_(Alert.status.in_(statuses), mine(handle))
    total = session.scalar(select(func.count()).select_from(Alert).where(where)) or 0
    stmt = select(Alert).where(where).order_by(Alert.created_at.desc(), Alert.id.desc())
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return AlertPage(list(session.scalars(stmt)), int(total), offset)


def count_mine(
    session: Session, handles: list[str], statuses: tuple[str, ...] = ("open",)
) -> dict[str, int]:
    """How many alerts in these statuses each person has in "my alerts" (zeros left out)."""
    out: dict[str, int] = {}
    for h in handles:
        n = session.scalar(
            select(func.count()).select_from(Alert).where(Alert.status.in_(statuses), mine(h))
        )
        if n:
            out[h] = int(n)
    return out


def list_alerts(
    session: Session,
    user: str | None = None,
    statuses: tuple[str, ...] = OPEN_STATUSES,
    limit: int = 200,
) -> list[Alert]:
    """Alerts for a user ("my alerts"), or everyone's; newest first."""
    if user:
        return my_alerts(session, user, statuses=statuses, limit=limit).alerts
    stmt = select(Alert).where(Alert.status.in_(statuses))
    return list(
        session.scalars(stmt.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))
    )


def _sees_account(session: Session, user: User, account_id: int) -> bool:
    """Whether this user's scope includes the account (the alert names it and says why)."""
    scope = scope_for(session, user.handle)
    return (
        session.scalar(select(Account.id).where(Account.id == account_id, scope.clause()))
        is not None
    )


def may_act(session: Session, alert: Alert, who: str) -> bool:
    """Assignee, the manager it was escalated to or above the assignee, or an admin — and,
    unless an admin, only while the alert's account is in their scope (checked on each click)."""
    user = find_user(session, who)
    if user is None:
        return False
    if user.role == "admin":
        return True
    if alert.account_id is not None and not _sees_account(session, user, alert.account_id):
        return False  # the account moved out of their scope: its old people no longer act on it
    if alert.assignee == user.handle or alert.escalated_to == user.handle:
        return True
    if user.role == "manager":
        return alert.assignee in {u.handle for u in team_of(session, user)}
    return False


def act(
    session: Session,
    alert_id: int,
    who: str,
    action: str,
    now: dt.datetime,
    *,
    until: dt.datetime | None = None,
    reason: str | None = None,
    to: str | None = None,
    platform: str | None = None,
) -> Alert:
    """Acknowledge, snooze, resolve or reassign one alert after checking who asks."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(f"alert {alert_id} does not exist", "missing", id=alert_id)
    user = find_user(session, who)
    if user is None or not may_act(session, alert, who):
        raise AlertError(
            f"{who} may not change alert {alert_id}: it is {alert.assignee or 'nobody'}'s",
            "forbidden",
            id=alert_id,
            who=who,
            assignee=alert.assignee,
        )
    handle = user.handle
    if alert.status == "resolved" and action != "reopen":
        raise AlertError(f"alert {alert_id} is already resolved", "resolved", id=alert_id)
    if action == "ack":
        alert.status = "acknowledged"
        alert.acknowledged_by, alert.acknowledged_at = handle, now
        add_history(alert, _entry(now, handle, "acknowledged"))
    elif action == "snooze":
        if until is None or until <= now:
            raise AlertError("snooze needs a date in the future", "snooze_past", id=alert_id)
        alert.status = "snoozed"
        alert.snoozed_until, alert.snooze_reason = until, reason
        add_history(alert, _entry(now, handle, "snoozed", until=until.isoformat(), reason=reason))
    elif action == "resolve":
        alert.status = "resolved"
        alert.resolved_by, alert.resolved_at = handle, now
        if alert.rule_id is None:
            alert.open_key = None  # reminders: free the key; rule alerts keep it while matching
        add_history(alert, _entry(now, handle, "resolved", note=reason))
    elif action == "reassign":
        target = find_user(session, to or "")
        if target is None:
            raise AlertError(f"cannot reassign to '{to}': no such user", "no_user", to=to)
        if alert.account_id is not None and not _sees_account(session, target, alert.account_id):
            raise AlertError(
                f"cannot reassign to {target.handle}: they cannot see this account "
                "(choose its owner, CSM or their manager)",
                "cannot_see",
                to=target.handle,
            )
        old = alert.assignee
        alert.assignee = target.handle
        alert.status = "open"
        alert.escalated_at = None
        add_history(alert, _entry(now, handle, "reassigned", **{"from": old, "to": target.handle}))
        outbox.enqueue(
            session,
            f"alert:{alert.id}:assigned:{target.handle}:{now:%Y%m%d%H%M%S}",
            "dm",
            target.handle,
            {"kind": "alert", "alert_id": alert.id, "event": "reassigned"},
            now,
        )
    else:
        raise AlertError(f"unknown alert action '{action}'", "unknown_action", action=action)
    alert.updated_at = now
    audit.record(
        session,
        handle,
        f"alert.{action}",
        platform=platform,
        account_id=alert.account_id,
        detail={"alert_id": alert.id, "to": to, "reason": reason},
    )
    return alert
