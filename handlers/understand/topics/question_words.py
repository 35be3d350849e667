"""Words that only shape a question ("is there any", "有没有"): taken, adding nothing."""

from __future__ import annotations

from handlers.understand.table import Row, nothing

TOPIC = "question words"

MACROS: dict[str, str] = {}

ROWS: tuple[Row, ...] = (
    Row(
        "question: is there any",
        TOPIC,
        "QANY",
        nothing,
        (
            ("is there any account with a blocker", "+attitude=blocker"),
            ("有没有反对者", "+attitude=blocker"),
        ),
    ),
)
