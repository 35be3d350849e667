"""`profilebot chart`: the chart that answers a question, written as a PNG."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli_common import console, fail, parse_as_of, print_json, services
from handlers.messages import IncomingMessage
from handlers.router import LOCAL_OPERATOR


def register(app: typer.Typer) -> None:
    @app.command()
    def chart(
        question: str = typer.Argument(..., help="e.g. 'ARR by region', '按地区的年合同额'."),
        out: Path = typer.Option(..., "--out", help="Where to write the PNG."),
        as_user: str = typer.Option(None, "--as", help="As this user (default: sees all)."),
        as_of: str = typer.Option(None, "--as-of", help="Fix 'today' (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print the answer object with files."),
    ) -> None:
        """Draw the chart that answers a question (bars, pie, trend line, ARR at risk)."""
        from handlers import persona as persona_handler
        from handlers import report

        svc = services(parse_as_of(as_of))
        user = as_user or LOCAL_OPERATOR
        msg = IncomingMessage(user=user, text=question, platform="cli", as_of=svc.as_of)
        found = report.match_chart(question)
        q, shape = found if found else (question, "")
        with svc.session_factory.begin() as s:
            seg = persona_handler.match_persona(question)
            if seg is not None:  # a segment against the book
                reply = persona_handler.persona_reply(svc, s, msg, seg[0], seg[1])
            else:
                reply = report.chart_reply(svc, s, msg, q, shape)
        if reply.chart is None:
            fail(reply.text)
        out.write_bytes(reply.chart.png)
        if as_json:
            data = dict(reply.data)
            data.setdefault("text", reply.plain())
            data["files"] = [{"name": out.name, "path": str(out.resolve()), "mime": "image/png"}]
            print_json(data)
        else:
            console.print(reply.plain())
            console.print(f"[dim]chart written to {out}[/dim]")
