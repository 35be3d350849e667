"""The terminal adapter: rich output on a terminal, plain lines when stdin is piped."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from handlers.messages import IncomingMessage, Reply
from handlers.router import LOCAL_OPERATOR, handle
from handlers.services import Services


def render_rich(console: Console, reply: Reply) -> None:
    """A reply as a panel with a table of accounts."""
    body = reply.text
    for heading, text in reply.sections:
        body += f"\n\n[bold]{heading}[/bold]\n{text}" if heading else f"\n\n{text}"
    if reply.fields:
        body += "\n\n" + "\n".join(f"[bold]{k}[/bold]: {v}" for k, v in reply.fields.items())
    console.print(
        Panel(body, title=reply.title, border_style="red" if reply.kind == "error" else "cyan")
    )
    if reply.rows:
        cols = list(reply.rows[0].fields)
        table = Table("#", "account", *cols)
        for i, row in enumerate(reply.rows, 1):
            table.add_row(str(i), row.name, *(row.fields.get(c, "") for c in cols))
        console.print(table)
    if reply.context:
        console.print(f"[dim]{reply.context}[/dim]")
    if reply.buttons:
        console.print("  ".join(f"[reverse] {b.label} [/reverse]" for b in reply.buttons))
    if reply.chart is not None:
        console.print(f"[dim](chart: {reply.chart.title} — shown as an image in Slack/WeCom)[/dim]")


def run_chat(services: Services, as_user: str | None) -> None:
    """Read a line, answer it, until EOF or 'quit'."""
    user = as_user or LOCAL_OPERATOR
    interactive = sys.stdin.isatty()
    console = Console()
    if interactive:
        console.print(
            "[bold]profilebot[/bold] — ask about your customers in English or 中文. "
            "Type [bold]help[/bold] / [bold]帮助[/bold], or [bold]quit[/bold] to leave."
        )
    while True:
        try:
            line = input("> " if interactive else "")
        except (EOFError, KeyboardInterrupt):
            break
        text = line.strip()
        if not text:
            continue
        if text.lower() in ("quit", "exit", "退出"):
            break
        msg = IncomingMessage(user=user, text=text, platform="terminal", as_of=services.as_of)
        for reply in handle(services, msg):
            if interactive:
                render_rich(console, reply)
            else:
                sys.stdout.write(reply.plain() + "\n\n")
                sys.stdout.flush()
