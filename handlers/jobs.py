"""The scheduled jobs: plain functions `job(services, now)`; APScheduler only wires them to time.

`now` is a naive UTC datetime. A job's "today" (as-of) is `services.as_of` when fixed
(`scheduler --as-of D`), else now's date in the default timezone. Every message a job wants to
send becomes an outbox row with a unique key, so running a job twice, or in two processes at
once, sends nothing new; `send_outbox` delivers them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.delivery import DeliveryError, deliver, render, route
from handlers.services import Services
from store import alerts, audit, outbox, rules
from store.models import Alert, OutboxMessage, User
from store.people import People
from store.query import Scope, account_rows
from store.refresh import ensure_fresh
from store.spec import Condition, Filter, RelativeDate, Spec

log = logging.getLogger(__name__)

RENEWAL_DAYS = (90, 30, 7)
INACTIVITY_DAYS = 30
WORKER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _zone(name: str | None, default: str) -> ZoneInfo:
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except Exception:  # noqa: BLE001 - an unknown zone name falls back
                continue
    return ZoneInfo("UTC")


def job_date(services: Services, now: dt.datetime) -> dt.date:
    """The as-of a job works for."""
    if services.as_of is not None:
        return services.as_of
    tz = _zone(None, services.settings.default_timezone)
    return now.replace(tzinfo=dt.UTC).astimezone(tz).date()


def run_rules(services: Services, now: dt.datetime) -> dict:
    """Evaluate every enabled rule: tags and fields, then alerts, to-dos, DMs, webhooks."""
    with services.session_factory.begin() as s:
        return rules.run_rules(s, job_date(services, now), now)


def _renewal_window(hi: int, lo: int) -> Spec:
    """Accounts whose contract ends within (lo, hi] days of as-of."""
    return Spec(
        where=Condition(
            all=[
                Filter(field="contract_end", op="le", value=RelativeDate(days=hi)),
                Filter(field="contract_end", op="gt", value=RelativeDate(days=lo)),
            ]
        )
    )


def recipients(
    people: People, *named: str | None, related: tuple[str | None, ...] = ()
) -> tuple[list[str], dict | None]:
    """The handles these owner/CSM cells name (through the one identity resolver), or — when
    none is a user — the fallback and why: the manager of a related person (the CSM of an
    account nobody owns), else an admin. ([], …) only when there is nobody to tell at all."""
    users = [u for u in (people.resolve(n) for n in named) if u is not None]
    handles = list(dict.fromkeys(u.handle for u in users))
    if handles:
        return handles, None
    boss, why = people.fallback_for(*(people.resolve(n) for n in related))
    meant = [n for n in named if n]
    fallback = {"meant_for": meant or None, "why": why}
    return ([boss.handle] if boss else []), fallback


def _addressed(
    key: str, handles: list[str], fallback: dict | None, payload: dict, now: dt.datetime
) -> list[dict]:
    """One outbox row per recipient; a row with no recipient at all is kept (and fails visibly
    at send time) rather than dropped."""
    if fallback:
        payload = {**payload, "fallback": fallback}
    return [
        outbox.message(key.format(who=who or "-"), "dm", who, payload, now)
        for who in (handles or [None])
    ]


def renewal_reminders(services: Services, now: dt.datetime) -> dict:
    """Remind owner and CSM once as each contract comes within 90, 30 and 7 days of its end.

    A threshold is crossed once per contract end: an account 25 days out gets the 30-day
    reminder even if the job did not run on day 30 (catch-up), and never twice. The accounts
    come from a spec compiled by the store (no SQL of its own); owner and CSM cells are resolved
    by the one identity resolver, so `Bob Li` and `bob@acme.com` both reach bob.
    """
    as_of = job_date(services, now)
    bounds = [*RENEWAL_DAYS, -1]
    with services.session_factory.begin() as s:
        people = People.load(s)
        msgs = []
        for hi, lo in zip(bounds, bounds[1:], strict=False):
            rows = account_rows(
                s, _renewal_window(hi, lo), Scope.everything(), as_of, ["contract_end"]
            )
            for r in rows:
                end = r["contract_end"]
                handles, fallback = recipients(people, r["owner"], r["csm"])
                payload = {
                    "kind": "renewal",
                    "account_id": r["id"],
                    "account": r["name"],
                    "threshold": hi,
                    "days_left": (end - as_of).days,
                    "contract_end": end.isoformat(),
                }
                key = f"renewal:{hi}:{r['id']}:{{who}}:{end.isoformat()}"
                msgs += _addressed(key, handles, fallback, payload, now)
        added = outbox.enqueue_many(s, msgs)
    return {"messages": added}


INACTIVE = Spec(
    where=Condition(
        all=[
            Filter(field="days_since_login", op="ge", value=INACTIVITY_DAYS),
            Filter(field="days_since_login", op="not_empty"),
        ]
    )
)


def inactivity(services: Services, now: dt.datetime) -> dict:
    """DM the owner once when an account goes quiet (no login for 30 days), per quiet spell."""
    as_of = job_date(services, now)
    with services.session_factory.begin() as s:
        outbox.write_lock(s)
        ensure_fresh(s, as_of)
        people = People.load(s)
        rows = account_rows(
            s, INACTIVE, Scope.everything(), as_of, ["days_since_login", "last_login_at"]
        )
        msgs = []
        for r in rows:
            handles, fallback = recipients(people, r["owner"], related=(r["csm"],))
            last = r["last_login_at"]
            spell = last.date().isoformat() if last else "never"
            payload = {
                "kind": "inactivity",
                "account_id": r["id"],
                "account": r["name"],
                "days": r["days_since_login"],
            }
            msgs += _addressed(
                f"inactivity:{r['id']}:{{who}}:{spell}", handles, fallback, payload, now
            )
        return {"messages": outbox.enqueue_many(s, msgs)}


def escalations(services: Services, now: dt.datetime) -> dict:
    """Unacknowledged alerts older than the limit go to the assignee's manager; snoozes wake."""
    with services.session_factory.begin() as s:
        outbox.write_lock(s)
        n = alerts.escalate(s, now, services.settings.escalate_after_hours)
        woke = alerts.notify_new(s, now)
    return {"messages": n + woke}


