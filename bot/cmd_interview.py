"""`profilebot interview ...`: interview templates (list, validate, add, show) and interviews."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from bot.cli_common import console, fail, print_json, services

interview_app = typer.Typer(help="Customer interviews and their templates.", no_args_is_help=True)
templates_app = typer.Typer(help="Interview templates (YAML, bilingual).", no_args_is_help=True)
interview_app.add_typer(templates_app, name="templates")


def _read(file: Path):  # noqa: ANN202
    from handlers.interview_template import TemplateError, parse_template

    if not file.is_file():
        fail(f"no file {file}: give the path of a template YAML file")
    try:
        return parse_template(file.read_text(encoding="utf-8"), str(file))
    except TemplateError as exc:
        fail(str(exc))


@templates_app.command("list")
def templates_list() -> None:
    """The packaged templates and those admins stored in the database."""
    from handlers.interview_template import packaged, packaged_names
    from store import interviews

    table = Table("name", "where", "questions", "title")
    svc = services(with_llm=False)
    with svc.session_factory() as s:
        stored = {t.name: t for t in interviews.stored_templates(s)}
    for name in packaged_names():
        tpl = packaged(name)
        where = "package (overridden)" if name in stored else "package"
        table.add_row(name, where, str(len(tpl.questions)), f"{tpl.title.en} / {tpl.title.zh}")
    from handlers.interview_template import TemplateError, parse_template

    for name, row in stored.items():
        try:
            tpl = parse_template(row.body, name)
            table.add_row(
                name,
                f"database ({row.updated_by or '?'})",
                str(len(tpl.questions)),
                f"{tpl.title.en} / {tpl.title.zh}",
            )
        except TemplateError as exc:
            table.add_row(name, "database", "-", f"[red]invalid: {exc}[/red]")
    console.print(table)


@templates_app.command("validate")
def templates_validate(file: Path = typer.Argument(..., help="A template YAML file.")) -> None:
    """Check a template file; exit non-zero with the problem when it is wrong."""
    tpl = _read(file)
    console.print(
        f"[green]ok[/green]: '{tpl.name}' — {len(tpl.groups)} groups, {len(tpl.questions)} "
        f"questions ({sum(q.sensitive for q in tpl.questions)} sensitive)"
    )


@templates_app.command("add")
def templates_add(
    file: Path = typer.Argument(..., help="A template YAML file."),
    as_user: str = typer.Option(None, "--as", help="Who is adding it (for the audit log)."),
) -> None:
    """Store a template in the database (shared by every bot instance); replaces one of that name."""
    from store import audit, interviews

    tpl = _read(file)
    svc = services(with_llm=False)
    with svc.session_factory.begin() as s:
        new = interviews.put_template(s, tpl.name, file.read_text(encoding="utf-8"), as_user)
        audit.record(
            s,
            as_user,
            "interview.template",
            platform="cli",
            detail={"name": tpl.name, "questions": len(tpl.questions), "new": new},
        )
    console.print(
        f"template '{tpl.name}' {'added' if new else 'replaced'} ({len(tpl.questions)} questions)"
    )


@templates_app.command("show")
def templates_show(name: str = typer.Argument("default")) -> None:
    """Print a template's questions in order."""
    from handlers.interview_template import TemplateError, load

    svc = services(with_llm=False)
    with svc.session_factory() as s:
        try:
            tpl = load(s, name)
        except TemplateError as exc:
            fail(str(exc))
    table = Table("group", "id", "field", "type", "question (en / zh)")
    for g in tpl.groups:
        for q in g.questions:
            mark = " ⚠" if q.sensitive else ""
            table.add_row(g.title.zh, q.id + mark, q.field, q.type, f"{q.ask.en}\n{q.ask.zh}")
    console.print(table)


@interview_app.command("list")
def interviews_list(
    user: str = typer.Option(None, "--user", help="Only this interviewer's."),
    status: str = typer.Option(None, "--status", help="active, paused, done or cancelled."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object."),
) -> None:
    """Interviews, newest first."""
    from store import interviews
    from store.models import Account

    svc = services(with_llm=False)
    rows = []
    with svc.session_factory() as s:
        for r in interviews.history(s, user=user, status=status):
            acc = s.get(Account, r.account_id)
            rows.append(
                {
                    "id": r.id,
                    "user": r.user_handle,
                    "account_id": acc.external_id if acc else None,
                    "account": acc.name if acc else None,
                    "status": r.status,
                    "current": r.current,
                    "answers": len([k for k in r.answers or {} if not k.startswith("_")]),
                    "updated_at": r.updated_at,
                }
            )
    if json_out:
        print_json({"interviews": rows})
        return
    table = Table("id", "user", "account", "status", "answers", "current question", "updated")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["user"],
            str(r["account"]),
            r["status"],
            str(r["answers"]),
            r["current"] or "",
            str(r["updated_at"])[:16],
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(interview_app, name="interview")
