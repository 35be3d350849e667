"""Shared pieces of the command line: the console, --as-of parsing, services, errors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.errors import MarkupError

from bot.runtime import SchemaMissing, build_services
from handlers.services import Services


class SafeConsole(Console):
    """A rich Console that never crashes on markup found in data: when a stored name or note
    holds something Rich takes for a tag ("[/x]"), the output is printed as plain text instead
    of raising MarkupError. Renderers escape data too (rich.markup.escape); this is the net."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        try:
            super().print(*objects, **kwargs)
        except MarkupError:
            saved, self._markup = self._markup, False  # tables render their cells with this
            try:
                super().print(*objects, **{**kwargs, "markup": False})
            finally:
                self._markup = saved


console = SafeConsole()
err_console = SafeConsole(stderr=True)


def parse_as_of(value: str | None) -> dt.date | None:
    """YYYY-MM-DD (or YYYY/MM/DD) to a date; a clear error otherwise."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip().replace("/", "-"))
    except ValueError:
        fail(f"--as-of '{value}' is not a date: use YYYY-MM-DD, e.g. --as-of 2026-11-01")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit non-zero."""
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def services(
    as_of: dt.date | None = None, *, init: bool = False, with_llm: bool = True
) -> Services:
    """Services for a command, with a helpful error when the schema is missing."""
    try:
        return build_services(as_of=as_of, init=init, with_llm=with_llm)
    except SchemaMissing as exc:
        fail(str(exc))


def print_json(obj: Any) -> None:
    """One JSON object on one line (dates and decimals as strings)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
