"""Import and clean: CSV / Excel files and pushed rows into the profile, in one transaction.

`import_file` and `import_rows` work inside the caller's session. When the result must not be
kept (a bad row without `skip_bad_rows`, a file that cannot be read, or a dry run) they raise
`ImportAborted` carrying the report, so the caller's `with session_factory.begin()` block rolls
everything back. `run_import` / `run_import_rows` open the transaction themselves and always
return the report (recording failed runs as an `ImportBatch` too) — the CLI, chat handler and HTTP
API use these.

Accounts are matched by external id, normalised domain or normalised name (and aliases left by
earlier merges); contacts, events and NPS answers find their account the same way and an unknown
account is a rejected row. Events and NPS answers are append-only facts with a unique key (the
given `event_id`, else a hash of the row), inserted in bulk: INSERT OR IGNORE on SQLite, COPY into
a temporary table and INSERT ... ON CONFLICT DO NOTHING on PostgreSQL.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from store import aliases as al
from store import audit
from store.customfields import FieldError, add_field, coerce, get_field, set_value, slug
from store.fields import BUILTIN
from store.identity import normalise_domain, normalise_name
from store.lang import events as lang_events
from store.lang.people import read_attitude, read_influence, read_role
from store.models import (
    Account,
    AccountAlias,
    AuditEntry,
    Contact,
    CustomField,
    Event,
    ImportBatch,
    NpsResponse,
    User,
    utcnow,
)
from store.people import People, person_key
from store.refresh import mark_stale, pin_as_of
from store.users import get_user, normalise_role, upsert_user
from store.values import (
    clean_text,
    is_blank,
    parse_date,
    parse_datetime_series,
    parse_int,
    parse_number,
    parse_number_series,
    parse_year,
)

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000
# what an .xlsx may expand to: openpyxl inflates its XML parts, and a few kB of zip can claim GBs
MAX_XLSX_EXPANDED_MB = 512
MAX_XLSX_RATIO = 200  # a part this much bigger than its compressed size (and over 16 MB) is a bomb
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EXTRA_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
MAX_LISTED = 1000  # rejected rows listed in a report (all are counted)
Progress = Callable[[int, int], None]  # (done, total) in bytes for CSV, rows for Excel

# --------------------------------------------------------------------------- messages

MESSAGES: dict[str, tuple[str, str]] = {
    "no_file": (
        "File '{file}' does not exist: check the path.",
        "文件“{file}”不存在：请检查路径。",
    ),
    "empty_file": (
        "'{file}' is empty: there is nothing to import. Export the sheet again with its header row.",
        "“{file}”是空文件，没有可导入的内容。请重新导出带表头的表格。",
    ),
    "header_only": (
        "'{file}' has a header row but no data rows: nothing to import.",
        "“{file}”只有表头，没有数据行，没有可导入的内容。",
    ),
    "not_spreadsheet": (
        "'{file}' is not a spreadsheet ({why}): save it as .csv or .xlsx and try again.",
        "“{file}”不是表格文件（{why}）：请另存为 .csv 或 .xlsx 后重试。",
    ),
    "old_xls": (
        "'{file}' is an old Excel 97 (.xls) file: open it and save as .xlsx or .csv.",
        "“{file}”是旧版 Excel (.xls) 文件：请打开后另存为 .xlsx 或 .csv。",
    ),
    "bad_encoding": (
        "'{file}' mixes text encodings near byte {pos}: save it as UTF-8 and try again.",
        "“{file}”在第 {pos} 字节附近编码混乱：请另存为 UTF-8 后重试。",
    ),
    "bad_csv": (
        "'{file}' cannot be read as CSV: {why}.",
        "“{file}”无法按 CSV 读取：{why}。",
    ),
    "extra_fields": (
        "'{file}' line {line} has {found} fields but the header has {expected}: a value holds an "
        'unquoted separator (write "Acme, Inc" in quotes), so its columns would shift. Fix that '
        "line and try again; nothing was imported.",
        "“{file}”第 {line} 行有 {found} 个字段，但表头只有 {expected} 个：某个值里有未加引号的分隔符"
        '（如 "Acme, Inc" 需加引号），各列会错位。请修正该行后重试；没有导入任何内容。',
    ),
    "mixed_encoding": (
        "'{file}' mixes text encodings: line {line} is UTF-8 while line {other} is GBK, so some "
        "text would be stored garbled. Save the whole file as UTF-8 and try again.",
        "“{file}”混用了文本编码：第 {line} 行是 UTF-8，而第 {other} 行是 GBK，部分文字会变成乱码。"
        "请将整个文件另存为 UTF-8 后重试。",
    ),
    "control_char": (
        "'{file}' row {row}, column '{column}' holds a control character ({char}) that no text "
        "field may contain: remove it and try again; nothing was imported.",
        "“{file}”第 {row} 行“{column}”列含有不允许的控制字符（{char}）：请删除后重试；没有导入任何内容。",
    ),
    "xlsx_too_big": (
        "'{file}' would expand to {size} MB when opened (limit {limit} MB; a zip bomb or an "
        "oversized workbook): save it as CSV or split it, then try again.",
        "“{file}”解压后将达 {size} MB（上限 {limit} MB；可能是压缩炸弹或过大的工作簿）："
        "请另存为 CSV 或拆分后重试。",
    ),
    "damaged_xlsx": (
        "'{file}' is a damaged Excel file ({why}): open it in Excel or WPS, save it again as "
        ".xlsx or .csv, and try again; nothing was imported.",
        "“{file}”是损坏的 Excel 文件（{why}）：请用 Excel 或 WPS 打开后重新另存为 .xlsx 或 .csv 再试；"
        "没有导入任何内容。",
    ),
    "bad_kind": (
        "'{kind}' is not an import kind: use users, accounts, contacts, events or nps.",
        "“{kind}”不是可导入的类型：请用 users、accounts、contacts、events 或 nps。",
    ),
    "unknown_kind": (
        "Cannot tell what this file holds from its headers ({headers}): "
        "say it with --kind users|accounts|contacts|events|nps.",
        "无法从表头（{headers}）判断文件内容：请用 --kind users|accounts|contacts|events|nps 指明。",
    ),
    "ambiguous_kind": (
        "The headers fit several kinds ({kinds}): say which with --kind.",
        "表头同时符合多种类型（{kinds}）：请用 --kind 指明。",
    ),
    "missing_column": (
        "A {kind} import needs a '{field}' column, and this file has none (headers: {headers}).{hint}",
        "{kind} 导入需要“{field}”列，但文件中没有（表头：{headers}）。{hint}",
    ),
    "kind_hint": (
        " It looks like a {guess} file: try --kind {guess}.",
        "它看起来是 {guess} 文件：试试 --kind {guess}。",
    ),
    "map_hint": (
        " Map a column to it with --map 'COLUMN={field}'.",
        "可以用 --map '列名={field}' 指定对应的列。",
    ),
    "bad_map": (
        "--map '{item}': '{target}' is not a {kind} field (fields: {fields}); "
        "add --new-fields to create it as a custom field.",
        "--map '{item}'：“{target}”不是 {kind} 的字段（可用：{fields}）；加 --new-fields 可新建为自定义字段。",
    ),
    "map_syntax": (
        "--map '{item}' should look like COLUMN=field, e.g. --map '公司=name'.",
        "--map '{item}' 的格式应为 列名=字段，例如 --map '公司=name'。",
    ),
    "no_rows": ("There are no rows to import.", "没有可导入的行。"),
    # row-level reasons
    "required": ("'{column}' is empty but required", "“{column}”为空，但为必填项"),
    "not_number": ("'{value}' is not a number", "“{value}”不是数字"),
    "not_integer": ("'{value}' is not a whole number", "“{value}”不是整数"),
    "negative": ("'{value}' cannot be negative", "“{value}”不能为负数"),
    "not_date": (
        "'{value}' is not a valid date (write e.g. 2026-11-01)",
        "“{value}”不是有效日期（例如 2026-11-01）",
    ),
    "not_year": ("'{value}' is not a year (write e.g. 2015)", "“{value}”不是年份（例如 2015）"),
    "not_domain": (
        "'{value}' is not a web domain (e.g. acme.cn)",
        "“{value}”不是网址域名（例如 acme.cn）",
    ),
    "not_email": ("'{value}' is not an email address", "“{value}”不是邮箱地址"),
    "bad_choice": ("'{value}' is not one of {choices}", "“{value}”不是可选值之一：{choices}"),
    "too_long": ("'{value}' is longer than {limit} characters", "“{value}”超过 {limit} 个字符"),
    "end_before_start": (
        "the contract ends ({value}) before it starts ({start})",
        "合同到期日（{value}）早于开始日期（{start}）",
    ),
    "unknown_account": (
        "no account matches '{value}' (by id, domain or name): import the account first or fix it",
        "找不到客户“{value}”（按编号、官网或名称）：请先导入该客户，或修正此值",
    ),
    "score_range": (
        "'{value}' is not an NPS score from 0 to 10",
        "“{value}”不是 0 到 10 的 NPS 分数",
    ),
    "bad_role": (
        "'{value}' is not a role: use sales, csm, manager or admin",
        "“{value}”不是有效角色：请用 sales、csm、manager 或 admin",
    ),
    "unknown_manager": (
        "manager '{value}' is not a user: add them (in this file or with profilebot users add)",
        "上级“{value}”不是已有用户：请在本文件中或用 profilebot users add 添加",
    ),
    "custom": ("{detail}", "{detail}"),
}


def message(code: str, language: str, **kw: Any) -> str:
    """One report message in English or Chinese."""
    en, zh = MESSAGES[code]
    return (zh if language == "zh" else en).format(**kw)


# --------------------------------------------------------------------------- report


@dataclass
class RowError:
    """A rejected row: its 1-based data row, the column and why, in the user's language."""

    row: int
    column: str | None
    reason: str
    code: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did (or, on a dry run or failure, would have done)."""

    kind: str | None
    file: str | None = None
    language: str = "en"
    dry_run: bool = False
    skip_bad_rows: bool = False
    committed: bool = False
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: list[RowError] = field(default_factory=list)
    rejected_count: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # header -> field
    unknown_columns: list[str] = field(default_factory=list)
    new_fields: list[str] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    error_code: str | None = None
    encoding: str | None = None
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the import may be kept (no file error; bad rows only when skipping them)."""
        return self.error is None and (self.rejected_count == 0 or self.skip_bad_rows)

    def reject(self, row: int, column: str | None, code: str, **kw: Any) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_LISTED:
            reason = message(code, self.language, column=column, **kw)
            self.rejected.append(RowError(row, column, reason, code))

    def fail(self, code: str, **kw: Any) -> ImportReport:
        self.error_code = code
        self.error = message(code, self.language, **kw)
        return self

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "ok": self.ok,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "merged": self.merged,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "rejected": [r.to_json() for r in self.rejected],
            "rejected_count": self.rejected_count,
            "columns": self.columns,
            "unknown_columns": self.unknown_columns,
            "new_fields": self.new_fields,
            "merges": self.merges[:100],
            "error": self.error,
            "encoding": self.encoding,
            "batch_id": self.batch_id,
            "language": self.language,
        }

    def summary(self, max_rows: int = 20) -> str:
        """A short human report in the user's language."""
        zh = self.language == "zh"
        name = self.file or ("推送的数据" if zh else "pushed rows")
        lines: list[str] = []
        if self.error:
            lines.append(("导入失败：" if zh else "Import failed: ") + self.error)
            return "\n".join(lines)
        if zh:
            state = (
                "试运行（未写入）"
                if self.dry_run
                else "已导入"
                if self.committed
                else "未导入任何数据（整个文件已回滚）"
            )
            lines.append(f"{name}（{self.kind}）：{state}")
            lines.append(
                f"共 {self.rows} 行：新增 {self.inserted}，更新 {self.updated}，合并 {self.merged}，"
                f"未变 {self.unchanged}，重复 {self.duplicates}，错误 {self.rejected_count}"
            )
        else:
            state = (
                "dry run (nothing written)"
                if self.dry_run
                else "imported"
                if self.committed
                else "nothing imported (the whole file was rolled back)"
            )
            lines.append(f"{name} ({self.kind}): {state}")
            lines.append(
                f"{self.rows} rows: {self.inserted} inserted, {self.updated} updated, "
                f"{self.merged} merged, {self.unchanged} unchanged, {self.duplicates} duplicates, "
                f"{self.rejected_count} rejected"
            )
        if self.rejected_count:
            lines.append("错误行：" if zh else "Rejected rows:")
            for r in self.rejected[:max_rows]:
                where = f"第 {r.row} 行" if zh else f"row {r.row}"
                lines.append(f"  {where} [{r.column}]: {r.reason}")
            if self.rejected_count > max_rows:
                more = self.rejected_count - max_rows
                lines.append(f"  ……还有 {more} 行" if zh else f"  … and {more} more")
            if not self.committed and not self.dry_run and not self.skip_bad_rows:
                lines.append(
                    "修正这些行后重新导入，或加 --skip-bad-rows 只导入正确的行。"
                    if zh
                    else "Fix these rows and import again, or add --skip-bad-rows to import the "
                    "good rows only."
                )
        if self.unknown_columns:
            cols = ", ".join(self.unknown_columns)
            lines.append(
                f"未识别的列（未导入）：{cols}。用 --map '列名=字段' 指定，或加 --new-fields 建为自定义字段。"
                if zh
                else f"Columns not imported (unknown): {cols}. Map them with --map 'COLUMN=field' "
                "or add --new-fields to create custom fields."
            )
        if self.new_fields:
            f = ", ".join(self.new_fields)
            lines.append(f"新建自定义字段：{f}" if zh else f"New custom fields: {f}")
        return "\n".join(lines)


