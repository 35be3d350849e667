"""What a fresh database gets: the default rules."""

from __future__ import annotations

from sqlalchemy.orm import Session

from store.refresh import mark_stale
from store.rules import install_default_rules


def install_defaults(session: Session) -> int:
    """Install the shipped default rules that are not there yet; returns how many were added."""
    added = install_default_rules(session)
    if added:
        mark_stale(session)  # rule-set tags must be recomputed before the next question
    return added
