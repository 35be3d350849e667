"""`profilebot rules …`, `profilebot alerts`, `profilebot digest`, `profilebot scheduler`."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from bot.cli_common import console, fail, parse_as_of, print_json, services
from store.models import OutboxMessage

rules_app = typer.Typer(
    help="If-then rules: list, add (YAML), preview, run, enable, disable.", no_args_is_help=True
)

AS_OF_HELP = "Fix 'today' (YYYY-MM-DD)."


def _actor() -> str | None:
    return os.environ.get("USER")


def _rule_json(r) -> dict:  # noqa: ANN001
    return {
        "id": r.id,
        "name": r.name,
        "description": r.description,
        "if": r.condition,
        "then": r.actions,
        "schedule": r.schedule,
        "enabled": r.enabled,
        "default": r.is_default,
        "owner": r.owner,
        "last_run_at": r.last_run_at.isoformat(timespec="seconds") if r.last_run_at else None,
    }


def _matches(s, defs, as_of: str | None) -> dict[str, int]:  # noqa: ANN001
    """How many accounts each rule matches on --as-of (nothing when it is not given)."""
    from store.refresh import ensure_fresh
    from store.rules import preview

    day = parse_as_of(as_of)
    if day is None:
        return {}
    ensure_fresh(s, day)
    return {rd.name: preview(s, rd, day, limit=1)[0] for rd in defs}


@rules_app.command("list")
def rules_list(
    as_of: str = typer.Option(
        None, "--as-of", help="Also count the accounts each rule matches on this day (YYYY-MM-DD)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Every rule with its condition, actions and whether it is on."""
    from store.rules import list_rules, rule_def

    svc = services(parse_as_of(as_of), with_llm=False)
    with svc.session_factory.begin() as s:
        rows = list_rules(s)
        items = [_rule_json(r) for r in rows]
        counts = _matches(s, [rule_def(r) for r in rows], as_of)
        for it in items:
            if it["name"] in counts:
                it["matches"] = counts[it["name"]]
        described = [
            (
                r.id,
                r.name,
                "on" if r.enabled else "off",
                "; ".join(a.describe() for a in rule_def(r).actions),
            )
            for r in rows
        ]
    if as_json:
        print_json(
            {"as_of": parse_as_of(as_of).isoformat(), "rules": items}
            if counts
            else {"rules": items}
        )
        return
    table = Table("id", "name", "enabled", "then", *(["matches"] if counts else []))
    for rid, name, on, then in described:
        table.add_row(str(rid), name, on, then, *([str(counts[name])] if counts else []))
    console.print(table)


