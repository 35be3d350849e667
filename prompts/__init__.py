"""Prompt texts as files with $placeholders, loaded by name: load("ask_spec")."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent


@cache
def _read(name: str) -> str:
    path = HERE / f"{name}.txt"
    if not path.exists():
        raise FileNotFoundError(f"no prompt named '{name}' in {HERE}")
    return path.read_text(encoding="utf-8")


def load(name: str, **values: object) -> str:
    """The prompt text with $placeholders filled (missing ones are left as they are)."""
    return Template(_read(name)).safe_substitute({k: str(v) for k, v in values.items()})