class ImportAborted(Exception):
    """Nothing may be kept (bad rows, unreadable file or a dry run); carries the report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.error or f"import not committed ({report.rejected_count} bad rows)")
        self.report = report


# --------------------------------------------------------------------------- reading files


class FileProblem(Exception):
    """A file that cannot be read as a table; code and arguments name a MESSAGES entry."""

    def __init__(self, code: str, **kw: Any) -> None:
        super().__init__(code)
        self.code, self.kw = code, kw


class _CountingReader(io.RawIOBase):
    """A binary file wrapper that reports progress and hashes what is read."""

    def __init__(self, fh: Any, total: int, progress: Progress | None) -> None:
        self.fh, self.total, self.progress = fh, total, progress
        self.done = 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        data = self.fh.read(len(buf))
        n = len(data)
        buf[:n] = data
        self.done += n
        self.digest.update(data)
        if self.progress and n:
            self.progress(self.done, self.total)
        return n


@dataclass
class Table:
    """A file opened as a table: headers and a stream of string-valued chunks."""

    headers: list[str]
    chunks: Iterator[pd.DataFrame]
    encoding: str | None
    file_hash: Callable[[], str | None] = lambda: None


def detect_encoding(head: bytes) -> str:
    """utf-8-sig / utf-16 by BOM, utf-8 when the start decodes, else GB18030 (a GBK superset)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise FileProblem("bad_encoding", pos=exc.start) from exc


