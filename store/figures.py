"""Derived figures (placeholder until implemented): refresh(session, as_of)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session


def refresh(session: Session, as_of: dt.date) -> None:
    raise NotImplementedError("store.figures.refresh is being written")
