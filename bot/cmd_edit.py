"""`profilebot tag` and `profilebot set`: hand edits of one account, audited."""

from __future__ import annotations

import typer

from bot.cli_common import console, fail, services
from store.edits import EditError, clear_tag, set_field, set_tag
from store.query import LOCAL_OPERATOR, find_account, scope_for


def tag_cmd(
    account: str = typer.Argument(..., help="Account id, domain or name."),
    tag: str = typer.Argument(..., help="The tag, e.g. vip or 重点客户."),
    remove: bool = typer.Option(False, "--remove", help="Take the tag off instead."),
    note: str = typer.Option(None, "--note", help="Why (kept with the tag)."),
    as_user: str = typer.Option(None, "--as", help="Act as this user (default: local operator)."),
) -> None:
    """Put a tag on an account by hand (or --remove it); who and when are recorded."""
    who = as_user or LOCAL_OPERATOR
    svc = services(with_llm=False)
    with svc.session_factory.begin() as s:
        acc = find_account(s, account, scope_for(s, who))
        if acc is None:
            fail(f"no account '{account}' that {who} can see")
        if remove:
            done = clear_tag(s, acc, tag, actor=who, platform="cli")
            console.print(
                f"removed '{tag}' from {acc.name}" if done else f"{acc.name} has no '{tag}'"
            )
        else:
            done = set_tag(s, acc, tag, actor=who, platform="cli", note=note)
            console.print(
                f"tagged {acc.name} '{tag}'" if done else f"{acc.name} already has '{tag}'"
            )


def set_cmd(
    account: str = typer.Argument(..., help="Account id, domain or name."),
    field: str = typer.Argument(
        ..., help="Field key or label, e.g. industry, 行业, arr, a custom field."
    ),
    value: str = typer.Argument(
        ..., help="New value (money like 5万 or 40k and dates like 2026年12月31日 work)."
    ),
    as_user: str = typer.Option(None, "--as", help="Act as this user (default: local operator)."),
) -> None:
    """Set one field of an account by hand; the old and new values go to the audit log."""
    who = as_user or LOCAL_OPERATOR
    svc = services(with_llm=False)
    with svc.session_factory.begin() as s:
        acc = find_account(s, account, scope_for(s, who))
        if acc is None:
            fail(f"no account '{account}' that {who} can see")
        try:
            key, old, new = set_field(s, acc, field, value, actor=who, platform="cli")
        except EditError as exc:
            fail(str(exc))
    console.print(f"{acc.name}: {key} {old!s} → {new!s}")


def register(app: typer.Typer) -> None:
    app.command("tag")(tag_cmd)
    app.command("set")(set_cmd)
