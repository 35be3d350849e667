"""Parsing values as people type them (placeholder: the importer's owner replaces these)."""

from __future__ import annotations

import datetime as dt


def parse_number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").strip())
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
