"""A spreadsheet sent to the bot in chat: import it and answer with the report.

The adapters save the file and hand its path in `msg.file_path`; the caption may say the kind
("events", "联系人"), ask for a dry run ("dry run", "试运行") or to skip bad rows ("skip bad
rows", "跳过错误行"). Only admins and managers may import (an import can change any account).
"""

from __future__ import annotations

import re

from handlers.messages import IncomingMessage, Reply
from handlers.services import Services
from store.importer import run_import
from store.query import (
    LOCAL_OPERATOR,
    find_user,
)

IMPORTERS = ("admin",)  # an import can create users and change owners: admins only

_KIND_WORDS = (
    ("users", r"\busers?\b|用户|成员"),
    ("contacts", r"\bcontacts?\b|联系人|关键人"),
    ("events", r"\bevents?\b|\busage\b|事件|行为|使用记录"),
    ("nps", r"\bnps\b|满意度|净推荐"),
    ("accounts", r"\baccounts?\b|\bcustomers?\b|客户|公司"),
)
_DRY = re.compile(r"dry[\s_-]?run|preview|试运行|预览|演练", re.I)
_SKIP = re.compile(r"skip|跳过|忽略错误", re.I)
_NEW_FIELDS = re.compile(r"new[\s_-]?fields?|新字段|新建字段|自定义字段", re.I)
_MAP = re.compile(r"(?:--map\s+)?['\"]?([^\s='\"]+)=([A-Za-z_][\w]*)['\"]?")


def caption_options(text: str) -> dict[str, object]:
    """What the message sent with a file asks for: kind, dry run, skip bad rows, new fields."""
    t = text or ""
    kind = next((k for k, pat in _KIND_WORDS if re.search(pat, t, re.I)), None)
    return {
        "kind": kind,
        "dry_run": bool(_DRY.search(t)),
        "skip_bad_rows": bool(_SKIP.search(t)),
        "new_fields": bool(_NEW_FIELDS.search(t)),
        "mapping": [f"{a}={b}" for a, b in _MAP.findall(t)],
    }


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """Import a file sent in chat and reply with the report in the user's language."""
    if not msg.file_path:
        return None
    zh = msg.zh
    with services.session_factory.begin() as s:
        user = find_user(s, msg.user)
        allowed = msg.user == LOCAL_OPERATOR or (user is not None and user.role in IMPORTERS)
    if not allowed:
        text = (
            "只有管理员可以导入数据。请把文件发给管理员。"
            if zh
            else "Only admins can import data (an import can add users and change owners). "
            "Send the file to an admin."
        )
        return [Reply(text=text, kind="error", language=msg.language, private=True)]
    opts = caption_options(msg.text)
    language = msg.language if (msg.text or "").strip() else None
    report = run_import(
        services.session_factory,
        msg.file_path,
        opts["kind"],  # type: ignore[arg-type]
        dry_run=bool(opts["dry_run"]),
        skip_bad_rows=bool(opts["skip_bad_rows"]),
        new_fields=bool(opts["new_fields"]),
        mapping=opts["mapping"],  # type: ignore[arg-type]
        actor=msg.user,
        platform=msg.platform,
        language=language,
    )
    if msg.file_name:
        report.file = msg.file_name
    lang = report.language
    title = ("导入" if lang == "zh" else "Import") + f" · {report.file or ''}".rstrip(" ·")
    return [
        Reply(
            text=report.summary(),
            title=title,
            data=report.to_json(),
            kind="text" if report.ok else "error",
            language=lang,
            private=True,
        )
    ]
