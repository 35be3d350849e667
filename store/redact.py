"""Secrets out of text: configured secret values and token-shaped strings become `***`.

Used on every log record (install_log_redaction, called at start-up by bot/runtime.py) and on
every error text the database keeps (outbox.last_error). Two nets: the exact values registered at
start-up (tokens, signing secrets, the WeCom corp secret and the access tokens it is given), and
shapes that are secret wherever they come from — `corpsecret=`/`access_token=` query parameters,
`xoxb-…`/`xapp-…` Slack tokens, `Bearer …`, `sk-…` keys, passwords in database URLs.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()
_secret_pattern: re.Pattern[str] | None = None

_QUERY_NAMES = (
    "corpsecret|access_token|refresh_token|client_secret|app_secret|secret|token|api_key|apikey"
    "|password|passwd|encodingaeskey|aes_key"
)
_SHAPES: list[tuple[re.Pattern[str], str]] = [
    # ?corpsecret=…&access_token=… (also in exception texts that quote the URL)
    (re.compile(rf"(?i)(?<![A-Za-z0-9])({_QUERY_NAMES})=[^&\s'\"<>]+"), rf"\1={MASK}"),
    # "access_token": "…" in JSON
    (re.compile(rf'(?i)("(?:{_QUERY_NAMES})"\s*:\s*")[^"]*'), rf"\1{MASK}"),
    # 'access_token': '…' in a repr'd dict
    (re.compile(rf"(?i)('(?:{_QUERY_NAMES})'\s*:\s*')[^']*"), rf"\1{MASK}"),
    (re.compile(r"\bxox[a-z]-[0-9A-Za-z-]+"), f"xox-{MASK}"),
    (re.compile(r"\bxapp-[0-9A-Za-z-]+"), f"xapp-{MASK}"),
    (re.compile(r"(?i)\b(bearer)\s+[^\s'\",;]+"), rf"\1 {MASK}"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), f"sk-{MASK}"),
    # scheme://user:password@host
    (re.compile(r"(://[^/\s:@]+):[^@\s/]+@"), rf"\1:{MASK}@"),
]


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values so that they are masked wherever they appear."""
    global _secret_pattern
    new = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
    with _lock:
        if new <= _secrets:
            return
        _secrets.update(new)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial masks
        _secret_pattern = re.compile("|".join(re.escape(v) for v in ordered))


def redact(text: str) -> str:
    """The text with every registered secret and every token-shaped string masked."""
    if not text:
        return text
    pattern = _secret_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for shape, repl in _SHAPES:
        text = shape.sub(repl, text)
    return text


def redact_record(record: logging.LogRecord) -> None:
    """Mask a log record in place: its message, its traceback and its stack."""
    if getattr(record, "_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what there is, masked
        message = f"{record.msg!s} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._redacted = True  # type: ignore[attr-defined]


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_installed = False


def install_log_redaction(secrets: Iterable[str | None] = ()) -> None:
    """Mask secrets in every log record of this process, whichever handler writes it.

    Records are masked as they are made (a log-record factory), so handlers added later — a
    server's, a test's — only ever see masked text; the handlers present now get the filter too.
    """
    global _installed
    register_secrets(secrets)
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    redacting = RedactingFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)
