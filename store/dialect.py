"""SQL that differs between SQLite and PostgreSQL, in one place: JSON objects and arrays, dates as
text. Each helper takes the session to see which backend it is talking to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, func, literal
from sqlalchemy.orm import Session


def json_object(session: Session, pairs: list[tuple[str, Any]]):  # noqa: ANN202
    """A SQL JSON object from (key, expression) pairs on either backend."""
    args: list[Any] = []
    for k, v in pairs:
        args.extend([cast(literal(k), String), v])
    if session.get_bind().dialect.name == "postgresql":
        return func.json_build_object(*args)
    return func.json_object(*args)


def json_array(session: Session, *items: Any):  # noqa: ANN202
    """A SQL JSON array of the items on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return func.json_build_array(*items)
    return func.json_array(*items)


def date_text(session: Session, col: Any):  # noqa: ANN202
    """A date column as 'YYYY-MM-DD' text (date.isoformat()) on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(col, "YYYY-MM-DD")
    return cast(col, String)  # SQLite stores dates as ISO text