@rules_app.command("add")
def rules_add(
    file: Path = typer.Argument(..., help="A YAML file with one rule or a list of rules."),
    as_of: str = typer.Option(
        None, "--as-of", help="Also count the accounts each new rule matches on this day."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Add or replace rules from a YAML file (validated before anything is saved)."""
    from store.rules import RuleError, load_rule_file, save_rule

    svc = services(parse_as_of(as_of), with_llm=False)
    try:
        defs = load_rule_file(file)
        with svc.session_factory.begin() as s:
            saved = []
            for rd in defs:
                row, created = save_rule(s, rd, actor=_actor(), platform="cli")
                saved.append({"id": row.id, "name": row.name, "created": created})
            counts = _matches(s, defs, as_of)
            for it in saved:
                if it["name"] in counts:
                    it["matches"] = counts[it["name"]]
    except RuleError as exc:
        fail(str(exc))
    if as_json:
        print_json(
            {"as_of": parse_as_of(as_of).isoformat(), "rules": saved}
            if counts
            else {"rules": saved}
        )
        return
    for it in saved:
        matches = f" — matches {it['matches']} accounts on {as_of}" if "matches" in it else ""
        console.print(
            f"{'added' if it['created'] else 'updated'} rule {it['id']} [bold]{it['name']}[/bold]"
            f"{matches}"
        )


@rules_app.command("preview")
def rules_preview(
    ref: str = typer.Argument(None, help="A rule name or id, or a YAML file; default all enabled."),
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    limit: int = typer.Option(10, "--limit", help="How many matching accounts to show per rule."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Which accounts match now, with the values that fire the rule — without acting."""
    from store.refresh import ensure_fresh
    from store.rules import RuleError, get_rule, list_rules, load_rule_file, preview, rule_def

    day = parse_as_of(as_of) or dt.date.today()
    svc = services(day, with_llm=False)
    out = []
    try:
        with svc.session_factory.begin() as s:
            if ref and Path(ref).is_file():
                defs = load_rule_file(ref)
            elif ref:
                row = get_rule(s, ref)
                if row is None:
                    fail(f"no rule named '{ref}' — see `profilebot rules list`")
                defs = [rule_def(row)]
            else:
                defs = [rule_def(r) for r in list_rules(s) if r.enabled]
            ensure_fresh(s, day)
            for rd in defs:
                total, rows = preview(s, rd, day, limit=limit)
                out.append({"rule": rd.name, "matches": total, "accounts": rows})
    except RuleError as exc:
        fail(str(exc))
    if as_json:
        print_json({"as_of": day.isoformat(), "rules": out})
        return
    for item in out:
        console.print(f"[bold]{item['rule']}[/bold]: matches {item['matches']} accounts now")
        for a in item["accounts"]:
            vals = ", ".join(f"{k}={v}" for k, v in a["values"].items())
            console.print(f"  • {a['name']} ({a['owner'] or '—'}) {vals}")


@rules_app.command("run")
def rules_run(
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    rule: str = typer.Option(None, "--rule", help="Only this rule (name or id)."),
    send: bool = typer.Option(False, "--send", help="Also deliver the queued messages now."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Run and count everything; save nothing, send nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Evaluate the enabled rules now: tags, fields, alerts, to-dos, DMs and webhooks."""
    from bot.messengers import attach_configured
    from scheduler.jobs import send_outbox
    from scheduler.rehearsal import delivery_lines, summarise
    from scheduler.rehearsal import dry_run as rehearse
    from store.rules import run_rules

    day = parse_as_of(as_of) or dt.date.today()
    svc = services(day, with_llm=False)
    now = svc.now() if as_of else dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if send:
        attach_configured(svc)
    with contextlib.ExitStack() as stack:
        run_svc = stack.enter_context(rehearse(svc)) if dry_run else svc
        with run_svc.session_factory.begin() as s:
            stats = run_rules(s, day, now, rule_ref=rule)
        delivery = None
        if send:
            sent = send_outbox(run_svc, now)
            delivery = summarise({"outbox": sent}, run_svc, dry_run=dry_run)
            stats["delivery"] = sent
    if as_json:
        extra = {"dry_run": dry_run}
        if delivery is not None:
            extra["summary"] = delivery
        print_json({"as_of": day.isoformat(), **stats, **extra})
        return
    would = "would be " if dry_run else ""
    console.print(
        f"as of {day}: {stats['rules']} rules run, {stats['alerts_opened']} alerts {would}opened, "
        f"{stats['alerts_updated']} updated, {stats['alerts_closed']} closed, "
        f"{stats['messages']} messages {would}queued"
    )
    if delivery is not None:
        for line in delivery_lines(delivery):
            console.print(line, soft_wrap=True)
    elif dry_run:
        console.print("dry run: nothing was saved and nothing was sent")


def _toggle(name: str, enabled: bool) -> None:
    from store.rules import RuleError, set_enabled

    svc = services(with_llm=False)
    try:
        with svc.session_factory.begin() as s:
            row = set_enabled(s, name, enabled, actor=_actor())
            label = row.name
    except RuleError as exc:
        fail(str(exc))
    console.print(f"rule [bold]{label}[/bold] {'enabled' if enabled else 'disabled'}")


@rules_app.command("enable")
def rules_enable(name: str = typer.Argument(..., help="Rule name or id.")) -> None:
    """Turn a rule on."""
    _toggle(name, True)


@rules_app.command("disable")
def rules_disable(name: str = typer.Argument(..., help="Rule name or id.")) -> None:
    """Turn a rule off (its tags leave and the fields it set go back at the next refresh)."""
    _toggle(name, False)


@rules_app.command("why")
def rules_why(
    account: str = typer.Argument(..., help="Account id, domain or name."),
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Why an account carries its tags: the rule and the values that fired it."""
    from store.query import find_account
    from store.refresh import ensure_fresh
    from store.rules import why

    day = parse_as_of(as_of) or dt.date.today()
    svc = services(day, with_llm=False)
    with svc.session_factory.begin() as s:
        ensure_fresh(s, day)
        acc = find_account(s, account)
        if acc is None:
            fail(f"no account matches '{account}'")
        items = why(s, acc.id)
        name = acc.name
    if as_json:
        print_json({"account": name, "tags": items})
        return
    for it in items:
        vals = ", ".join(f"{k}={v}" for k, v in (it["values"] or {}).items())
        src = f"rule {it['rule']}" if it["rule"] else f"{it['source']} {it['set_by'] or ''}"
        console.print(f"[bold]{it['tag']}[/bold] — {src}: {vals}")


def alerts_cmd(
    user: str = typer.Option(None, "--user", help="Only this user's alerts (handle)."),
    all_: bool = typer.Option(False, "--all", help="Include resolved alerts."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open alerts and to-dos (all, or one user's), with who did what and when."""
    from store.alerts import OPEN_STATUSES, list_alerts, my_alerts
    from store.models import Account
    from store.query import find_user

    svc = services(with_llm=False)
    statuses = (*OPEN_STATUSES, "resolved") if all_ else OPEN_STATUSES
    with svc.session_factory.begin() as s:
        if user:  # "my alerts": the same definition chat, App Home and the digest use
            u = find_user(s, user)
            if u is None:
                fail(f"no user '{user}' — see `profilebot users list`")
            rows = my_alerts(s, u.handle, statuses=statuses, limit=None).alerts
        else:
            rows = list_alerts(s, None, statuses=statuses, limit=100_000)
        items = []
        for a in rows:
            acc = s.get(Account, a.account_id) if a.account_id else None
            items.append(
                {
                    "id": a.id,
                    "kind": a.kind,
                    "status": a.status,
                    "title": a.title,
                    "account": {"id": acc.id, "account_id": acc.external_id, "name": acc.name}
                    if acc
                    else None,
                    "assignee": a.assignee,
                    "severity": a.severity,
                    "rule_id": a.rule_id,
                    "reason": a.reason,
                    "snoozed_until": a.snoozed_until,
                    "escalated_to": a.escalated_to,
                    "created_at": a.created_at,
                    "history": a.history or [],
                }
            )
    if as_json:
        print_json({"alerts": items, "total": len(items)})
        return
    table = Table("id", "kind", "status", "assignee", "title")
    for it in items:
        table.add_row(str(it["id"]), it["kind"], it["status"], it["assignee"] or "", it["title"])
    console.print(table)
    console.print(f"{len(items)} alerts and to-dos" + (f" for {user}" if user else ""))


def digest_cmd(
    user: str = typer.Option(..., "--user", help="The manager (handle or email)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show it; send nothing."),
    as_of: str = typer.Option(None, "--as-of", help=AS_OF_HELP),
    chart: Path = typer.Option(None, "--chart", help="Also write the chart PNG here."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A manager's daily digest: build it, and unless --dry-run queue and send it (once a day)
    through the configured chat platform (the log only when none is configured)."""
    from bot.messengers import attach_configured
    from handlers.digest import build_digest
    from scheduler.jobs import send_outbox
    from scheduler.rehearsal import delivery_lines, summarise
    from store import outbox
    from store.query import find_user

    day = parse_as_of(as_of)
    svc = services(day, with_llm=False)
    now = svc.now()
    with svc.session_factory.begin() as s:
        u = find_user(s, user)
        if u is None:
            fail(f"no user '{user}' — see `profilebot users list`")
        reply = build_digest(svc, s, u, now)
        handle = u.handle
        queued = False
        key = f"digest:{handle}:{(day or now.date()).isoformat()}"
        if not dry_run:
            queued = outbox.enqueue(
                s,
                key,
                "dm",
                handle,
                {"kind": "digest", "user": handle, "date": (day or now.date()).isoformat()},
                now,
            )
    delivery = None
    summary = None
    if not dry_run:
        attach_configured(svc)
        delivery = send_outbox(svc, now)
        summary = summarise({"outbox": delivery}, svc)
        with svc.session_factory.begin() as s:
            row = s.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).first()
            status = row.status if row is not None else None
    if chart is not None and reply.chart is not None:
        chart.write_bytes(reply.chart.png)
    if as_json:
        print_json(
            {
                "user": handle,
                "language": reply.language,
                "title": reply.title,
                "text": reply.plain(),
                "sections": [{"heading": h, "body": b} for h, b in reply.sections],
                "data": reply.data,
                "chart": {"title": reply.chart.title, "bytes": len(reply.chart.png)}
                if reply.chart
                else None,
                "dry_run": dry_run,
                "queued": queued,
                "status": None if dry_run else status,
                "delivery": delivery,
                "summary": summary,
            }
        )
        return
    console.print(reply.plain())
    if reply.chart is not None:
        console.print(
            f"[dim](chart: {reply.chart.title}{' → ' + str(chart) if chart else ''})[/dim]"
        )
    if dry_run:
        console.print("dry run: nothing was queued and nothing was sent")
        return
    if not queued:
        console.print("already sent today (nothing new queued)")
    else:
        console.print(f"this digest: {status}")
    for line in delivery_lines(summary):
        console.print(line, soft_wrap=True)


def scheduler_cmd(
    once: bool = typer.Option(False, "--once", help="Run every due job once and exit."),
    as_of: str = typer.Option(
        None, "--as-of", help="Run as of this date (09:00 UTC; digests due for everyone)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="With --once: run every job, save nothing, send nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="With --once: one JSON object."),
) -> None:
    """The scheduled jobs: rules, renewals, inactivity, escalations, digests, the outbox sender."""
    from bot.messengers import attach_configured
    from scheduler.rehearsal import delivery_target, scheduler_lines, summarise
    from scheduler.rehearsal import dry_run as rehearse
    from scheduler.runner import run_once, start

    svc = services(parse_as_of(as_of), with_llm=False)
    attach_configured(svc)
    if dry_run and not once:
        fail("--dry-run needs --once (a dry run is one pass over every job)")
    if once:
        with contextlib.ExitStack() as stack:
            run_svc = stack.enter_context(rehearse(svc)) if dry_run else svc
            report = run_once(run_svc)
            summary = summarise(report, run_svc, dry_run=dry_run)
        if as_json:
            print_json({**report, "summary": summary})
        else:
            for line in scheduler_lines(summary):
                console.print(line, soft_wrap=True)
        return
    target = delivery_target(svc)
    if target["log_only"]:
        console.print(
            "no chat platform is configured: messages go to the log "
            f"({target['log_file'] or 'the application log'}), marked 'logged'"
        )
    else:
        console.print(f"delivering through {', '.join(target['platforms'])}")
    from bot.cmd_serve import stop_on_signals

    stop_on_signals()  # SIGTERM stops it as cleanly as Ctrl-C
    console.print("scheduler running (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        start(svc, background=False)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
    app.command("alerts")(alerts_cmd)
    app.command("digest")(digest_cmd)
    app.command("scheduler")(scheduler_cmd)
