"""`profilebot chat --json`: one JSON object per input line, shaped like `ask --json`, plus the
files a reply carries (written to disk) and the alerts it shows — through the real command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

AS_OF = "2026-11-01"


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["profilebot", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _chat(env: dict[str, str], user: str, lines: list[str], *extra: str) -> list[dict]:
    out = _run(
        env, "chat", "--json", "--as", user, "--as-of", AS_OF, *extra, stdin="\n".join(lines)
    )
    assert out.returncode == 0, out.stderr
    return [json.loads(x) for x in out.stdout.splitlines()]


def test_chat_json_one_object_per_line_with_answer_files_and_alerts(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    assert _run(cli_env, "demo", "--accounts", "40", "--as-of", AS_OF).returncode == 0
    assert _run(cli_env, "rules", "run", "--as-of", AS_OF).returncode == 0
    files = tmp_path / "out"
    got = _chat(
        cli_env,
        "alice",
        ["how many accounts", "", "上海的客户有哪些", "digest", "alerts"],
        "--files-dir",
        str(files),
    )
    assert len(got) == 4  # the blank line is not a message
    for obj in got:
        assert {"text", "understood", "accounts", "files", "alerts"} <= set(obj)
    count, shanghai, digest, alerts = got
    assert isinstance(count["value"], int) and count["value"] > 0
    assert count["understood"]["aggregate"]["func"] == "count"
    assert shanghai["understood"]["where"]["all"][0]["field"] == "city"
    assert shanghai["accounts"] and set(shanghai["accounts"][0]) == {"id", "account_id", "name"}
    assert "上海" in shanghai["text"]
    # the digest's chart is written to disk and listed
    assert digest["files"], digest
    chart = digest["files"][0]
    assert chart["mime"] == "image/png" and Path(chart["path"]).parent == files.resolve()
    assert Path(chart["path"]).read_bytes().startswith(b"\x89PNG")
    # the alerts shown are listed with id, title and status
    assert alerts["alerts"], alerts["text"]
    first = alerts["alerts"][0]
    assert set(first) == {"id", "title", "status"} and first["status"] == "open"
    assert first["title"] in alerts["text"]


def test_chat_json_keeps_the_conversation_across_lines(cli_env: dict[str, str]) -> None:
    """A follow-up line refines the answer of the line before (one process, many lines)."""
    assert _run(cli_env, "demo", "--accounts", "40", "--as-of", AS_OF).returncode == 0
    first, more = _chat(cli_env, "local", ["all accounts", "more"])
    assert len(first["accounts"]) == 40
    assert more["page"]["offset"] == 20
    assert f"21. {first['accounts'][20]['name']}" in more["text"]


def test_chat_json_scripted_conversation_in_both_languages(cli_env: dict[str, str]) -> None:
    """Follow-ups refine the previous answer line by line; a one-fact question answers it."""
    assert _run(cli_env, "demo", "--accounts", "60", "--as-of", AS_OF).returncode == 0
    first, narrowed, resorted, zh_first, zh_narrowed = _chat(
        cli_env,
        "local",
        [
            "accounts in Shanghai",
            "of those, which have ARR over 50k?",
            "sort them by days since login",
            "上海的客户",
            "其中年合同额超过5万的有几个",
        ],
    )
    shanghai = {a["id"] for a in first["accounts"]}
    assert shanghai and {a["id"] for a in narrowed["accounts"]} <= shanghai
    fields = {f["field"] for f in narrowed["understood"]["where"]["all"]}
    assert fields == {"city", "arr"}
    assert resorted["understood"]["sort"][0]["field"] == "days_since_login"
    assert {a["id"] for a in resorted["accounts"]} == {a["id"] for a in narrowed["accounts"]}
    assert {a["id"] for a in zh_first["accounts"]} == shanghai
    assert zh_narrowed["value"] == len(narrowed["accounts"])
    name = first["accounts"][0]["name"]
    (eb,) = _chat(cli_env, "local", [f"who is the decision maker at {name}?"])
    assert eb["accounts"] == [first["accounts"][0]] and eb["understood"]["fact"] == "role:EB"
    assert name in eb["text"]
