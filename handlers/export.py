"""Export: an answer's accounts as a spreadsheet (.xlsx or .csv), one row each, scoped like it.

From chat ("export these to Excel", "导出Excel") the previous answer is exported — a list's spec
or a persona's segment, as the conversation state holds it; from the command line
(`profilebot export "QUESTION" --out FILE`) the question is understood as `ask` would.
The columns are the ones the answer shows: id, name, owner, CSM and the answer's figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from sqlalchemy.orm import Session

from handlers import answer_text as at
from handlers import figures_held
from handlers.ask import no_access, scope_of
from handlers.messages import Attachment, IncomingMessage, Reply
from handlers.persona import last_segment_spec
from handlers.services import Services
from store.query import LOCAL_OPERATOR, account_rows, display_fields
from store.spec import Spec

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_PATTERNS: tuple[re.Pattern, ...] = tuple(
    re.compile(p, re.I)
    for p in (
        r"^(?:please\s+)?(?:export|download)(?:\s+(?:these|them|this|those|that|it|the\s+list|"
        r"the\s+answer|the\s+results?|these\s+accounts|the\s+accounts))?(?:\s+(?:to|as|in|into)"
        r"(?:\s+an?)?\s+(?P<fmt>excel|xlsx|csv|spreadsheet|a\s+spreadsheet|file))?"
        r"[\s.!?]*$",
        r"^(?:请)?(?:把|将)?(?:这些|结果|它们|这个列表|这批客户|上面的)?(?:客户)?"
        r"(?:导出|下载)(?:成|为|到)?\s*(?P<fmt>excel|xlsx|csv|表格|电子表格|文件)?[。！!]*$",
    )
)


def match_export(text: str) -> str | None:
    """'xlsx' or 'csv' when the text asks to export the previous answer, else None."""
    t = text.strip()
    for pat in EXPORT_PATTERNS:
        m = pat.match(t)
        if m:
            fmt = (m.group("fmt") or "").lower()
            return "csv" if fmt == "csv" else "xlsx"
    return None


def table(
    session: Session, spec: Spec, user: str, as_of: dt.date, lang: str
) -> tuple[list[str], list[list[object]]]:
    """The header and rows of an export: every account the spec matches in the asker's scope."""

    scope = scope_of(session, user)
    shown = display_fields(spec)
    full = spec.model_copy(update={"offset": 0, "group_by": None, "aggregate": None})
    rows = account_rows(session, full, scope, as_of, fields=shown)
    zh = lang == "zh"
    header = [
        "客户编号" if zh else "Account ID",
        "客户名称" if zh else "Name",
        "负责人" if zh else "Owner",
        "客户成功经理" if zh else "CSM",
        *[at.label(k, lang) for k in shown],
    ]
    out: list[list[object]] = []
    for r in rows:
        values: list[object] = [r["account_id"], r["name"], r["owner"], r["csm"]]
        for k in shown:
            v = r.get(k)
            if isinstance(v, dt.datetime):
                v = v.replace(microsecond=0)
            values.append(v)
        out.append(values)
    return header, out


def to_bytes(header: list[str], rows: list[list[object]], fmt: str) -> bytes:
    """The table as .xlsx (openpyxl) or as UTF-8 .csv with a BOM so Excel reads Chinese."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return buf.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "accounts"
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, 1):
        width = max(
            [len(str(name)) * 2, *(len(str(r[i - 1] or "")) for r in rows[:200])], default=8
        )
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(48, max(10, width + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_reply(
    services: Services,
    session: Session,
    msg: IncomingMessage,
    spec: Spec,
    fmt: str,
    *,
    name: str | None = None,
) -> Reply:
    """A reply carrying the spreadsheet of a spec's accounts."""

    as_of = services.today(msg.as_of)
    scope = scope_of(session, msg.user)
    if scope.kind == "none" and msg.user != LOCAL_OPERATOR:
        return no_access(msg, spec)
    header, rows = table(session, spec, msg.user, as_of, msg.language)
    fname = name or f"profilebot-export-{as_of.isoformat()}.{fmt}"
    data = to_bytes(header, rows, fmt)
    mime = "text/csv" if fmt == "csv" else XLSX_MIME
    if msg.zh:
        text = f"已导出 {len(rows)} 个客户到 {fname}（{len(header)} 列）。"
    else:
        text = f"Exported {len(rows)} accounts to {fname} ({len(header)} columns)."
    reply = Reply(
        text=text,
        kind="answer",
        language=msg.language,
        private=True,
        files=[Attachment(name=fname, data=data, mime=mime)],
        data={
            "text": text,
            "understood": spec.model_dump(mode="json"),
            "accounts": [],
            "total": len(rows),
            "columns": header,
        },
    )
    return figures_held.stamp(session, reply, as_of, msg.zh)


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """'export these to Excel' / '导出Excel': the previous answer as a spreadsheet."""
    fmt = match_export(msg.text)
    if fmt is None or msg.file_path:
        return None

    with services.session_factory.begin() as s:
        last = last_segment_spec(s, msg.user)
        if last is None:
            text = (
                "先问一个问题（例如“有流失风险的客户”），再说“导出Excel”。"
                if msg.zh
                else "Ask a question first (e.g. 'churn-risk accounts'), then say 'export these'."
            )
            return [Reply(text=text, kind="error", language=msg.language, data={"text": text})]
        spec, _kind = last
        spec = spec.model_copy(update={"limit": spec.limit, "offset": 0})
        return [export_reply(services, s, msg, spec, fmt)]