def digest_due(services: Services, user: User, now: dt.datetime) -> dt.date | None:
    """The local date a manager's digest is due for, or None before their morning hour.

    With a fixed as-of (`scheduler --as-of D`) every manager is treated as being at their
    digest hour on D, so a check run sends each manager D's digest.
    """
    if services.as_of is not None:
        return services.as_of
    local = now.replace(tzinfo=dt.UTC).astimezone(
        _zone(user.timezone, services.settings.default_timezone)
    )
    if local.hour < services.settings.digest_hour:
        return None
    return local.date()


def digests(services: Services, now: dt.datetime) -> dict:
    """Queue each manager's daily digest at their morning hour, once per local date."""
    with services.session_factory.begin() as s:
        managers = s.scalars(
            select(User).where(User.role == "manager", User.active).order_by(User.id)
        ).all()
        msgs = []
        for m in managers:
            day = digest_due(services, m, now)
            if day is None:
                continue
            msgs.append(
                outbox.message(
                    f"digest:{m.handle}:{day.isoformat()}",
                    "dm",
                    m.handle,
                    {"kind": "digest", "user": m.handle, "date": day.isoformat()},
                    now,
                )
            )
        return {"messages": outbox.enqueue_many(s, msgs)}


def send_outbox(services: Services, now: dt.datetime, limit: int = 500) -> dict:
    """Deliver due outbox messages: claim each, route and render, mark delivering, send, mark sent.

    Each message goes to its addressee on a configured chat platform, or to a fallback (their
    manager, then an admin) when it cannot reach them; with no platform configured it goes to
    the log and is marked `logged`, not `sent`. The stats say which: `sent` (to a platform),
    `by_platform`, `logged`, `fallback`, `retry`, `failed`, `skipped`.
    """
    settings = services.settings
    stats: dict = {
        "sent": 0,
        "by_platform": {},
        "logged": 0,
        "fallback": 0,
        "retry": 0,
        "failed": 0,
        "skipped": 0,
    }
    with services.session_factory.begin() as s:
        outbox.reclaim_expired(s, now, settings.outbox_lease_seconds)
        ids = outbox.due_ids(s, now, limit)
    for mid in ids:
        with services.session_factory.begin() as s:
            won = outbox.claim(s, mid, WORKER, now)
        if not won:
            stats["skipped"] += 1
            continue
        row = None
        sending = False  # once the send starts, a failure may mean "delivered": never resend
        try:
            with services.session_factory.begin() as s:
                outbox.write_lock(s)  # rendering may refresh figures
                row = s.get(OutboxMessage, mid)
                to = None if row.channel == "webhook" else route(services, s, row)
                reply = None if to is None else render(services, s, row, now, to)
                if to is not None and to.fallback:
                    audit.record(
                        s,
                        "profilebot",
                        "outbox.fallback",
                        platform=to.platform,
                        account_id=(row.payload or {}).get("account_id"),
                        detail={"key": row.key, **to.fallback},
                        at=now,
                    )
            with services.session_factory.begin() as s:
                if not outbox.mark_delivering(s, mid, WORKER):
                    stats["skipped"] += 1
                    continue
            sending = True
            ref = deliver(services, row, reply, to)
            result = dict(ref) if isinstance(ref, dict) else {}
            status = "sent"
            if to is not None:
                result.update({"platform": to.platform, "to": to.handle})
                if to.fallback:
                    result["fallback"] = to.fallback
                if to.logged:
                    status = outbox.LOGGED
            with services.session_factory.begin() as s:
                outbox.mark_sent(s, mid, now, result or None, status=status)
            try:
                with services.session_factory.begin() as s:
                    _remember_ref(s, row, ref)
            except Exception:  # the message went out; only in-place updates are lost
                log.exception("outbox %s sent, but its message reference was not kept", mid)
            if to is not None and (to.fallback or (row.payload or {}).get("fallback")):
                stats["fallback"] += 1
            if status == outbox.LOGGED:
                stats["logged"] += 1
            else:
                platform = to.platform if to is not None else "webhook"
                stats["sent"] += 1
                stats["by_platform"][platform] = stats["by_platform"].get(platform, 0) + 1
        except DeliveryError as exc:
            log.warning("outbox %s (%s): %s", mid, row.key if row else "?", exc)
            with services.session_factory.begin() as s:
                if exc.retryable:
                    status = outbox.mark_retry(
                        s,
                        mid,
                        now,
                        str(exc),
                        max_attempts=settings.outbox_max_attempts,
                        retry_after=exc.retry_after,
                    )
                    stats["retry" if status == "pending" else "failed"] += 1
                else:
                    outbox.mark_failed(s, mid, str(exc))
                    stats["failed"] += 1
        except Exception as exc:  # one bad message never stops the run
            log.exception("outbox %s failed", mid)
            with services.session_factory.begin() as s:
                if sending:  # it may have gone out: at most once, so fail it for a person to see
                    outbox.mark_failed(s, mid, repr(exc))
                    stats["failed"] += 1
                    continue
                status = outbox.mark_retry(
                    s, mid, now, repr(exc), max_attempts=settings.outbox_max_attempts
                )
                stats["retry" if status == "pending" else "failed"] += 1
    return stats


def _remember_ref(session, row: OutboxMessage, ref) -> None:  # noqa: ANN001
    """Keep where an alert message went, so a button click can update it in place."""
    p = row.payload or {}
    if p.get("kind") != "alert" or not isinstance(ref, dict):
        return

    alert = session.get(Alert, p["alert_id"])
    if alert is not None:
        alert.message_refs = [*(alert.message_refs or []), {**ref, "to": row.recipient}]


# Run order for `scheduler --once`: what creates messages first, the sender last.
JOBS = {
    "rules": run_rules,
    "renewals": renewal_reminders,
    "inactivity": inactivity,
    "escalations": escalations,
    "digests": digests,
    "outbox": send_outbox,
}
