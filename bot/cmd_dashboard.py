"""`profilebot dashboard-link --user U [--minutes N]`: a signed, expiring link to a dashboard."""

from __future__ import annotations

import typer

from bot.cli_common import err_console, fail, services
from handlers.dashboard import (
    DEFAULT_MINUTES,
    MAX_MINUTES,
    DashboardConfigError,
    dashboard_link,
)
from store.query import find_user


def register(app: typer.Typer) -> None:
    @app.command("dashboard-link")
    def dashboard_link_cmd(
        user: str = typer.Option(..., "--user", help="Whose dashboard (handle or email)."),
        minutes: int = typer.Option(
            DEFAULT_MINUTES,
            "--minutes",
            help=f"How long the link works (1 to {MAX_MINUTES}; default one day).",
        ),
    ) -> None:
        """Print a signed link to one user's live dashboard (PROFILEBOT_PUBLIC_URL is its base)."""
        if not 1 <= minutes <= MAX_MINUTES:
            fail(f"--minutes must be between 1 and {MAX_MINUTES} (90 days)")
        svc = services(with_llm=False)
        with svc.session_factory() as s:
            found = find_user(s, user)
            handle = found.handle if found is not None else None
        if handle is None:
            fail(f"no active user '{user}': see `profilebot users list`")
        try:
            url, expires = dashboard_link(svc.settings, handle, svc.clock(), minutes)
        except DashboardConfigError as exc:
            fail(str(exc))
        if not svc.settings.public_url:
            err_console.print(
                "[yellow]note:[/yellow] PROFILEBOT_PUBLIC_URL is not set, so the link points at "
                "this machine; set it to the address people reach `profilebot serve` at"
            )
        typer.echo(url)
        err_console.print(f"valid until {expires:%Y-%m-%d %H:%M} UTC")
