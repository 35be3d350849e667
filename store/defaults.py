"""What a fresh database gets: the default rules."""

from __future__ import annotations

from sqlalchemy.orm import Session


def install_defaults(session: Session) -> int:
    """Install the shipped default rules that are not there yet; returns how many were added."""
    from store.rules import install_default_rules

    return install_default_rules(session)