def _control_share(data: bytes) -> float:
    """Share of control bytes other than tab / CR / LF: text files have none."""
    if not data:
        return 0.0
    return sum(1 for b in data if b < 32 and b not in (9, 10, 13)) / len(data)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def open_table(path: Path, chunk_rows: int = CHUNK_ROWS, progress: Progress | None = None) -> Table:
    """Open a .csv/.tsv/.txt or .xlsx file as headers plus string chunks; FileProblem if not."""
    if not path.exists() or not path.is_file():
        raise FileProblem("no_file")
    size = path.stat().st_size
    if size == 0:
        raise FileProblem("empty_file")
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, chunk_rows, progress)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("old_xls")
    if head.startswith(b"%PDF"):
        raise FileProblem("not_spreadsheet", why="PDF")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise FileProblem("not_spreadsheet", why="not a valid Excel file")
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and _control_share(head[:4096]) > 0.05:
        raise FileProblem("not_spreadsheet", why="binary data")
    encoding = detect_encoding(head)
    if encoding == "gb18030":
        _refuse_mixed_encoding(path)
    text_head = head.decode(encoding, errors="ignore")
    if not text_head.strip(" \r\n\t\ufeff"):
        raise FileProblem("empty_file")
    first = text_head.lstrip("\ufeff").splitlines()[0] if text_head.strip() else ""
    sep = max((",", "\t", ";", "|"), key=first.count) if first else ","
    if not first.count(sep):
        sep = ","
    fh = path.open("rb")
    counter = _CountingReader(fh, size, progress)
    stream = io.BufferedReader(counter, buffer_size=1 << 20)
    try:
        reader = pd.read_csv(
            stream,
            encoding=encoding,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            chunksize=chunk_rows,
            skip_blank_lines=True,
            engine="c",
        )
        first_chunk = next(reader, None)
    except pd.errors.EmptyDataError as exc:
        fh.close()
        raise FileProblem("empty_file") from exc
    except UnicodeDecodeError as exc:
        fh.close()
        raise FileProblem("bad_encoding", pos=exc.start) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        fh.close()
        raise _csv_problem(exc) from exc
    if first_chunk is not None and not isinstance(first_chunk.index, pd.RangeIndex):
        # pandas took the first column for an index: the first rows have more fields than the
        # header, and every value would land one column to the right
        fh.close()
        raise _shifted_rows(text_head, sep)
    headers = [str(c).strip() for c in (first_chunk.columns if first_chunk is not None else [])]

    def chunks() -> Iterator[pd.DataFrame]:
        try:
            if first_chunk is not None and len(first_chunk):
                yield first_chunk
            yield from reader
        except UnicodeDecodeError as exc:
            raise FileProblem("bad_encoding", pos=counter.done) from exc
        except pd.errors.ParserError as exc:
            raise _csv_problem(exc) from exc
        finally:
            fh.close()

    def file_hash() -> str | None:
        return counter.digest.hexdigest() if counter.done >= size else None

    return Table(headers, chunks(), encoding.replace("-sig", " (BOM)"), file_hash)


def _csv_problem(exc: Exception) -> FileProblem:
    """pandas' parser error as a named reason (a row with too many fields, or its own words)."""
    why = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    m = _EXTRA_FIELDS.search(why)
    if m:
        expected, line, found = m.groups()
        return FileProblem("extra_fields", line=int(line), expected=expected, found=found)
    return FileProblem("bad_csv", why=why[:200])


def _shifted_rows(text_head: str, sep: str) -> FileProblem:
    """The first line of the head with more fields than the header, named."""
    lines = csv.reader(io.StringIO(text_head.lstrip("\ufeff")), delimiter=sep)
    expected = None
    for fields in lines:
        if expected is None:
            expected = len(fields)
            continue
        if len(fields) > expected:
            return FileProblem(
                "extra_fields", line=lines.line_num, expected=expected, found=len(fields)
            )
    return FileProblem("extra_fields", line=2, expected=expected or 0, found="more")


