"""`profilebot persona`: what a segment's accounts have in common and how they differ."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli_common import console, fail, parse_as_of, print_json, services
from handlers.messages import IncomingMessage
from handlers.router import LOCAL_OPERATOR


def register(app: typer.Typer) -> None:
    @app.command()
    def persona(
        segment: str = typer.Argument(..., help="The segment: a question, a tag or a saved name."),
        vs: str = typer.Option(None, "--vs", help="Compare with this group (default: the rest)."),
        as_user: str = typer.Option(None, "--as", help="As this user (default: sees all)."),
        as_of: str = typer.Option(None, "--as-of", help="Fix 'today' (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
        chart: Path = typer.Option(None, "--chart", help="Write the comparison chart (PNG)."),
        save: str = typer.Option(None, "--save", help="Save the segment under this name."),
    ) -> None:
        """Personas (提取共同特征): a segment against every other account you can see."""
        from bot.terminal import render_rich
        from handlers import persona as persona_handler

        svc = services(parse_as_of(as_of))
        user = as_user or LOCAL_OPERATOR
        msg = IncomingMessage(user=user, text=segment, platform="cli", as_of=svc.as_of)
        with svc.session_factory.begin() as s:
            reply = persona_handler.persona_reply(
                svc, s, msg, segment, vs, save_as=save, chart=bool(chart) or as_json
            )
        files = []
        if chart is not None:
            if reply.chart is None:
                if reply.kind == "error":
                    fail(reply.text)
                fail("no clear difference to chart" if not msg.zh else "没有明显差异可以画图")
            chart.write_bytes(reply.chart.png)
            files.append({"name": chart.name, "path": str(chart.resolve()), "mime": "image/png"})
        if as_json:
            data = dict(reply.data)
            data.setdefault("text", reply.plain())
            data["files"] = files
            print_json(data)
        else:
            render_rich(console, reply)
        if reply.kind == "error":
            raise typer.Exit(1)

    @app.command()
    def export(
        question: str = typer.Argument(..., help="The question whose accounts to export."),
        out: Path = typer.Option(..., "--out", help="FILE.xlsx or FILE.csv"),
        as_user: str = typer.Option(None, "--as", help="As this user (default: sees all)."),
        as_of: str = typer.Option(None, "--as-of", help="Fix 'today' (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        """Export an answer's accounts, one row each, with the columns the answer shows."""
        from handlers import ask as ask_handler
        from handlers.export import export_reply

        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "csv"):
            fail("--out must end in .xlsx or .csv")
        svc = services(parse_as_of(as_of))
        user = as_user or LOCAL_OPERATOR
        msg = IncomingMessage(user=user, text=question, platform="cli", as_of=svc.as_of)
        with svc.session_factory.begin() as s:
            spec, _source, parsed = ask_handler.understand(svc, s, msg, svc.today(msg.as_of))
            if spec is None:
                fail(ask_handler.not_understood(msg, "", parsed).text)
            reply = export_reply(svc, s, msg, spec, fmt, name=out.name)
        if reply.kind == "error" or not reply.files:
            fail(reply.text)
        out.write_bytes(reply.files[0].data)
        if as_json:
            data = dict(reply.data)
            data["files"] = [
                {"name": out.name, "path": str(out.resolve()), "mime": reply.files[0].mime}
            ]
            print_json(data)
        else:
            console.print(reply.text)
