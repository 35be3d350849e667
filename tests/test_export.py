"""Export: the previous answer as a spreadsheet, one row per account, scoped like the answer."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from handlers.messages import IncomingMessage
from handlers.router import handle
from tests.conftest import AS_OF


def _say(svc, text, user="local"):
    (reply,) = handle(svc, IncomingMessage(user=user, text=text, as_of=AS_OF))
    return reply


def test_export_these_to_excel_in_english_and_csv_in_chinese(demo_services):
    listed = _say(demo_services, "accounts with ARR over 50k", user="bob")
    ids = {a["account_id"] for a in listed.data["accounts"]}
    assert ids
    xlsx = _say(demo_services, "export these to Excel", user="bob")
    (f,) = xlsx.files
    assert f.name.endswith(".xlsx") and "spreadsheetml" in f.mime
    ws = load_workbook(io.BytesIO(f.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("Account ID", "Name") and "ARR" in rows[0]
    assert {r[0] for r in rows[1:]} == ids  # every account of the answer, none outside bob's
    arr = rows[0].index("ARR")
    assert all(r[arr] > 50_000 for r in rows[1:])

    _say(demo_services, "有流失风险的客户有什么共同特征")
    zh = _say(demo_services, "导出csv")
    (f,) = zh.files
    assert f.mime == "text/csv" and "已导出" in zh.text
    table = list(csv.reader(io.StringIO(f.data.decode("utf-8-sig"))))
    assert table[0][:2] == ["客户编号", "客户名称"]
    assert len(table) - 1 == zh.data["total"] > 0


def test_export_without_a_previous_answer_says_what_to_do(demo_services):
    reply = _say(demo_services, "export these", user="alice")
    assert reply.kind == "error" and not reply.files and "Ask a question first" in reply.text


def test_export_cli_writes_xlsx_and_csv(cli_env, tmp_path):
    import json
    import subprocess

    def run(*a):
        return subprocess.run(
            ["profilebot", *a], env=cli_env, capture_output=True, text=True, check=False
        )

    assert run("demo", "--accounts", "40", "--seed", "3").returncode == 0
    out = tmp_path / "top.xlsx"
    res = run(
        "export", "top 5 accounts by ARR", "--as-of", "2026-11-01", "--out", str(out), "--json"
    )
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["total"] == 5
    assert len(list(load_workbook(out).active.iter_rows())) == 6
    csv_out = tmp_path / "t.csv"
    res = run("export", "金融科技客户", "--as-of", "2026-11-01", "--out", str(csv_out))
    assert res.returncode == 0, res.stderr
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