def _refuse_mixed_encoding(path: Path) -> None:
    """A file read as GBK must not hold UTF-8 lines too: they would be stored as mojibake."""
    utf8_line = gbk_line = None
    with path.open("rb") as fh:
        for n, line in enumerate(fh, 1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8_line = utf8_line or n
            except UnicodeDecodeError:
                gbk_line = gbk_line or n
            if utf8_line and gbk_line:
                raise FileProblem("mixed_encoding", line=utf8_line, other=gbk_line)


def refuse_control_chars(
    chunks: Iterator[pd.DataFrame], *, first_row: int = 1
) -> Iterator[pd.DataFrame]:
    """Pass chunks on, refusing a cell with a control character (NUL, ESC…) by row and column.

    PostgreSQL cannot store NUL in text and SQLite would store it silently; neither belongs in a
    profile. Checked a column at a time on the joined text, so clean files cost one scan.
    """
    row = first_row
    for chunk in chunks:
        for col in chunk.columns:
            values = chunk[col].tolist()
            if not _CONTROL.search("".join(v for v in values if isinstance(v, str))):
                continue
            for i, v in enumerate(values):
                m = _CONTROL.search(v) if isinstance(v, str) else None
                if m:
                    raise FileProblem(
                        "control_char", row=row + i, column=str(col), char=f"U+{ord(m.group()):04X}"
                    )
        row += len(chunk)
        yield chunk


def _refuse_zip_bomb(path: Path) -> None:
    """Refuse an .xlsx whose parts would inflate past the limits (checked before openpyxl)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileProblem("not_spreadsheet", why="not a valid Excel file") from exc
    total = sum(max(i.file_size, 0) for i in infos)
    bomb = any(
        i.file_size > 16 << 20 and i.file_size > MAX_XLSX_RATIO * max(i.compress_size, 1)
        for i in infos
    )
    if total > MAX_XLSX_EXPANDED_MB << 20 or bomb:
        raise FileProblem("xlsx_too_big", size=max(1, total >> 20), limit=MAX_XLSX_EXPANDED_MB)


def _open_xlsx(path: Path, chunk_rows: int, progress: Progress | None) -> Table:
    from openpyxl import load_workbook

    _refuse_zip_bomb(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem("not_spreadsheet", why="not a valid Excel file") from exc
    except Exception as exc:  # damaged XML, a broken deflate stream, …
        raise FileProblem("damaged_xlsx", why=_damage(exc)) from exc
    try:
        return _xlsx_table(wb, chunk_rows, progress)
    except FileProblem:
        raise
    except Exception as exc:
        wb.close()
        raise FileProblem("damaged_xlsx", why=_damage(exc)) from exc


def _damage(exc: Exception) -> str:
    """What is wrong inside a workbook, in a few words."""
    name = type(exc).__name__
    if name == "error" or "zlib" in type(exc).__module__ or isinstance(exc, zipfile.BadZipFile):
        return "a compressed part is corrupt"
    if "ParseError" in name or "XML" in name:
        return "its XML is broken"
    return name


def _xlsx_table(wb: Any, chunk_rows: int, progress: Progress | None) -> Table:
    ws = next((s for s in wb.worksheets if (s.max_row or 0) > 0), wb.worksheets[0])
    total = ws.max_row or 0
    rows = ws.iter_rows(values_only=True)
    headers: list[str] | None = None
    for row in rows:
        if any(v is not None and str(v).strip() for v in row):
            headers = [_cell_text(v).strip() for v in row]
            break
    if headers is None:
        wb.close()
        raise FileProblem("empty_file")
    while headers and not headers[-1]:
        headers.pop()
    n = len(headers)
    names = _unique_names(headers)

    def chunks() -> Iterator[pd.DataFrame]:
        buf: list[list[str]] = []
        done = 0
        try:
            for row in rows:
                cells = [_cell_text(v) for v in row[:n]]
                if not any(c.strip() for c in cells):
                    continue
                buf.append(cells + [""] * (n - len(cells)))
                if len(buf) >= chunk_rows:
                    done += len(buf)
                    yield pd.DataFrame(buf, columns=names, dtype=str)
                    buf = []
                    if progress:
                        progress(done, total)
            if buf:
                yield pd.DataFrame(buf, columns=names, dtype=str)
                if progress:
                    progress(total, total)
        except FileProblem:
            raise
        except Exception as exc:  # a part that breaks while streaming (bad XML, bad deflate)
            raise FileProblem("damaged_xlsx", why=_damage(exc)) from exc
        finally:
            wb.close()

    return Table(names, chunks(), "xlsx", lambda: None)


def _unique_names(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        h = h or "column"
        if h in seen:
            seen[h] += 1
            out.append(f"{h}.{seen[h]}")
        else:
            seen[h] = 0
            out.append(h)
    return out


# --------------------------------------------------------------------------- account index


class AccountIndex:
    """Every account's identities in memory: external id, domain, normalised name, aliases."""

    def __init__(self, session: Session) -> None:
        self.by_ext: dict[str, int] = {}
        self.by_dom: dict[str, int] = {}
        self.by_norm: dict[str, int] = {}
        self.aliases: set[tuple[str, str]] = set()
        rows = session.execute(
            select(Account.id, Account.external_id, Account.domain, Account.name_norm).order_by(
                Account.id
            )
        )
        for aid, ext, dom, norm in rows:
            if ext:
                self.by_ext.setdefault(ext.strip().lower(), aid)
            if dom:
                self.by_dom.setdefault(dom, aid)
            if norm:
                self.by_norm.setdefault(norm, aid)
        for aid, kind, value in session.execute(
            select(AccountAlias.account_id, AccountAlias.kind, AccountAlias.value)
        ):
            self.aliases.add((kind, value))
            target = {"external_id": self.by_ext, "domain": self.by_dom}.get(kind, self.by_norm)
            target.setdefault(value.lower() if kind == "external_id" else value, aid)

    def add(self, target: Any, ext: str | None, dom: str | None, norm: str | None) -> None:
        if ext:
            self.by_ext.setdefault(ext.lower(), target)
        if dom:
            self.by_dom.setdefault(dom, target)
        if norm:
            self.by_norm.setdefault(norm, target)

    def match(
        self, ext: str | None, dom: str | None, norm: str | None
    ) -> tuple[Any | None, str | None]:
        """(account, which identity matched) for an account row."""
        if ext and ext.lower() in self.by_ext:
            return self.by_ext[ext.lower()], "account_id"
        if dom and dom in self.by_dom:
            return self.by_dom[dom], "domain"
        if norm and norm in self.by_norm:
            return self.by_norm[norm], "name"
        return None, None

    def resolve(self, ref: str) -> int | None:
        """An account reference from a contacts/events/NPS row: id, domain or name."""
        ref = clean_text(ref)
        if not ref:
            return None
        hit = self.by_ext.get(ref.lower())
        if hit is not None:
            return hit
        if "." in ref and " " not in ref:
            dom = normalise_domain(ref)
            if dom and dom in self.by_dom:
                return self.by_dom[dom]
        norm = normalise_name(ref)
        return self.by_norm.get(norm) if norm else None


# --------------------------------------------------------------------------- the run


@dataclass
class _Run:
    session: Session
    report: ImportReport
    actor: str | None
    platform: str
    batch: ImportBatch
    headers: dict[str, str]  # field -> header
    custom: dict[str, CustomField]  # header -> custom field
    units: dict[str, float]  # field -> multiplier from a header unit

    @property
    def lang(self) -> str:
        return self.report.language

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    @property
    def writing(self) -> bool:
        """Keep writing only while the import can still succeed."""
        return self.report.rejected_count == 0 or self.report.skip_bad_rows


def _parse_map(items: list[str] | dict[str, str] | None, language: str) -> dict[str, str]:
    if not items:
        return {}
    if isinstance(items, dict):
        return dict(items)
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise FileProblem("map_syntax", item=item)
        col, target = item.rsplit("=", 1)
        if not col.strip() or not target.strip():
            raise FileProblem("map_syntax", item=item)
        out[col.strip()] = target.strip()
    return out


_IGNORE = {"ignore", "skip", "-", "忽略", "不导入"}


def _plan_columns(
    session: Session,
    headers: list[str],
    kind: str,
    mapping: dict[str, str],
    new_fields: bool,
    report: ImportReport,
    actor: str | None,
    platform: str,
    sample: pd.DataFrame | None,
) -> tuple[dict[str, str], dict[str, CustomField]]:
    """Map headers to fields (and custom fields for accounts); create new fields if asked."""
    explicit: dict[str, str] = {}
    custom: dict[str, CustomField] = {}
    fields = set(al.ALIASES[kind])
    want_new: list[tuple[str, str | None]] = []  # (header, key)
    header_by_key = {al.header_key(h): h for h in headers}
    for col, target in mapping.items():
        h = header_by_key.get(al.header_key(col), col)
        t = target.strip()
        if t.lower() in _IGNORE:
            explicit[h] = "__ignore__"
            continue
        if t in fields:
            explicit[h] = t
            continue
        if kind == "accounts":
            cf = get_field(session, t)
            if cf is not None:
                custom[h] = cf
                explicit[h] = "__custom__"
                continue
            if new_fields:
                want_new.append((h, t))
                explicit[h] = "__custom__"
                continue
        raise FileProblem(
            "bad_map", item=f"{col}={target}", target=t, kind=kind, fields=", ".join(sorted(fields))
        )
    hm = al.map_headers(headers, kind, explicit)
    report.columns = {h: f for h, f in hm.fields.items() if not f.startswith("__")}
    unknown = list(hm.unknown) + list(hm.duplicates)
    if kind == "accounts":
        still: list[str] = []
        for h in unknown:
            cf = get_field(session, h)
            if cf is not None:
                custom[h] = cf
            elif new_fields:
                want_new.append((h, None))
            else:
                still.append(h)
        unknown = still
        for h, key in want_new:
            cf = _new_field(session, h, key, sample, actor, platform)
            custom[h] = cf
            report.new_fields.append(cf.key)
    for h, cf in custom.items():
        report.columns[h] = f"custom:{cf.key}"
    report.unknown_columns = unknown
    return {f: h for h, f in hm.fields.items() if not f.startswith("__")}, custom


def _new_field(
    session: Session,
    header: str,
    key: str | None,
    sample: pd.DataFrame | None,
    actor: str | None,
    platform: str,
) -> CustomField:
    """A custom field for an unknown column, typed from the values seen in the first rows."""
    label = header.strip()
    key = slug(key or label)
    if not key or key.startswith("f_") and not any(c.isalpha() for c in key[2:]):
        key = "cf_" + hashlib.sha1(label.encode()).hexdigest()[:8]
    if key in BUILTIN:
        key = f"custom_{key}"
    existing = get_field(session, key)
    if existing is not None:
        return existing
    values = [] if sample is None or header not in sample else list(sample[header])
    values = [v for v in values if not is_blank(v)]
    ftype = "text"
    if values and all(parse_number(v) is not None for v in values):
        ftype = "number"
    elif values and all(parse_date(v) is not None for v in values):
        ftype = "date"
    is_zh = any("\u3400" <= c <= "\u9fff" for c in label)
    return add_field(
        session,
        key=key,
        label_en=label if not is_zh else key,
        label_zh=label if is_zh else None,
        type=ftype,
        aliases=[label],
        actor=actor,
        platform=platform,
    )


def import_file(
    session: Session,
    path: str | Path,
    kind: str | None = None,
    *,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    mapping: list[str] | dict[str, str] | None = None,
    new_fields: bool = False,
    actor: str | None = None,
    platform: str = "cli",
    language: str | None = None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportReport:
    """Import a CSV or Excel file; raises ImportAborted (with the report) when nothing may stay."""
    path = Path(path)
    report = ImportReport(
        kind=kind,
        file=path.name,
        language=language or "en",
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
    )
    try:
        table = open_table(path, chunk_rows, progress)
    except FileProblem as exc:
        report.fail(exc.code, file=str(path) if exc.code == "no_file" else path.name, **exc.kw)
        raise ImportAborted(report) from exc
    report.encoding = table.encoding
    if language is None:
        report.language = "zh" if al.looks_chinese(table.headers) else "en"
    chunks = iter(table.chunks)
    try:
        first = next(chunks, None)
    except FileProblem as exc:
        report.fail(exc.code, file=path.name, **exc.kw)
        raise ImportAborted(report) from exc
    if not _prepare(session, report, table.headers, kind, mapping, first):
        raise ImportAborted(report)
    if first is None:
        report.fail("header_only", file=path.name)
        raise ImportAborted(report)

    def all_chunks() -> Iterator[pd.DataFrame]:
        yield first
        yield from chunks

    try:
        _execute(
            session,
            report,
            table.headers,
            all_chunks(),
            mapping,
            new_fields,
            actor,
            platform,
            source=str(path),
            file_hash=table.file_hash,
            first=first,
        )
    except FileProblem as exc:
        report.fail(exc.code, file=path.name, **exc.kw)
        raise ImportAborted(report) from exc
    return report


def import_rows(
    session: Session,
    kind: str,
    rows: list[dict[str, Any]],
    *,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    mapping: dict[str, str] | None = None,
    new_fields: bool = False,
    actor: str | None = None,
    platform: str = "api",
    language: str = "en",
    source: str | None = None,
) -> ImportReport:
    """Import rows pushed as dicts (the HTTP API); same rules and report as a file."""
    report = ImportReport(
        kind=kind, file=source, language=language, dry_run=dry_run, skip_bad_rows=skip_bad_rows
    )
    headers: list[str] = []
    for r in rows:
        for k in r:
            if k not in headers:
                headers.append(str(k))
    frame = (
        pd.DataFrame(
            [[_cell_text(r.get(h)) for h in headers] for r in rows], columns=headers, dtype=str
        )
        if rows
        else None
    )
    if not _prepare(session, report, headers, kind, mapping, frame):
        raise ImportAborted(report)
    if frame is None:
        report.fail("no_rows")
        raise ImportAborted(report)
    chunks = (frame.iloc[i : i + CHUNK_ROWS] for i in range(0, len(frame), CHUNK_ROWS))
    try:
        _execute(
            session,
            report,
            headers,
            chunks,
            mapping,
            new_fields,
            actor,
            platform,
            source=source,
            file_hash=lambda: None,
            first=frame,
        )
    except FileProblem as exc:
        pushed = "推送的数据" if report.language == "zh" else "the pushed rows"
        report.fail(exc.code, file=source or pushed, **exc.kw)
        raise ImportAborted(report) from exc
    return report


def _prepare(
    session: Session,
    report: ImportReport,
    headers: list[str],
    kind: str | None,
    mapping: Any,
    first: pd.DataFrame | None,
) -> bool:
    """Settle the kind and check the required columns; False (report.error set) when it fails."""
    if not [h for h in headers if h.strip()]:
        report.fail("empty_file", file=report.file)
        return False
    try:
        explicit = _parse_map(mapping, report.language)
    except FileProblem as exc:
        report.fail(exc.code, **exc.kw)
        return False
    listed = ", ".join(h[:40] for h in headers[:12]) + (" …" if len(headers) > 12 else "")
    if kind is not None:
        kind = kind.strip().lower()
        kind = {
            "account": "accounts",
            "contact": "contacts",
            "event": "events",
            "user": "users",
        }.get(kind, kind)
        if kind not in al.KINDS:
            report.fail("bad_kind", kind=kind)
            return False
    else:
        renamed = [
            explicit.get(h, h) if explicit.get(h, "").lower() not in _IGNORE else ""
            for h in headers
        ]
        guess, candidates = al.guess_kind(renamed)
        if guess is None:
            if candidates:
                report.fail("ambiguous_kind", kinds=", ".join(candidates))
            else:
                report.fail("unknown_kind", headers=listed)
            return False
        kind = guess
    report.kind = kind
    fields = set(al.ALIASES[kind])
    mapped_targets = {t for t in explicit.values() if t in fields}
    hm = al.map_headers(headers, kind, {k: v for k, v in explicit.items() if v in fields})
    missing = [f for f in al.REQUIRED[kind] if f not in hm.mapped and f not in mapped_targets]
    if missing:
        guess, _ = al.guess_kind(headers)
        hint = (
            message("kind_hint", report.language, guess=guess)
            if guess and guess != kind
            else message("map_hint", report.language, field=missing[0])
        )
        report.fail("missing_column", kind=kind, field=missing[0], headers=listed, hint=hint)
        return False
    return True


def _execute(
    session: Session,
    report: ImportReport,
    headers: list[str],
    chunks: Iterator[pd.DataFrame],
    mapping: Any,
    new_fields: bool,
    actor: str | None,
    platform: str,
    *,
    source: str | None,
    file_hash: Callable[[], str | None],
    first: pd.DataFrame | None,
) -> None:
    kind = report.kind or ""
    explicit = _parse_map(mapping, report.language)
    field_headers, custom = _plan_columns(
        session, headers, kind, explicit, new_fields, report, actor, platform, first
    )
    batch = ImportBatch(kind=kind, source=source, actor=actor, platform=platform)
    session.add(batch)
    session.flush()
    report.batch_id = batch.id
    units = {f: al.header_unit(h) for f, h in field_headers.items()}
    run = _Run(session, report, actor, platform, batch, field_headers, custom, units)
    handler = {
        "accounts": _import_accounts,
        "contacts": _import_contacts,
        "events": _import_events,
        "nps": _import_nps,
        "users": _import_users,
    }[kind]
    handler(run, refuse_control_chars(chunks))
    report.committed = report.ok and not report.dry_run
    batch.status = "committed" if report.committed else "dry_run" if report.ok else "failed"
    batch.file_hash = file_hash()
    batch.inserted, batch.updated = report.inserted, report.updated
    batch.merged, batch.rejected = report.merged, report.rejected_count
    batch.finished_at = utcnow()
    data = report.to_json()
    data["rejected"] = data["rejected"][:200]
    batch.report = data
    audit.record(
        session,
        actor,
        f"import.{kind}",
        platform=platform,
        detail={
            "batch": batch.id,
            "file": report.file,
            "inserted": report.inserted,
            "updated": report.updated,
            "merged": report.merged,
            "rejected": report.rejected_count,
        },
    )
    if not report.committed:
        raise ImportAborted(report)
    if report.inserted or report.updated or report.merged:
        mark_stale(session)
    session.flush()


def _rows(chunks: Iterator[pd.DataFrame]) -> Iterator[tuple[int, dict[str, str]]]:
    """(1-based data row, {header: text}) for every row of every chunk."""
    n = 0
    for chunk in chunks:
        cols = [str(c).strip() for c in chunk.columns]
        for values in chunk.itertuples(index=False, name=None):
            n += 1
            yield (
                n,
                {
                    c: ("" if v is None or v != v else str(v))
                    for c, v in zip(cols, values, strict=False)
                },
            )


# --------------------------------------------------------------------------- accounts

_TEXT_FIELDS = (
    "name",
    "industry",
    "city",
    "province",
    "country",
    "parent",
    "plan",
    "stage",
    "pains",
    "decision_process",
    "budget",
    "notes",
    "tier",
    "status",
)
_MONEY_FIELDS = ("annual_revenue", "arr")
_CHOICE_ALIASES = {
    "price_sensitivity": {
        "low": "low",
        "medium": "medium",
        "high": "high",
        "mid": "medium",
        "低": "low",
        "中": "medium",
        "中等": "medium",
        "一般": "medium",
        "高": "high",
    }
}
_COLUMN_OF = {"account_id": "external_id"}


def _limit(column: str) -> int | None:
    col = Account.__table__.c.get(column)
    return getattr(col.type, "length", None) if col is not None else None


def _clean_account_row(
    run: _Run, row_no: int, cells: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(values by field, custom raw values by key), or None after recording the row's errors."""
    report = run.report
    out: dict[str, Any] = {}
    errors = 0
    for fld, header in run.headers.items():
        raw = clean_text(cells.get(header, ""))
        if is_blank(raw):
            continue
        value: Any = raw
        code: str | None = None
        kw: dict[str, Any] = {}
        if fld in _MONEY_FIELDS:
            num = parse_number(raw)
            if num is None:
                code = "not_number"
            elif num < 0:
                code = "negative"
            else:
                value = num * run.units.get(fld, 1.0)
        elif fld == "employees":
            num = parse_int(raw)
            if num is None:
                code = "not_integer" if parse_number(raw) is not None else "not_number"
            elif num < 0:
                code = "negative"
            else:
                value = num
        elif fld == "founded":
            year = parse_year(raw)
            if year is None or not 1800 <= year <= 2100:
                code = "not_year"
            value = year
        elif fld in ("contract_start", "contract_end"):
            value = parse_date(raw)
            if value is None:
                code = "not_date"
        elif fld == "domain":
            value = normalise_domain(raw)
            if not value or "." not in value or " " in value:
                code = "not_domain"
        elif fld in ("owner", "csm"):
            value = person_key(raw)
        elif fld in _CHOICE_ALIASES:
            value = _CHOICE_ALIASES[fld].get(raw.lower())
            if value is None:
                code = "bad_choice"
                kw["choices"] = "low, medium, high"
        if code is None and isinstance(value, str):
            limit = _limit(_COLUMN_OF.get(fld, fld))
            if limit and len(value) > limit:
                code, kw["limit"] = "too_long", limit
        if code:
            report.reject(row_no, header, code, value=raw, **kw)
            errors += 1
            continue
        out[fld] = value
    start, end = out.get("contract_start"), out.get("contract_end")
    if start and end and end < start:
        report.reject(
            row_no, run.headers["contract_end"], "end_before_start", value=end, start=start
        )
        errors += 1
    customs: dict[str, Any] = {}
    for header, cf in run.custom.items():
        raw = cells.get(header, "")
        if is_blank(raw):
            continue
        try:
            coerce(cf, raw)
        except FieldError as exc:
            report.reject(row_no, header, "custom", detail=str(exc))
            errors += 1
            continue
        customs[cf.key] = raw
    if errors:
        return None
    return out, customs


_ACCOUNT_COLUMNS = tuple(c for c in ("external_id", *BUILTIN) if c in Account.__table__.c)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, int | float) and b is not None:
        return abs(a - float(b)) <= 1e-9 * max(1.0, abs(a))
    if isinstance(a, dt.datetime) and isinstance(b, dt.date) and not isinstance(b, dt.datetime):
        return a.date() == b
    return a == b


def _import_accounts(run: _Run, chunks: Iterator[pd.DataFrame]) -> None:
    session, report = run.session, run.report
    index = AccountIndex(session)
    cols = [Account.__table__.c[c] for c in ("name_norm", *_ACCOUNT_COLUMNS)]
    current: dict[int, dict[str, Any]] = {
        r.id: dict(r._mapping) for r in session.execute(select(Account.__table__.c.id, *cols))
    }
    new: dict[str, dict[str, Any]] = {}  # temp key -> values
    updates: dict[int, dict[str, Any]] = {}  # account id -> changed values
    customs: dict[Any, dict[str, Any]] = {}
    touched: dict[Any, int] = {}  # target -> first row that produced it in this file
    new_aliases: list[tuple[Any, str, str]] = []
    alias_seen = set(index.aliases)
    for row_no, cells in _rows(chunks):
        report.rows += 1
        cleaned = _clean_account_row(run, row_no, cells)
        if cleaned is None:
            continue
        values, custom_raw = cleaned
        ext = values.pop("account_id", None)
        dom = values.get("domain")
        name = values.get("name")
        norm = normalise_name(name) if name else None
        target, matched_by = index.match(ext, dom, norm)
        if target is None and not name:
            report.reject(row_no, run.headers.get("name", "name"), "required", value="")
            continue
        if target is None:
            target = f"new:{len(new)}"
            new[target] = {"external_id": ext, "name_norm": norm, **values}
            index.add(target, ext, dom, norm)
            touched[target] = row_no
            customs[target] = dict(custom_raw)
            continue
        twin = target in touched
        if twin:
            report.merged += 1
            report.merges.append(
                {"row": row_no, "into_row": touched[target], "matched_by": matched_by}
            )
        else:
            touched[target] = row_no
        customs.setdefault(target, {}).update(custom_raw)
        is_new = isinstance(target, str)
        base = new[target] if is_new else {**current[target], **updates.get(target, {})}
        changes: dict[str, Any] = {}
        for fld, value in values.items():
            col = _COLUMN_OF.get(fld, fld)
            if fld == "name" and normalise_name(value) == (base.get("name_norm") or ""):
                continue  # same company written another way: keep the first spelling
            if fld == "domain" and base.get("domain") and base["domain"] != value:
                if ("domain", value) not in alias_seen:
                    new_aliases.append((target, "domain", value))
                    alias_seen.add(("domain", value))
                    index.add(target, None, value, None)
                continue
            if not _same(value, base.get(col)):
                changes[col] = value
                if fld == "domain":
                    index.add(target, None, value, None)
        if "name" in changes:
            old_norm = base.get("name_norm")
            changes["name_norm"] = normalise_name(changes["name"])
            if old_norm and ("name", old_norm) not in alias_seen:
                new_aliases.append((target, "name", old_norm))
                alias_seen.add(("name", old_norm))
            index.add(target, None, None, changes["name_norm"])
        if ext:
            if not base.get("external_id"):
                changes["external_id"] = ext
                index.add(target, ext, None, None)
            elif base["external_id"].lower() != ext.lower() and (
                ("external_id", ext) not in alias_seen
            ):
                new_aliases.append((target, "external_id", ext))
                alias_seen.add(("external_id", ext))
                index.add(target, ext, None, None)
                if not twin:
                    report.merged += 1
                    report.merges.append({"row": row_no, "matched_by": matched_by, "alias": ext})
        if (
            norm
            and matched_by != "name"
            and norm != base.get("name_norm")
            and "name" not in changes
        ) and ("name", norm) not in alias_seen:
            new_aliases.append((target, "name", norm))
            alias_seen.add(("name", norm))
            index.add(target, None, None, norm)
        if is_new:
            new[target].update(changes)
        elif changes:
            updates.setdefault(target, {}).update(changes)
    if not run.writing:
        return
    # insert new accounts, in file order, getting their ids back
    ids: dict[Any, int] = {}
    if new:
        keys = list(new)
        table = Account.__table__
        now = utcnow()
        payload = []
        for k in keys:
            v = {c: new[k].get(c) for c in ("name_norm", *_ACCOUNT_COLUMNS)}
            v["created_at"] = v["updated_at"] = now
            payload.append(v)
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        got = session.execute(stmt, payload).scalars().all()
        ids.update(zip(keys, got, strict=False))
    report.inserted = len(new)
    # updates grouped by the set of changed columns so each group is one executemany
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for aid, changes in updates.items():
        changes["updated_at"] = utcnow()
        groups.setdefault(tuple(sorted(changes)), []).append({"_id": aid, **changes})
    table = Account.__table__
    for colset, params in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in colset})
        )
        session.execute(stmt, params)
    # custom values (few columns, ORM is fine)
    custom_changed: set[int] = set()
    if run.custom:
        fields = {cf.key: cf for cf in run.custom.values()}
        for target, raw_values in customs.items():
            aid = ids.get(target) if isinstance(target, str) else target
            if aid is None:
                continue
            for key, raw in raw_values.items():
                if set_value(session, aid, fields[key], raw, source="import", actor=run.actor):
                    custom_changed.add(aid)
        session.flush()
    updated_ids = set(updates) | {a for a in custom_changed if a in current}
    report.updated = len(updated_ids)
    matched_existing = {t for t in touched if not isinstance(t, str)}
    report.unchanged = len(matched_existing - updated_ids)
    if new_aliases:
        session.execute(
            insert(AccountAlias.__table__),
            [
                {
                    "account_id": ids.get(t) if isinstance(t, str) else t,
                    "kind": kind,
                    "value": value,
                    "created_at": utcnow(),
                }
                for t, kind, value in new_aliases
            ],
        )
    # audit: one entry per inserted / updated account and per merge
    entries = [{"account_id": aid, "action": "account.import.insert"} for aid in ids.values()] + [
        {"account_id": aid, "action": "account.import.update"} for aid in sorted(updated_ids)
    ]
    for m in report.merges:
        entries.append({"account_id": None, "action": "account.merge", "detail": m})
    if entries:
        now = utcnow()
        session.execute(
            insert(AuditEntry.__table__),
            [
                {
                    "at": now,
                    "actor": run.actor,
                    "platform": run.platform,
                    "action": e["action"],
                    "account_id": e["account_id"],
                    "detail": {"batch": run.batch.id, **(e.get("detail") or {})},
                }
                for e in entries
            ],
        )


