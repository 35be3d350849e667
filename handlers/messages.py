"""The platform-neutral message types every adapter speaks: IncomingMessage in, Reply out."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def detect_language(text: str) -> str:
    """'zh' when the text holds any CJK ideograph, else 'en'."""
    return "zh" if _CJK.search(text or "") else "en"


@dataclass(frozen=True)
class IncomingMessage:
    """One thing a person said to the bot, on any platform."""

    user: str  # profilebot user handle ("" when the platform user is unknown)
    text: str
    platform: str = "terminal"  # terminal | slack | wecom
    language: str = ""  # filled from the text when empty
    platform_user_id: str | None = None
    channel: str | None = None  # platform channel / conversation id
    thread: str | None = None
    is_direct: bool = True  # a DM (only the asker sees the answer)
    as_of: dt.date | None = None  # fixed "today" (tests, --as-of); None means the real date
    file_path: str | None = None  # a file sent with the message (import)
    file_name: str | None = None
    message_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # control characters (NUL above all: PostgreSQL refuses it in text) never reach a handler
        if _CONTROL.search(self.text or ""):
            object.__setattr__(self, "text", _CONTROL.sub("", self.text))
        if not self.language:
            object.__setattr__(self, "language", detect_language(self.text))

    @property
    def zh(self) -> bool:
        return self.language == "zh"


@dataclass(frozen=True)
class Button:
    """A button: action is an ActionId value, value small JSON-able data (never trusted)."""

    label: str
    action: str
    value: dict[str, Any] = field(default_factory=dict)
    style: str | None = None  # primary | danger
    url: str | None = None


@dataclass(frozen=True)
class AccountRow:
    """One account line in an answer: who, and the figures that matter for the question."""

    id: int
    account_id: str | None
    name: str
    fields: dict[str, str] = field(default_factory=dict)  # label -> formatted value


@dataclass(frozen=True)
class Chart:
    """A rendered chart image (PNG bytes) with a title and alt text."""

    title: str
    png: bytes
    alt: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file a reply carries (a spreadsheet export, an extra chart): name, bytes, MIME type."""

    name: str
    data: bytes
    mime: str


@dataclass(frozen=True)
class AlertRef:
    """An alert or to-do a reply shows, by id, so it can be acted on by typing (`ack 92`)."""

    id: int
    title: str
    status: str


@dataclass
class Reply:
    """What the bot answers: text, optional structured parts, buttons and a chart.

    `data` carries the machine-readable answer (the `ask --json` object); `private` marks a reply
    holding customer data that must go only to the asker (ephemeral or DM, never a channel).
    """

    text: str
    title: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    rows: list[AccountRow] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    context: str | None = None  # how the question was understood
    chart: Chart | None = None
    data: dict[str, Any] = field(default_factory=dict)
    private: bool = False
    kind: str = "text"  # text | answer | profile | alert | interview | help | error | digest
    language: str = "en"
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, body) blocks
    files: list[Attachment] = field(default_factory=list)  # spreadsheets, extra images
    alerts: list[AlertRef] = field(default_factory=list)  # alerts shown (chat --json `alerts`)

    def plain(self) -> str:
        """Render as plain lines (terminal pipes, logs, WeCom text)."""
        out: list[str] = []
        if self.title:
            out.append(self.title)
        out.append(self.text)
        for heading, body in self.sections:
            out.append(f"{heading}\n{body}" if heading else body)
        for label, value in self.fields.items():
            out.append(f"{label}: {value}")
        for i, row in enumerate(self.rows, 1):
            extras = " · ".join(f"{k} {v}" for k, v in row.fields.items())
            out.append(f"{i}. {row.name}" + (f" — {extras}" if extras else ""))
        if self.context:
            out.append(f"({self.context})")
        if self.buttons:
            out.append(" ".join(f"[{b.label}]" for b in self.buttons))
        return "\n".join(s for s in out if s)
