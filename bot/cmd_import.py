"""`profilebot import FILE`: CSV / Excel into the profile, one transaction, a report."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer

from bot.cli_common import console, err_console, parse_as_of, print_json, services
from store.importer import ImportReport, run_import


def _progress_bar():  # noqa: ANN202
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("importing", total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, update


def import_command(
    file: Path = typer.Argument(..., help="A .csv or .xlsx file (UTF-8, UTF-8 with BOM or GBK)."),
    kind: str = typer.Option(
        None, "--kind", help="users | accounts | contacts | events | nps (guessed from headers)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would happen; write nothing."),
    skip_bad_rows: bool = typer.Option(
        False, "--skip-bad-rows", help="Import the good rows and report the bad ones."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (the report)."),
    mapping: list[str] = typer.Option(
        None,
        "--map",
        help="Map a column to a field: --map '公司=name' (repeatable; =ignore drops).",
    ),
    new_fields: bool = typer.Option(
        False, "--new-fields", help="Create custom fields for unknown account columns."
    ),
    as_user: str = typer.Option(None, "--as", help="Who is importing (for the audit log)."),
    as_of: str = typer.Option(
        None,
        "--as-of",
        help="Refresh the figures as of this day after the import (default: the day they are "
        "held for, else today).",
    ),
) -> None:
    """Import a spreadsheet: one transaction; a bad row fails the file unless --skip-bad-rows."""
    day = parse_as_of(as_of)
    svc = services(day, with_llm=False)
    actor = as_user or getpass.getuser()
    bar, update = (None, None) if as_json else _progress_bar()
    try:
        if bar is not None:
            bar.start()
        report = run_import(
            svc.session_factory,
            file,
            kind,
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
            mapping=list(mapping or []),
            new_fields=new_fields,
            actor=actor,
            platform="cli",
            as_of=day,
            progress=update,
        )
    finally:
        if bar is not None:
            bar.stop()
    _output(report, as_json)
    if not report.ok:
        raise typer.Exit(1)


def _output(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_json())
        return
    text = report.summary()
    if report.ok:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        err_console.print(text, markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add `profilebot import`."""
    app.command("import")(import_command)