# --------------------------------------------------------------------------- contacts


def _import_contacts(run: _Run, chunks: Iterator[pd.DataFrame]) -> None:
    session, report = run.session, run.report
    index = AccountIndex(session)
    existing: dict[tuple[int, str], Contact] = {}
    by_email: dict[str, Contact] = {}
    for c in session.scalars(select(Contact)):
        existing[(c.account_id, normalise_name(c.name))] = c
        if c.email:
            by_email[c.email.lower()] = c
    seen: set[int] = set()
    changed_ids: set[int] = set()
    h = run.headers
    for row_no, cells in _rows(chunks):
        report.rows += 1
        get = {f: clean_text(cells.get(col, "")) for f, col in h.items()}
        bad = False
        acc_ref = get.get("account", "")
        account_id = index.resolve(acc_ref) if acc_ref else None
        if not acc_ref:
            report.reject(row_no, h["account"], "required", value="")
            bad = True
        elif account_id is None:
            report.reject(row_no, h["account"], "unknown_account", value=acc_ref)
            bad = True
        if not get.get("name"):
            report.reject(row_no, h["name"], "required", value="")
            bad = True
        values: dict[str, Any] = {"name": get.get("name")}
        for fld, read, choices in (
            ("role", read_role, "EB, TB, UB"),
            ("attitude", read_attitude, "supporter, neutral, blocker"),
            ("influence", read_influence, "high, medium, low"),
        ):
            raw = get.get(fld, "")
            if is_blank(raw):
                continue
            v = read(raw)
            if v is None:
                report.reject(row_no, h[fld], "bad_choice", value=raw, choices=choices)
                bad = True
            values[fld] = v
        email = get.get("email", "")
        if not is_blank(email):
            if "@" not in email or " " in email:
                report.reject(row_no, h["email"], "not_email", value=email)
                bad = True
            values["email"] = email.lower()
        for fld in ("title", "phone", "notes"):
            if not is_blank(get.get(fld, "")):
                values[fld] = get[fld]
        for fld, v in values.items():
            limit = getattr(Contact.__table__.c[fld].type, "length", None)
            if isinstance(v, str) and limit and len(v) > limit:
                report.reject(row_no, h.get(fld, fld), "too_long", value=v[:40], limit=limit)
                bad = True
        if bad or account_id is None:
            continue
        key = (account_id, normalise_name(values["name"]))
        contact = existing.get(key) or (
            by_email.get(values["email"]) if "email" in values else None
        )
        if contact is not None and contact.id in seen:
            report.merged += 1
        if not run.writing:
            continue
        if contact is None:
            contact = Contact(account_id=account_id, **values)
            session.add(contact)
            session.flush()
            report.inserted += 1
            existing[key] = contact
            if contact.email:
                by_email[contact.email] = contact
            seen.add(contact.id)
            continue
        seen.add(contact.id)
        diff = {k: v for k, v in values.items() if k != "name" and getattr(contact, k) != v}
        if diff:
            for k, v in diff.items():
                setattr(contact, k, v)
            changed_ids.add(contact.id)
    report.updated = len(changed_ids)
    report.unchanged = max(0, len(seen) - report.inserted - len(changed_ids))
    session.flush()


