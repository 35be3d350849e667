"""`profilebot profile ACCOUNT` (the profile card) and `profilebot fields add|list|key`."""

from __future__ import annotations

import os

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli_common import console, err_console, fail, parse_as_of, print_json, services

fields_app = typer.Typer(
    help="Custom fields: add one (no code, no migration) or list them.", no_args_is_help=True
)


def profile(
    account: str = typer.Argument(..., help="Account id, external id, domain or name."),
    as_of: str = typer.Option(None, "--as-of", help="Figures as of this date (YYYY-MM-DD)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    as_user: str = typer.Option(None, "--as", help="See it as this user (their scope)."),
    lang: str = typer.Option(None, "--lang", help="en or zh (default: from the account name)."),
) -> None:
    """One account's profile card: four dimensions, key people, tags, health, RFM, completeness."""
    import datetime as dt

    from handlers.figures_held import note as figures_note
    from handlers.messages import IncomingMessage, detect_language
    from handlers.profile import profile_card, profile_reply
    from store.query import Scope, find_account, scope_for
    from store.refresh import held

    day = parse_as_of(as_of)
    svc = services(day, with_llm=False)
    today = svc.today(day) if day else dt.date.today()
    with svc.session_factory.begin() as s:
        scope = scope_for(s, as_user) if as_user else Scope.everything(os.environ.get("USER"))
        acc = find_account(s, account, scope)
        if acc is None:
            fail(
                f"no account matches '{account}'"
                + (f" among those {as_user} may see" if as_user else "")
                + " — try its id, domain or part of its name"
            )
        language = lang or detect_language(account)
        if as_json:
            card = profile_card(s, acc, today, scope, language)
            from store import audit

            audit.record(
                s,
                as_user or os.environ.get("USER"),
                "profile.view",
                platform="cli",
                account_id=acc.id,
            )
            print_json(card)
            return
        msg = IncomingMessage(
            user=as_user or os.environ.get("USER", "local"),
            text=account,
            platform="cli",
            language=language,
            as_of=today,
        )
        card_reply = profile_reply(svc, s, acc, msg, scope)
        note = figures_note(held(s), today, language == "zh")
    console.print(f"[bold]{escape(card_reply.title or '')}[/bold]")
    console.print(card_reply.text, markup=False)
    for heading, body in card_reply.sections:
        console.print(f"\n[bold]{escape(heading or '')}[/bold]")
        console.print(body, markup=False)
    if note:
        console.print(f"\n{note}", markup=False)


@fields_app.command("add")
def fields_add(
    key: str = typer.Argument(..., help="Field key, e.g. budget_owner (lower case, digits, _)."),
    label_en: str = typer.Option(None, "--label-en", help="English label (default: from key)."),
    label_zh: str = typer.Option(None, "--label-zh", help="Chinese label, e.g. 预算负责人."),
    type_: str = typer.Option("text", "--type", help="text | number | date | choice | region"),
    choices: str = typer.Option(None, "--choices", help="For choice: comma-separated values."),
    is_key: bool = typer.Option(False, "--key/--no-key", help="Counts in key completeness."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add a custom field: at once importable, askable, usable in rules, counted in completeness."""
    from store.customfields import FieldError, add_field
    from store.refresh import mark_stale

    svc = services(with_llm=False)
    with svc.session_factory.begin() as s:
        try:
            field = add_field(
                s,
                key=key,
                label_en=label_en or key.replace("_", " "),
                label_zh=label_zh,
                type=type_,
                choices=[c for c in (choices or "").split(",") if c.strip()] or None,
                is_key=is_key,
                actor=os.environ.get("USER"),
                platform="cli",
            )
        except FieldError as exc:
            fail(str(exc))
        mark_stale(s)
        out = _field_json(field)
    from store.customfields import builtin_with_label

    for label in (field.label_en, field.label_zh):
        clash = builtin_with_label(label)
        if clash is not None:  # to stderr, so --json output stays one object
            err_console.print(
                f"[yellow]note:[/yellow] '{label}' is also the label of the built-in field "
                f"'{clash.key}': a column headed '{label}' imports into '{clash.key}' unless you "
                f"pass --map '{label}={field.key}'; prefer another label to avoid ambiguity"
            )
    if as_json:
        print_json(out)
        return
    console.print(
        f"added field [bold]{out['key']}[/bold] ({out['type']}"
        + (", key" if out["is_key"] else "")
        + f"): {out['label_en']}"
        + (f" / {out['label_zh']}" if out["label_zh"] else "")
    )


def _field_json(f) -> dict:  # noqa: ANN001
    return {
        "key": f.key,
        "label_en": f.label_en,
        "label_zh": f.label_zh,
        "type": f.type,
        "choices": f.choices,
        "is_key": f.is_key,
        "created_by": f.created_by,
    }


@fields_app.command("list")
def fields_list(
    as_json: bool = typer.Option(False, "--json"),
    builtin: bool = typer.Option(False, "--all", help="Also list built-in fields and figures."),
) -> None:
    """The custom fields (and with --all every built-in field and derived figure, documented)."""
    from store.completeness import field_sets
    from store.customfields import list_fields
    from store.fields import ACCOUNT_FIELDS, FIGURE_FIELDS

    svc = services(with_llm=False)
    with svc.session_factory.begin() as s:
        custom = [_field_json(f) for f in list_fields(s)]
        key_fields, _, _ = field_sets(s)
    rows = [{**c, "source": "custom"} for c in custom]
    if builtin:
        rows = [
            {
                "key": f.key,
                "label_en": f.label_en,
                "label_zh": f.label_zh,
                "type": f.type,
                "choices": list(f.choices) or None,
                "is_key": f.key in key_fields,
                "source": f.source,
                "unit": f.unit,
                "window_days": f.window_days,
                "doc": f.doc,
            }
            for f in (*ACCOUNT_FIELDS, *FIGURE_FIELDS)
        ] + rows
    if as_json:
        print_json({"fields": rows, "key_fields": key_fields})
        return
    table = Table("key", "English", "中文", "type", "key field", "source", "doc")
    for r in rows:
        table.add_row(
            r["key"],
            r["label_en"],
            r["label_zh"] or "",
            r["type"] + (f" ({', '.join(r['choices'])})" if r.get("choices") else ""),
            "yes" if r["is_key"] else "",
            r["source"],
            (r.get("doc") or "")[:60],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `profile` and `fields` to the CLI."""
    app.command("profile")(profile)
    app.add_typer(fields_app, name="fields")
