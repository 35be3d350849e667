"""Hostile files and rows for the importer, on SQLite and PostgreSQL: shifted columns, mixed
encodings, NUL and control characters, an .xlsx zip bomb, damaged workbooks. Each is refused
with a named reason and nothing is committed."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import zipfile
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.web import make_wsgi_app
from handlers.services import Services
from store.importer import run_import, run_import_rows
from store.models import Account, ImportBatch
from tests.slack_harness import run_waitress

HEADER = "account_id,name,city,arr\n"


def _accounts(sf) -> int:  # noqa: ANN001
    with sf() as s:
        return s.scalar(select(func.count()).select_from(Account))


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --------------------------------------------------------------------------- shifted rows


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("X1,Acme, Inc,Shanghai,5000\nX2,Beta,Beijing,100\n", 2),  # the first row: pandas
        ("X2,Beta,Beijing,100\nX1,Acme, Inc,Shanghai,5000\n", 3),  # would take it as an index
        ("X2,Beta,Beijing,100\nX3,Gamma,Hangzhou,200\nX1,Acme,Inc,Shanghai,5000,\n", 4),
    ],
)
def test_a_row_with_extra_fields_is_refused_by_line(
    session_factory, tmp_path: Path, body: str, line: int
) -> None:
    path = _write(tmp_path, "shift.csv", (HEADER + body).encode())
    report = run_import(session_factory, path, "accounts")
    assert not report.committed
    assert f"line {line} has" in report.error and "the header has 4" in report.error
    assert _accounts(session_factory) == 0


def test_a_value_with_a_quoted_separator_is_fine(session_factory, tmp_path: Path) -> None:
    path = _write(tmp_path, "ok.csv", (HEADER + 'X1,"Acme, Inc",Shanghai,5000\n').encode())
    report = run_import(session_factory, path, "accounts")
    assert report.committed, report.error
    with session_factory() as s:
        acc = s.scalars(select(Account)).one()
        assert (acc.name, acc.city, acc.arr) == ("Acme, Inc", "Shanghai", 5000)


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("utf8_first", [True, False], ids=["utf8-then-gbk", "gbk-then-utf8"])
def test_mixed_utf8_and_gbk_is_refused_not_stored_garbled(
    session_factory, tmp_path: Path, utf8_first: bool
) -> None:
    utf8 = "X1,上海云帆科技,上海,100\n".encode()
    gbk = "X2,北京星辰网络,北京,200\n".encode("gbk")
    body = utf8 + gbk if utf8_first else gbk + utf8
    path = _write(tmp_path, "mixed.csv", HEADER.encode() + body)
    report = run_import(session_factory, path, "accounts")
    assert not report.committed
    assert "mixes text encodings" in report.error
    utf8_line, gbk_line = (2, 3) if utf8_first else (3, 2)
    assert (
        f"line {utf8_line} is UTF-8" in report.error and f"line {gbk_line} is GBK" in report.error
    )
    assert _accounts(session_factory) == 0


def test_a_whole_gbk_file_still_imports(session_factory, tmp_path: Path) -> None:
    body = "X1,上海云帆科技,上海,100\nX2,北京星辰网络,北京,200\n".encode("gbk")
    report = run_import(session_factory, _write(tmp_path, "gbk.csv", HEADER.encode() + body))
    assert report.committed, report.error
    with session_factory() as s:
        assert sorted(s.scalars(select(Account.name))) == ["上海云帆科技", "北京星辰网络"]


# --------------------------------------------------------------------------- control characters


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f"])
def test_control_characters_in_a_file_are_refused_by_row_and_column(
    session_factory, tmp_path: Path, char: str
) -> None:
    body = f"X1,Acme,Shanghai,100\nX2,Beta,Bei{char}jing,200\n".encode()
    report = run_import(session_factory, _write(tmp_path, "ctl.csv", HEADER.encode() + body))
    assert not report.committed
    assert "row 2, column 'city'" in report.error, report.error
    assert f"U+{ord(char):04X}" in report.error
    assert _accounts(session_factory) == 0


def test_control_characters_in_pushed_rows_are_refused_on_every_database(session_factory) -> None:
    rows = [
        {"account_id": "P1", "name": "Fine Co"},
        {"account_id": "P2", "name": "Nul\x00Co", "city": "上海"},
    ]
    report = run_import_rows(session_factory, "accounts", rows)
    assert not report.committed
    assert "row 2, column 'name'" in report.error and "U+0000" in report.error
    assert _accounts(session_factory) == 0
    with session_factory() as s:  # the failure itself is kept (PostgreSQL took it: no NUL in it)
        batch = s.scalars(select(ImportBatch)).one()
        assert batch.status == "failed" and "\x00" not in str(batch.report)


def test_a_nul_pushed_over_http_is_a_422_naming_row_and_column(services: Services) -> None:
    svc = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"api_token": SecretStr("tok-1")})
    )
    url, stop = run_waitress(make_wsgi_app(svc))
    try:
        resp = httpx.post(
            f"{url}/api/v1/accounts",
            content=b'[{"account_id": "P1", "name": "A\\u0000B"}]',
            headers={"Authorization": "Bearer tok-1", "Content-Type": "application/json"},
            timeout=10,
        )
    finally:
        stop()
    assert resp.status_code == 422, resp.text
    assert "row 1, column 'name'" in resp.json()["error"]
    assert "Traceback" not in resp.text
    assert _accounts(services.session_factory) == 0


# --------------------------------------------------------------------------- xlsx


def _xlsx_bytes(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rezip(raw: bytes, change) -> bytes:  # noqa: ANN001
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
    return out.getvalue()


GOOD = [["account_id", "name", "arr"], ["X1", "Acme", "100"]]


def test_an_xlsx_zip_bomb_is_refused_before_it_is_inflated(session_factory, tmp_path: Path) -> None:
    pad = b" " * (40 << 20)  # 40 MB of XML whitespace: about 40 kB deflated

    def inflate(name: str, data: bytes) -> bytes:
        return data.replace(b"<sheetData>", b"<sheetData>" + pad) if "sheet1" in name else data

    bomb = _rezip(_xlsx_bytes(GOOD), inflate)
    assert len(bomb) < 1 << 20
    report = run_import(session_factory, _write(tmp_path, "bomb.xlsx", bomb), "accounts")
    assert not report.committed
    assert "would expand to" in report.error and "zip bomb" in report.error
    assert _accounts(session_factory) == 0


def _flip(raw: bytes) -> bytes:
    b = bytearray(raw)
    for i in range(400, min(len(b), 1400), 7):
        b[i] ^= 0x55
    return bytes(b)


DAMAGED = {
    "truncated": lambda raw: raw[: len(raw) // 2],
    "flipped": _flip,
    "bad_xml": lambda raw: _rezip(
        raw,
        lambda n, d: b"<worksheet><sheetData><row><c><v>1</v></c></row>" if "sheet1" in n else d,
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_damaged_xlsx_is_a_named_error_and_commits_nothing(
    session_factory, tmp_path: Path, damage: str
) -> None:
    raw = DAMAGED[damage](_xlsx_bytes(GOOD))
    report = run_import(session_factory, _write(tmp_path, "bad.xlsx", raw), "accounts")
    assert not report.committed and report.error
    assert "Excel" in report.error or "spreadsheet" in report.error
    assert _accounts(session_factory) == 0


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bad.xlsx", "flipped"),
        ("bad2.xlsx", "bad_xml"),
        ("shift.csv", (HEADER + "X1,Acme, Inc,Shanghai,5000\n").encode()),
        ("quote.csv", b'account_id,name\nX1,"Acme\nX2,B\n'),
        ("nul.csv", b"account_id,name\nX1,A\x00B\n"),
    ],
)
def test_cli_import_of_a_broken_file_prints_a_reason_not_a_traceback(
    cli_env: dict[str, str], tmp_path: Path, name: str, data
) -> None:  # noqa: ANN001
    subprocess.run(["profilebot", "init"], env=cli_env, check=True, capture_output=True)
    raw = DAMAGED[data](_xlsx_bytes(GOOD)) if isinstance(data, str) else data
    path = _write(tmp_path, name, raw)
    out = subprocess.run(
        ["profilebot", "import", str(path), "--kind", "accounts"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "Traceback" not in out.stderr + out.stdout, out.stderr[-2000:]
    assert "Import failed" in out.stderr + out.stdout
