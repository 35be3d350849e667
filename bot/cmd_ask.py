"""`profilebot ask`: one question, one answer; `ask -` answers one question per stdin line."""

from __future__ import annotations

import sys

import typer

from bot.cli_common import console, parse_as_of, print_json, services
from handlers.messages import IncomingMessage, Reply
from handlers.router import LOCAL_OPERATOR, handle


def _json_of(reply: Reply) -> dict:
    data = dict(reply.data or {})
    data.setdefault("text", reply.plain())
    data.setdefault("understood", None)
    data.setdefault("accounts", [])
    return data


def _ask_one(svc, question: str, user: str) -> list[Reply]:  # noqa: ANN001
    """Straight to the ask handler (help and unknown users as the router does them)."""
    from handlers import ask as ask_handler
    from handlers import conversation
    from handlers.help import help_reply, is_help

    msg = IncomingMessage(user=user, text=question, platform="cli", as_of=svc.as_of)
    if is_help(question):
        return [help_reply(msg)]
    try:
        replies = conversation.try_handle(svc, msg, conversation=False)
        if replies is None:
            replies = ask_handler.try_handle(svc, msg)
    except Exception:  # the router's friendly error, with an id in the log
        return handle(svc, msg)
    return replies if replies is not None else handle(svc, msg)


def register(app: typer.Typer) -> None:
    @app.command()
    def ask(
        question: str = typer.Argument(..., help="The question, or '-' to read one per line."),
        as_user: str = typer.Option(
            None, "--as", help="Ask as this user (default: local operator, sees all)."
        ),
        as_of: str = typer.Option(None, "--as-of", help="Fix 'today' (YYYY-MM-DD)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ) -> None:
        """Ask a question about your customers, in English or 中文."""
        from bot.terminal import render_rich

        svc = services(parse_as_of(as_of))
        user = as_user or LOCAL_OPERATOR
        if question == "-":
            for line in sys.stdin:
                q = line.strip()
                if not q:
                    continue
                replies = _ask_one(svc, q, user)
                out = _json_of(replies[0]) if replies else {"text": "", "accounts": []}
                out.setdefault("question", q)
                print_json(out)
            return
        replies = _ask_one(svc, question, user)
        if as_json:
            print_json(_json_of(replies[0]) if replies else {"text": "", "accounts": []})
            return
        for reply in replies:
            render_rich(console, reply)
