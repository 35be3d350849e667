"""(being written) CLI commands; register(app) adds them."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    return None
