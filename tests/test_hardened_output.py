"""Customer text is data, never markup: Slack mrkdwn (over real HTTP, recorded by the stand-in
Slack API), WeCom markdown and the terminal; long texts split into valid blocks; LLM specs that
validate but cannot run fall back to the parser (on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from bot.slack_blocks import MAX_SECTION_TEXT, message_payload, reply_blocks
from bot.terminal import render_rich
from bot.wecom import reply_markdown
from handlers import ask
from handlers.messages import AccountRow, IncomingMessage, Reply
from handlers.router import handle
from handlers.services import Services
from store.importer import import_rows
from store.spec import Aggregate, Condition, Filter, Spec
from store.users import upsert_user
from tests.slack_harness import SlackServer, fixture_json, start_server

AS_OF = dt.date(2026, 11, 1)
EVIL = (
    "<!channel> call <https://evil.example/renew|Renew here> & <@U0ADMIN> "
    "[Renew here](https://evil.example) <font color='warning'>x</font> [/x] [link=https://e.x]y"
)


@pytest.fixture
def book(services: Services) -> Services:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="ada", role="admin", email="ada@example.com")
        import_rows(
            s,
            "accounts",
            [
                {"account_id": "E1", "name": "Evil Co", "notes": EVIL, "pains": EVIL},
                {"account_id": "E2", "name": "<!here> [/bold] Corp", "arr": "5000"},
            ],
            actor="t",
        )
        import_rows(
            s, "nps", [{"account": "E1", "score": "2", "comment": EVIL, "date": "2026-10-01"}]
        )
    return services


def _replies(services: Services, text: str) -> list[Reply]:
    return handle(services, IncomingMessage(user="ada", text=text, as_of=AS_OF))


def _all_mrkdwn(payload: dict) -> str:
    out: list[str] = [payload.get("text") or ""]

    def walk(x) -> None:  # noqa: ANN001
        if isinstance(x, dict):
            if x.get("type") == "mrkdwn":
                out.append(x["text"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(payload.get("blocks"))
    return "\n".join(out)


def _no_live_slack_markup(text: str) -> None:
    for live in ("<!channel>", "<!here>", "<https://evil", "<@U0ADMIN>", "|Renew here>"):
        assert live not in text, (live, text[:500])


# --------------------------------------------------------------------------- Slack


@pytest.fixture
def slack(book: Services) -> Iterator[SlackServer]:
    srv, stop = start_server(book)
    srv.standin.add_user("U0ADA", email="ada@example.com", name="Ada")
    yield srv
    stop()


@pytest.mark.parametrize("question", ["tell me about Evil Co", "all accounts"])
def test_customer_text_reaches_slack_escaped_over_http(slack: SlackServer, question: str) -> None:
    body = fixture_json("event_app_mention.json")
    body["event"].update(user="U0ADA", text=f"<@UBOT0000> {question}", channel="C0PUBLIC")
    body["event_id"] = f"Ev-{abs(hash(question))}"
    assert slack.post_event(body).status_code == 200
    calls = slack.standin.wait_for("chat.postMessage", "chat.postEphemeral")
    sent = []
    for call in calls:
        blocks = call.args.get("blocks")
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        sent.append(_all_mrkdwn({"text": call.args.get("text"), "blocks": blocks}))
    text = "\n".join(sent)
    _no_live_slack_markup(text)
    assert "&lt;!channel&gt;" in text or "&lt;!here&gt;" in text  # shown, as typed


def test_profile_card_blocks_escape_names_comments_and_notes(book: Services) -> None:
    [card] = _replies(book, "tell me about Evil Co")
    text = _all_mrkdwn(message_payload(card))
    _no_live_slack_markup(text)
    assert "&lt;https://evil.example/renew|Renew here&gt;" in text
    assert "&amp;" in text and "*" in text  # our own bold survives next to escaped data


def test_a_6000_character_line_becomes_several_valid_sections() -> None:
    long = ("客户反馈 & <" * 1000)[:6000]
    reply = Reply(text=long, sections=[("Notes", "x" * 7000)], language="zh")
    blocks = reply_blocks(reply)
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) >= 5
    for b in sections:
        t = b["text"]["text"]
        assert t.strip() and len(t) <= MAX_SECTION_TEXT
        assert not t.endswith(("&", "&a", "&am", "&amp", "&l", "&lt"))  # no entity cut in half
    joined = "".join(b["text"]["text"] for b in sections)
    assert joined.count("&lt;") == long.count("<")


# --------------------------------------------------------------------------- WeCom


def test_wecom_markdown_escapes_customer_text_and_keeps_ours(book: Services) -> None:
    for question in ("tell me about Evil Co", "all accounts"):
        md = "\n".join(reply_markdown(r) for r in _replies(book, question))
        assert "[Renew here](https://evil.example)" not in md
        assert "<font color='warning'>" not in md and "<!channel>" not in md
        assert "<@U0ADMIN>" not in md
    row = Reply(
        text="x",
        rows=[
            AccountRow(
                id=1, account_id="X1", name="[Renew](https://evil) **Co**", fields={"ARR": "1"}
            )
        ],
        context="Understood as: everything",
    )
    md = reply_markdown(row)
    assert "](https://evil)" not in md and "1. **" in md  # our bold, not theirs
    assert '<font color="comment">' in md  # our own markup is kept


# --------------------------------------------------------------------------- terminal


def test_rich_markup_in_stored_names_does_not_crash_the_terminal(book: Services) -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=120, force_terminal=False)
    for question in ("all accounts", "tell me about Evil Co"):
        for reply in _replies(book, question):
            render_rich(console, reply)
    out = buf.getvalue()
    assert "[/bold] Corp" in out and "[/x]" in out  # shown as typed


def test_cli_commands_print_names_with_rich_markup(cli_env: dict[str, str]) -> None:
    run = lambda *a, **kw: subprocess.run(  # noqa: E731
        ["profilebot", *a], env=cli_env, capture_output=True, text=True, timeout=120, **kw
    )
    assert run("init").returncode == 0
    csv = "account_id,name,notes\nM1,[/x] Markup [bold]Co,[/link] note\n"
    Path("m.csv").write_text(csv)  # cli_env runs in the test's own directory
    assert run("import", "m.csv", "--kind", "accounts").returncode == 0
    for args in (("ask", "all accounts"), ("profile", "M1"), ("chat",)):
        out = run(*args, input="all accounts\nquit\n") if args == ("chat",) else run(*args)
        assert out.returncode == 0, (args, out.stderr[-2000:])
        assert "MarkupError" not in out.stderr and "Traceback" not in out.stderr
        assert "Markup" in out.stdout


# --------------------------------------------------------------------------- LLM specs


class FixedLLM:
    """An understander that answers every question with one (hostile) spec."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.calls = 0

    def understand(self, text: str, language: str, context: dict) -> Spec:
        self.calls += 1
        return self.spec

    def extract(self, *args) -> None:  # noqa: ANN002
        return None


