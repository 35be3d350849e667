"""The terminal adapter: rich output on a terminal, plain lines when stdin is piped."""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.cli_common import SafeConsole
from handlers.messages import IncomingMessage, Reply
from handlers.router import LOCAL_OPERATOR, handle
from handlers.services import Services


def render_rich(console: Console, reply: Reply) -> None:
    """A reply as a panel with a table of accounts. Every piece of reply text is escaped for
    Rich markup (a stored name like "[/x]" or "[link=…]" is shown as typed, never parsed)."""
    e = lambda v: escape(str(v))  # noqa: E731
    body = e(reply.text)
    for heading, text in reply.sections:
        body += f"\n\n[bold]{e(heading)}[/bold]\n{e(text)}" if heading else f"\n\n{e(text)}"
    if reply.fields:
        body += "\n\n" + "\n".join(f"[bold]{e(k)}[/bold]: {e(v)}" for k, v in reply.fields.items())
    title = e(reply.title) if reply.title else None
    console.print(Panel(body, title=title, border_style="red" if reply.kind == "error" else "cyan"))
    if reply.rows:
        cols = list(reply.rows[0].fields)
        table = Table("#", "account", *(e(c) for c in cols))
        for i, row in enumerate(reply.rows, 1):
            table.add_row(str(i), e(row.name), *(e(row.fields.get(c, "")) for c in cols))
        console.print(table)
    if reply.context:
        console.print(f"[dim]{e(reply.context)}[/dim]")
    if reply.buttons:
        console.print("  ".join(f"[reverse] {e(b.label)} [/reverse]" for b in reply.buttons))
    if reply.chart is not None:
        chart = e(reply.chart.title)
        console.print(f"[dim](chart: {chart} — shown as an image in Slack/WeCom)[/dim]")


_SAFE_NAME = re.compile(r"[^\w.\-]+")


def _write_file(out_dir: Path, name: str, data: bytes) -> Path:
    """Write one attachment under out_dir with a safe, unused file name."""
    base = _SAFE_NAME.sub("_", name).strip("._") or "file"
    stem, dot, ext = base.rpartition(".")
    stem, ext = (stem, f".{ext}") if dot else (base, "")
    path = out_dir / f"{stem}{ext}"
    n = 1
    while path.exists():
        n += 1
        path = out_dir / f"{stem}-{n}{ext}"
    path.write_bytes(data)
    return path


def reply_json(replies: list[Reply], out_dir: Path) -> dict[str, Any]:
    """The replies to one line as one object, shaped like `ask --json` plus `files` and `alerts`.

    The first reply that carries an answer gives `understood`, `accounts`, `value` and `rows`;
    the texts of every reply are joined; every chart and file is written under out_dir.
    """
    out: dict[str, Any] = {}
    texts: list[str] = []
    files: list[dict[str, str]] = []
    alerts: list[dict[str, Any]] = []
    for reply in replies:
        data = dict(reply.data or {})
        texts.append(str(data.get("text") or reply.plain()))
        for key, value in data.items():
            if key != "text" and key not in out:
                out[key] = value
        attachments = [(a.name, a.data, a.mime) for a in reply.files]
        if reply.chart is not None:
            title = reply.chart.title or "chart"
            attachments.insert(0, (f"{title}.png", reply.chart.png, "image/png"))
        for name, blob, mime in attachments:
            out_dir.mkdir(parents=True, exist_ok=True)
            path = _write_file(out_dir, name, blob)
            files.append({"name": path.name, "path": str(path.resolve()), "mime": mime})
        alerts += [{"id": a.id, "title": a.title, "status": a.status} for a in reply.alerts]
    out["text"] = "\n\n".join(t for t in texts if t)
    out.setdefault("understood", None)
    out.setdefault("accounts", [])
    out["files"] = files
    out["alerts"] = alerts
    return out


def run_chat(
    services: Services,
    as_user: str | None,
    *,
    as_json: bool = False,
    files_dir: str | None = None,
) -> None:
    """Read a line, answer it, until EOF or 'quit' (`as_json`: one JSON object per line)."""
    user = as_user or LOCAL_OPERATOR
    interactive = sys.stdin.isatty() and not as_json
    out_dir = Path(files_dir) if files_dir else None
    console = SafeConsole()
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
        replies = handle(services, msg)
        if as_json:
            if out_dir is None:
                out_dir = Path(tempfile.mkdtemp(prefix="profilebot-chat-"))
            obj = reply_json(replies, out_dir)
            sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
            sys.stdout.flush()
            continue
        for reply in replies:
            if interactive:
                render_rich(console, reply)
            else:
                sys.stdout.write(reply.plain() + "\n\n")
                sys.stdout.flush()