# --------------------------------------------------------------------------- events & NPS


def _sqlite_ts(ts: pd.Series) -> pd.Series:
    return ts.dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def _bulk_insert_ignore(
    run: _Run, table_name: str, columns: list[str], rows: list[tuple], key: str
) -> int:
    """Insert rows, skipping those whose unique key exists; returns how many went in."""
    if not rows:
        return 0
    conn = run.session.connection()
    raw = conn.connection.dbapi_connection
    if run.dialect == "sqlite":
        before = raw.total_changes
        sql = (
            f"INSERT OR IGNORE INTO {table_name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        raw.executemany(sql, rows)
        return raw.total_changes - before
    if run.dialect == "postgresql":
        tmp = f"_import_{table_name}"
        with raw.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {tmp} "
                f"(LIKE {table_name} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            cur.execute(f"TRUNCATE {tmp}")
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)  # None -> unquoted empty = NULL
            with cur.copy(f"COPY {tmp} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as cp:
                cp.write(buf.getvalue())
            del buf
            cur.execute(
                f"INSERT INTO {table_name} ({', '.join(columns)}) "
                f"SELECT {', '.join(columns)} FROM {tmp} ON CONFLICT ({key}) DO NOTHING"
            )
            return cur.rowcount
    # any other database: Core executemany, one row at a time on conflict

    table: Table = {"events": Event.__table__, "nps_responses": NpsResponse.__table__}[table_name]
    n = 0
    for r in rows:
        exists = run.session.execute(
            select(table.c.id).where(table.c[key] == r[columns.index(key)])
        ).first()
        if exists is None:
            run.session.execute(insert(table), [dict(zip(columns, r, strict=False))])
            n += 1
    return n


def _by_unique(series: pd.Series | None, fn: Callable[[str], Any], n: int) -> np.ndarray:
    """Apply fn to each distinct value once (most event columns repeat); None where blank."""
    if series is None:
        return np.full(n, None, dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.array([fn(u) for u in uniques.tolist()] + [None], dtype=object)
    return table[codes]  # code -1 picks the trailing None


def _text_or_none(limit: int) -> Callable[[str], str | None]:
    def clean(v: str) -> str | None:
        t = clean_text(v)
        return t[:limit] if t and not is_blank(t) else None

    return clean


def _event_type(v: str) -> str | None:
    t = clean_text(v)
    return lang_events.cell_type(t) if t else None


def _import_events(run: _Run, chunks: Iterator[pd.DataFrame]) -> None:
    report, h = run.report, run.headers
    index = AccountIndex(run.session)
    columns = ["account_id", "ts", "type", "actor", "feature", "amount", "event_key", "batch_id"]
    sha1 = hashlib.sha1
    offset = 0
    for chunk in chunks:
        n = len(chunk)
        chunk = chunk.reset_index(drop=True)
        first_row = offset + 1
        offset += n
        report.rows += n
        acc_text = _by_unique(chunk[h["account"]], _text_or_none(300), n)
        account_id = _by_unique(chunk[h["account"]], index.resolve, n)
        ts_col = chunk[h["timestamp"]]
        ts = parse_datetime_series(ts_col)
        ts_text = _sqlite_ts(ts).to_numpy(dtype=object, na_value=None)
        ts_raw = ts_col.to_numpy(dtype=object, na_value=None)
        etype = _by_unique(chunk[h["type"]], _event_type, n)
        actor = _by_unique(chunk.get(h.get("user", "")), _text_or_none(200), n)
        feature = _by_unique(chunk.get(h.get("feature", "")), _text_or_none(200), n)
        event_id = _by_unique(chunk.get(h.get("event_id", "")), _text_or_none(76), n)
        amount_col = chunk.get(h.get("amount", ""))
        amount_raw = None
        amount_bad = np.zeros(n, dtype=bool)
        if amount_col is not None:
            amount = parse_number_series(amount_col).to_numpy()
            amount_raw = amount_col.to_numpy(dtype=object, na_value=None)
            for i in np.flatnonzero(np.isnan(amount)):
                amount_bad[i] = not is_blank(amount_raw[i])
        else:
            amount = np.full(n, np.nan)
        ts_blank = np.zeros(n, dtype=bool)
        ts_bad = np.zeros(n, dtype=bool)
        for i in np.flatnonzero(pd.isna(ts_text)):
            if is_blank(ts_raw[i]):
                ts_blank[i] = True
            else:
                ts_bad[i] = True
        acc_blank = pd.isna(acc_text)
        type_blank = pd.isna(etype)
        type_long = np.array([t is not None and len(t) > 50 for t in etype], dtype=bool)
        checks = [
            (acc_blank, h["account"], "required", acc_text),
            (~acc_blank & pd.isna(account_id), h["account"], "unknown_account", acc_text),
            (ts_blank, h["timestamp"], "required", ts_raw),
            (ts_bad, h["timestamp"], "not_date", ts_raw),
            (type_blank, h["type"], "required", etype),
            (type_long, h["type"], "too_long", etype),
            (amount_bad, h.get("amount"), "not_number", amount_raw),
        ]
        bad = np.zeros(n, dtype=bool)
        for mask, header, code, vals in checks:
            for i in np.flatnonzero(mask):
                v = vals[i] if vals is not None else ""
                report.reject(first_row + int(i), header, code, value=v or "", limit=50)
            bad |= mask
        good = np.flatnonzero(~bad)
        if not run.writing or not len(good):
            continue
        amounts = [None if a != a else float(a) for a in amount[good].tolist()]
        rows: list[tuple] = []
        batch_id = run.batch.id
        for a, t, ty, u, f, am, eid in zip(
            account_id[good].tolist(),
            ts_text[good].tolist(),
            etype[good].tolist(),
            actor[good].tolist(),
            feature[good].tolist(),
            amounts,
            event_id[good].tolist(),
            strict=True,
        ):
            if eid is not None:
                key = "id:" + eid
            else:
                raw = (
                    f"{a}\x1f{t}\x1f{ty}\x1f{u or ''}\x1f{f or ''}\x1f{'' if am is None else am!r}"
                )
                key = "h:" + sha1(raw.encode()).hexdigest()
            rows.append((int(a), t, ty, u, f, am, key, batch_id))
        inserted = _bulk_insert_ignore(run, "events", columns, rows, "event_key")
        report.inserted += inserted
        report.duplicates += len(rows) - inserted


def _import_nps(run: _Run, chunks: Iterator[pd.DataFrame]) -> None:
    report, h = run.report, run.headers
    index = AccountIndex(run.session)
    cache: dict[str, int | None] = {}
    columns = ["account_id", "date", "score", "comment", "respondent", "response_key", "batch_id"]
    rows: list[tuple] = []
    for row_no, cells in _rows(chunks):
        report.rows += 1
        get = {f: clean_text(cells.get(col, "")) for f, col in h.items()}
        bad = False
        ref = get.get("account", "")
        if ref not in cache:
            cache[ref] = index.resolve(ref) if ref else None
        aid = cache[ref]
        if not ref:
            report.reject(row_no, h["account"], "required", value="")
            bad = True
        elif aid is None:
            report.reject(row_no, h["account"], "unknown_account", value=ref)
            bad = True
        day = None
        if "date" in h:
            raw = get.get("date", "")
            day = parse_date(raw) if raw else None
            if not raw:
                report.reject(row_no, h["date"], "required", value="")
                bad = True
            elif day is None:
                report.reject(row_no, h["date"], "not_date", value=raw)
                bad = True
        raw_score = get.get("score", "")
        score = parse_number(raw_score)
        if not raw_score:
            report.reject(row_no, h["score"], "required", value="")
            bad = True
        elif score is None or score != int(score) or not 0 <= score <= 10:
            report.reject(row_no, h["score"], "score_range", value=raw_score)
            bad = True
        if bad or aid is None or score is None:
            continue
        if day is None:
            day = run.batch.started_at.date() if run.batch.started_at else utcnow().date()
        comment = get.get("comment") or None
        who = (get.get("respondent") or "")[:200] or None
        key = (
            "h:"
            + hashlib.sha1(f"{aid}\x1f{day}\x1f{int(score)}\x1f{who or ''}".encode()).hexdigest()
        )
        day_value = day.isoformat() if run.dialect in ("sqlite", "postgresql") else day
        rows.append((aid, day_value, int(score), comment, who, key, run.batch.id))
    if not run.writing:
        return
    for i in range(0, len(rows), CHUNK_ROWS):
        part = rows[i : i + CHUNK_ROWS]
        inserted = _bulk_insert_ignore(run, "nps_responses", columns, part, "response_key")
        report.inserted += inserted
        report.duplicates += len(part) - inserted


# --------------------------------------------------------------------------- users


def _import_users(run: _Run, chunks: Iterator[pd.DataFrame]) -> None:
    session, report, h = run.session, run.report, run.headers
    pending: list[tuple[int, str, str]] = []  # (row, handle, manager)
    seen: set[str] = set()
    created_now: set[str] = set()
    changed = 0
    for row_no, cells in _rows(chunks):
        report.rows += 1
        get = {f: clean_text(cells.get(col, "")) for f, col in h.items()}
        handle = get.get("handle", "")
        if not handle and get.get("email"):
            handle = get["email"].split("@", 1)[0]
        if not handle:
            report.reject(row_no, h["handle"], "required", value="")
            continue
        role = get.get("role") or None
        try:
            if role:
                normalise_role(role)
        except ValueError:
            report.reject(row_no, h["role"], "bad_role", value=role)
            continue
        email = get.get("email") or None
        if email and "@" not in email:
            report.reject(row_no, h["email"], "not_email", value=email)
            continue
        if not run.writing:
            continue
        before = get_user(session, handle)
        snap = _user_snapshot(before)
        user, created = upsert_user(
            session,
            handle=handle,
            role=role,
            name=get.get("name") or None,
            email=email,
            timezone=get.get("timezone") or None,
            slack_id=get.get("slack_id") or None,
            wecom_id=get.get("wecom_id") or None,
            actor=run.actor,
            platform=run.platform,
        )
        if handle.lower() in seen:
            report.merged += 1
        seen.add(handle.lower())
        if created:
            report.inserted += 1
            created_now.add(handle.lower())
        elif _user_snapshot(user) != snap:
            changed += 1
        else:
            report.unchanged += 1
        if get.get("manager"):
            pending.append((row_no, handle, get["manager"]))
    people = People.load(session) if pending else None
    for row_no, handle, manager in pending:  # managers may appear later in the same file
        boss = people.resolve(manager) if people else None
        if boss is None:
            report.reject(row_no, h["manager"], "unknown_manager", value=manager)
            continue
        user = get_user(session, handle)
        if user is not None and user.manager_id != boss.id:
            user.manager_id = boss.id
            changed += handle.lower() not in created_now
    report.updated = changed
    session.flush()


def _user_snapshot(user: User | None) -> tuple | None:
    if user is None:
        return None
    return (user.name, user.email, user.role, user.timezone, user.slack_id, user.wecom_id)


# --------------------------------------------------------------------------- transactions


def run_import(
    session_factory: sessionmaker[Session],
    path: str | Path,
    kind: str | None = None,
    *,
    as_of: dt.date | None = None,
    **kw: Any,
) -> ImportReport:
    """Import a file in its own transaction; always returns the report (nothing kept on failure).
    A committed change refreshes the figures as of `as_of` (default: the day they are held for)."""
    try:
        with session_factory.begin() as session:
            pin_as_of(session, as_of)
            return import_file(session, path, kind, **kw)
    except ImportAborted as exc:
        _record_failure(session_factory, exc.report, kw.get("actor"), kw.get("platform", "cli"))
        return exc.report


def run_import_rows(
    session_factory: sessionmaker[Session],
    kind: str,
    rows: list[dict[str, Any]],
    *,
    as_of: dt.date | None = None,
    **kw: Any,
) -> ImportReport:
    """Import pushed rows in their own transaction; always returns the report (and refreshes
    the figures like `run_import`)."""
    try:
        with session_factory.begin() as session:
            pin_as_of(session, as_of)
            return import_rows(session, kind, rows, **kw)
    except ImportAborted as exc:
        _record_failure(session_factory, exc.report, kw.get("actor"), kw.get("platform", "api"))
        return exc.report


def _record_failure(
    session_factory: sessionmaker[Session], report: ImportReport, actor: str | None, platform: str
) -> None:
    """Keep a trace of a failed or dry run (its data was rolled back)."""
    report.committed = False
    report.batch_id = None
    try:
        with session_factory.begin() as session:
            data = report.to_json()
            data["rejected"] = data["rejected"][:200]
            session.add(
                ImportBatch(
                    kind=report.kind or "unknown",
                    source=report.file,
                    actor=actor,
                    platform=platform,
                    status="dry_run" if report.dry_run and report.ok else "failed",
                    inserted=0,
                    updated=0,
                    merged=0,
                    rejected=report.rejected_count,
                    report=data,
                    finished_at=utcnow(),
                )
            )
    except Exception:  # the report matters more than its trace
        log.exception("could not record the failed import of %s", report.file)


__all__ = [
    "AccountIndex",
    "ImportAborted",
    "ImportReport",
    "RowError",
    "import_file",
    "import_rows",
    "open_table",
    "run_import",
    "run_import_rows",
]
