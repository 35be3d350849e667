"""The same importer through the `profilebot import` command and a file sent in chat."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import func, select

from handlers.imports import caption_options, try_handle
from handlers.messages import IncomingMessage
from store.models import Account
from store.users import upsert_user
from tests.conftest import FIXTURES

IMP = FIXTURES / "import"


def _cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True
    )


def test_cli_json_exit_codes_and_one_object(cli_env, tmp_path) -> None:
    assert _cli(cli_env, "init").returncode == 0
    ok = _cli(cli_env, "import", str(IMP / "accounts_zh.csv"), "--json")
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["inserted"] == 4 and report["updated"] == 0 and report["rejected"] == []
    assert report["merged"] == 0 and report["kind"] == "accounts"
    again = json.loads(_cli(cli_env, "import", str(IMP / "accounts_zh.csv"), "--json").stdout)
    assert again["inserted"] == 0 and again["updated"] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("name,arr\nX Co,-3\n", encoding="utf-8")
    res = _cli(cli_env, "import", str(bad), "--json")
    assert res.returncode != 0
    rep = json.loads(res.stdout)
    assert rep["rejected"] == [{"row": 1, "column": "arr", "reason": rep["rejected"][0]["reason"]}]
    assert "negative" in rep["rejected"][0]["reason"]
    res = _cli(cli_env, "import", str(bad))
    assert res.returncode != 0 and "row 1" in res.stderr and "--skip-bad-rows" in res.stderr
    res = _cli(cli_env, "import", str(IMP / "events.csv"), "--kind", "nps")
    assert res.returncode != 0 and "--kind events" in res.stderr
    res = _cli(cli_env, "import", str(IMP / "events.csv"), "--dry-run")
    assert res.returncode == 0 and "dry run" in res.stdout


def test_caption_options() -> None:
    opts = caption_options("导入事件，试运行，跳过错误行")
    assert opts["kind"] == "events" and opts["dry_run"] and opts["skip_bad_rows"]
    assert caption_options("")["kind"] is None
    assert caption_options("accounts --map 'Seats=seats' new fields")["mapping"] == ["Seats=seats"]


def test_file_sent_in_chat_is_imported_for_an_admin_only(services) -> None:
    with services.session_factory.begin() as s:
        upsert_user(s, handle="ops", role="admin")
        upsert_user(s, handle="sam", role="sales")
    msg = IncomingMessage(
        user="sam", text="", platform="slack", file_path=str(IMP / "accounts_zh.csv")
    )
    reply = try_handle(services, msg)[0]
    assert reply.kind == "error" and "admin" in reply.text
    msg = IncomingMessage(
        user="ops",
        text="",
        platform="slack",
        file_path=str(IMP / "accounts_zh.csv"),
        file_name="客户.csv",
    )
    reply = try_handle(services, msg)[0]
    assert reply.language == "zh" and "新增 4" in reply.text and reply.data["inserted"] == 4
    with services.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 4
    msg = IncomingMessage(
        user="ops",
        text="please import these events",
        platform="wecom",
        file_path=str(IMP / "events.csv"),
    )
    reply = try_handle(services, msg)[0]
    assert reply.language == "en" and reply.data["kind"] == "events"
    assert reply.data["inserted"] == 6 and reply.data["duplicates"] == 1
    assert try_handle(services, IncomingMessage(user="ops", text="hello")) is None
