"""Rules (placeholder until implemented)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session


def apply_state_actions(session: Session, as_of: dt.date) -> None:
    """Set and clear the tags and fields that enabled rules own (no messages)."""
    return None


def install_default_rules(session: Session) -> int:
    """Install the default rules (placeholder)."""
    return 0