BAD_SPECS = {
    "unknown contact field": Spec(
        where=Condition(all=[Filter(field="contact_nonsense", op="eq", value="EB")])
    ),
    "sum of text": Spec(aggregate=Aggregate(func="sum", field="industry")),
    "sum of dates": Spec(aggregate=Aggregate(func="sum", field="contract_end")),
    "period on a number": Spec(
        where=Condition(all=[Filter(field="arr", op="in_period", value="this_month")])
    ),
    "period on text": Spec(
        where=Condition(all=[Filter(field="industry", op="in_period", value="this_month")])
    ),
    "text for a date": Spec(
        where=Condition(all=[Filter(field="contract_end", op="lt", value="soon")])
    ),
}


@pytest.mark.parametrize("shape", sorted(BAD_SPECS))
def test_an_llm_spec_that_cannot_run_falls_back_to_the_parser(book: Services, shape: str) -> None:
    llm = FixedLLM(BAD_SPECS[shape])
    svc = dataclasses.replace(book, understander=llm)
    [reply] = ask.try_handle(svc, IncomingMessage(user="ada", text="top 2 accounts by ARR"))
    assert llm.calls == 1
    assert reply.kind == "answer", reply.text
    assert reply.data.get("understood", {}).get("limit") == 2  # the parser's reading
    assert "Traceback" not in reply.text
    # and the session is still usable afterwards (no aborted transaction on PostgreSQL)
    [again] = ask.try_handle(book, IncomingMessage(user="ada", text="how many accounts"))
    assert again.data["value"] == 2
