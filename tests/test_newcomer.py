"""The rough edges a newcomer hits first: re-running `profilebot demo`, `users add` without
`--role`, and every slash-command word the Slack manifest advertises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, func, select

from bot.slack_app import profile_command_text
from handlers.messages import IncomingMessage
from handlers.router import handle
from store.models import Account, User
from store.users import upsert_user

MANIFEST = Path(__file__).resolve().parent.parent / "slack" / "manifest.yml"


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True
    )


def _db(env: dict[str, str]):
    return create_engine(env["PROFILEBOT_DATABASE_URL"])


def _accounts(env: dict[str, str]) -> int:
    eng = _db(env)
    with eng.connect() as c:
        n = c.scalar(select(func.count()).select_from(Account))
    eng.dispose()
    return n


def _role(env: dict[str, str], handle: str) -> str:
    eng = _db(env)
    with eng.connect() as c:
        role = c.scalar(select(User.role).where(User.handle == handle))
    eng.dispose()
    return role


@pytest.mark.integration
def test_demo_twice_keeps_the_book_and_reset_replaces_it(cli_env) -> None:
    demo = ("demo", "--accounts", "12", "--seed", "1", "--as-of", "2026-11-01")
    first = _cli(cli_env, *demo)
    assert first.returncode == 0, first.stderr
    assert _accounts(cli_env) == 12

    again = _cli(cli_env, *demo)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert "already holds a book (12 accounts" in again.stdout and "--reset" in again.stdout
    assert _accounts(cli_env) == 12

    reset = _cli(cli_env, "demo", "--reset", "--accounts", "15", "--as-of", "2026-11-01")
    assert reset.returncode == 0, reset.stderr
    assert "removed the old book (12 accounts" in reset.stdout
    assert _accounts(cli_env) == 15

    # a database with people who are not demo users is never wiped by --reset
    assert _cli(cli_env, "users", "add", "carol", "--email", "carol@acme.com").returncode == 0
    refused = _cli(cli_env, "demo", "--reset", "--accounts", "5", "--as-of", "2026-11-01")
    assert refused.returncode != 0
    assert "carol" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert _accounts(cli_env) == 15


@pytest.mark.integration
def test_users_add_changes_the_role_only_when_asked(cli_env) -> None:
    assert _cli(cli_env, "init").returncode == 0
    assert _cli(cli_env, "users", "add", "boss", "--role", "admin").returncode == 0
    out = _cli(cli_env, "users", "add", "boss", "--slack-id", "UBOSS0001")
    assert out.returncode == 0, out.stderr
    assert "updated boss (admin)" in out.stdout
    assert _role(cli_env, "boss") == "admin"
    assert _cli(cli_env, "users", "add", "boss", "--role", "manager").returncode == 0
    assert _role(cli_env, "boss") == "manager"
    assert _cli(cli_env, "users", "add", "newbie").returncode == 0
    assert _role(cli_env, "newbie") == "sales"  # a new user without --role is sales


def _advertised_words() -> list[str]:
    """The sub-commands of /profile from the manifest's usage hint, e.g. `[ask Q | rules | …]`."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    words = []
    for cmd in manifest["features"]["slash_commands"]:
        assert cmd["command"] == "/profile"
        for part in cmd["usage_hint"].strip("[]").split("|"):
            words.append(part.split()[0])
    return words


def test_the_manifest_advertises_the_words_we_check() -> None:
    words = _advertised_words()
    assert {"ask", "interview", "rules", "alerts", "help"} <= set(words), words


# what a user would type after each advertised word; every word in the manifest must be here
ARGS = {"ask": "how many accounts", "interview": "{account}", "rules": "", "alerts": "", "help": ""}
NOT_UNDERSTOOD = re.compile(r"didn't understand|没看懂|not sure what you mean", re.I)


def test_every_advertised_slash_command_word_is_understood(demo_services) -> None:
    words = _advertised_words()
    assert set(words) <= set(ARGS), f"add the new words to ARGS: {set(words) - set(ARGS)}"
    with demo_services.session_factory.begin() as s:
        for word in words:  # one user per word: an interview started by one never eats the next
            upsert_user(s, handle=f"boss_{word}", role="admin")
        account = s.scalars(select(Account.name).order_by(Account.id)).first()
    for word in words:
        typed = f"{word} {ARGS[word].format(account=account)}".strip()
        text, _form = profile_command_text(typed)
        msg = IncomingMessage(user=f"boss_{word}", text=text, platform="slack")
        replies = handle(demo_services, msg)
        assert replies, typed
        for r in replies:
            assert r.kind != "error", (typed, r.text)
            assert not NOT_UNDERSTOOD.search(r.text or ""), (typed, r.text)


def test_rules_lists_every_rule_in_the_askers_language(demo_services) -> None:
    with demo_services.session_factory.begin() as s:
        upsert_user(s, handle="wu", role="sales")
    text, _ = profile_command_text("rules")
    [en] = handle(demo_services, IncomingMessage(user="wu", text=text, platform="slack"))
    assert en.kind == "text" and en.language == "en"
    assert en.text.startswith("3 rules:") and "• churn_risk (on): if " in en.text
    text, _ = profile_command_text("规则")
    [zh] = handle(demo_services, IncomingMessage(user="wu", text=text, platform="slack"))
    assert zh.text.startswith("共 3 条规则") and "• 流失风险（开）：如果 " in zh.text
    assert "if " not in zh.text and "rules" not in zh.text
