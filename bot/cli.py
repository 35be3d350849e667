"""The `profilebot` command."""

from __future__ import annotations

import logging
import os

import typer
from rich.table import Table

from bot import (
    cmd_ask,
    cmd_chart,
    cmd_dashboard,
    cmd_edit,
    cmd_import,
    cmd_interview,
    cmd_persona,
    cmd_profile,
    cmd_rules,
    cmd_serve,
)
from bot.cli_common import console, fail, parse_as_of, print_json, services
from store.settings import Settings

app = typer.Typer(
    name="profilebot",
    help="Customer-profile (客户画像) assistant: import, ask, rules, interviews — in the terminal, "
    "Slack and WeCom.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="List and add the people who use profilebot.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def init() -> None:
    """Create or upgrade the database schema (PROFILEBOT_DATABASE_URL, default ./profilebot.db)."""
    from store.db import init_schema, make_engine

    settings = Settings.from_env()
    rev = init_schema(make_engine(settings.database_url))
    from store.defaults import install_defaults

    svc = services()
    with svc.session_factory.begin() as s:
        added = install_defaults(s)
    console.print(f"schema at revision [bold]{rev}[/bold]; default rules installed: {added}")


@app.command()
def demo(
    accounts: int = typer.Option(300, "--accounts", help="How many accounts to create."),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed gives the same book."),
    as_of: str = typer.Option(None, "--as-of", help="The demo's 'today' (default: today)."),
    reset: bool = typer.Option(
        False,
        "--reset",
        help="Replace the demo book already in the database with a fresh one "
        "(refused when the database holds users that are not demo users).",
    ),
) -> None:
    """Fill the database with a realistic demo book (init included); run again, it keeps the book."""
    import datetime as dt

    from store.defaults import install_defaults
    from store.demo import clear_book, existing_book, generate

    today = parse_as_of(as_of) or dt.date.today()
    svc = services(today, init=True, with_llm=False)
    with svc.session_factory.begin() as s:
        n_accounts, n_users, foreign = existing_book(s)
        if n_accounts or n_users:
            if not reset:
                console.print(
                    f"the database already holds a book ({n_accounts} accounts, {n_users} users): "
                    "kept as it is. [bold]profilebot demo --reset[/bold] replaces it with a fresh "
                    "demo book."
                )
                console.print("next: [bold]profilebot chat[/bold]")
                return
            if foreign:
                fail(
                    f"not reset: the database holds users who are not demo users "
                    f"({', '.join(foreign[:5])}{'…' if len(foreign) > 5 else ''}); --reset only "
                    "replaces a demo book. Point PROFILEBOT_DATABASE_URL at another database."
                )
            clear_book(s)
            console.print(f"removed the old book ({n_accounts} accounts, {n_users} users).")
        install_defaults(s)  # the default rules tag the demo book at its first refresh
        stats = generate(s, accounts=accounts, seed=seed, today=today)
    console.print(
        f"demo book ready as of {today}: {stats['accounts']} accounts, {stats['contacts']} key "
        f"people, {stats['events']} events, {stats['nps']} NPS answers, {stats['users']} users."
    )
    console.print(
        "next: [bold]profilebot chat[/bold]  (try: help, 有流失风险的客户, top 10 accounts by ARR)"
    )


@app.command()
def chat(
    as_user: str = typer.Option(None, "--as", help="Talk as this user (handle or email)."),
    as_of: str = typer.Option(None, "--as-of", help="Fix 'today' for relative dates."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input line."),
    files_dir: str = typer.Option(
        None, "--files-dir", help="Where charts and files go (default: a new temp directory)."
    ),
) -> None:
    """Talk to the bot in the terminal (reads lines from stdin when it is not a terminal)."""
    from bot.terminal import run_chat

    run_chat(services(parse_as_of(as_of)), as_user, as_json=as_json, files_dir=files_dir)


@app.command()
def refresh(
    as_of: str = typer.Option(
        None, "--as-of", help="The day to compute the figures as of (default: today)."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Recompute the derived figures and rule-set tags as of a day (questions only read them)."""
    import datetime as dt

    from store.refresh import held
    from store.refresh import refresh as refresh_figures

    day = parse_as_of(as_of) or dt.date.today()
    svc = services(day, with_llm=False)
    with svc.session_factory.begin() as s:
        refresh_figures(s, day)
    with svc.session_factory() as s:
        state = held(s)
    out = {"as_of": day.isoformat(), "refreshed_at": state.refreshed_at, "stale": state.stale}
    if as_json:
        print_json(out)
    else:
        console.print(f"figures refreshed as of [bold]{day}[/bold]")


@app.command()
def audit(
    user: str = typer.Option(None, "--user", help="Only what this user did or saw."),
    account: str = typer.Option(None, "--account", help="Only this account (id, domain or name)."),
    limit: int = typer.Option(100, "--limit"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Who changed or saw what, through which platform, when (newest first)."""
    from store import audit as audit_store
    from store.query import find_account

    svc = services(with_llm=False)
    with svc.session_factory.begin() as s:
        account_id = None
        if account:
            acc = find_account(s, account)
            if acc is None:
                fail(f"no account matches '{account}'")
            account_id = acc.id
        rows = audit_store.entries(s, user=user, account_id=account_id, limit=limit)
        items = [
            {
                "at": e.at.isoformat(timespec="seconds"),
                "actor": e.actor,
                "platform": e.platform,
                "action": e.action,
                "account_id": e.account_id,
                "detail": e.detail,
            }
            for e in rows
        ]
    if as_json:
        print_json({"entries": items})
        return
    table = Table("when", "who", "via", "what", "account", "detail")
    for it in items:
        table.add_row(
            it["at"],
            it["actor"] or "",
            it["platform"] or "",
            it["action"],
            str(it["account_id"] or ""),
            str(it["detail"] or "")[:60],
        )
    console.print(table)


@users_app.command("list")
def users_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Everyone who may talk to the bot, with role and manager."""
    from sqlalchemy import select

    from store.models import User

    svc = services(with_llm=False)
    with svc.session_factory.begin() as s:
        rows = [
            {
                "handle": u.handle,
                "name": u.name,
                "email": u.email,
                "role": u.role,
                "manager": u.manager.handle if u.manager else None,
                "timezone": u.timezone,
                "slack_id": u.slack_id,
                "wecom_id": u.wecom_id,
            }
            for u in s.scalars(select(User).order_by(User.role, User.handle))
        ]
    if as_json:
        print_json({"users": rows})
        return
    table = Table("handle", "name", "role", "manager", "email", "timezone")
    for r in rows:
        table.add_row(
            r["handle"],
            r["name"] or "",
            r["role"],
            r["manager"] or "",
            r["email"] or "",
            r["timezone"] or "",
        )
    console.print(table)


@users_app.command("add")
def users_add(
    handle: str = typer.Argument(..., help="Short unique handle, e.g. bob"),
    role: str = typer.Option(
        None,
        "--role",
        help="sales | csm | manager | admin (a new user: sales; an existing user keeps theirs)",
    ),
    name: str = typer.Option(None, "--name"),
    email: str = typer.Option(None, "--email"),
    manager: str = typer.Option(None, "--manager", help="Handle of their manager."),
    timezone: str = typer.Option(None, "--timezone", help="e.g. Asia/Shanghai"),
    slack_id: str = typer.Option(None, "--slack-id"),
    wecom_id: str = typer.Option(None, "--wecom-id"),
    language: str = typer.Option(
        None,
        "--language",
        help="zh | en: the language of their dashboard (default: from their name).",
    ),
) -> None:
    """Add or update a user."""
    from store.users import upsert_user

    svc = services(with_llm=False)
    with svc.session_factory.begin() as s:
        try:
            user, created = upsert_user(
                s,
                handle=handle,
                role=role,
                name=name,
                email=email,
                manager=manager,
                timezone=timezone,
                slack_id=slack_id,
                wecom_id=wecom_id,
                language=language,
                actor=os.environ.get("USER"),
            )
        except ValueError as exc:
            fail(str(exc))
    console.print(f"{'added' if created else 'updated'} {user.handle} ({user.role})")


for module in (
    cmd_import,
    cmd_profile,
    cmd_edit,
    cmd_ask,
    cmd_rules,
    cmd_interview,
    cmd_serve,
    cmd_dashboard,
    cmd_persona,
    cmd_chart,
):
    module.register(app)


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
