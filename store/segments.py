"""Saved segments: a name for a query spec ("at-risk fintech"), shared by every door.

A question, a rule's condition or a digest names one with the filter `segment = NAME`, which the
spec compiler (store/query.py) expands to the saved spec's condition — so a segment is defined
once and always means today's accounts that match it, inside each asker's scope.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import SavedSegment
from store.spec import Spec

_QUOTES = "'\"“”‘’「」『』《》"


def segment_key(name: str) -> str:
    """The comparable form of a segment name: width-folded, lower-case, single spaces, no quotes."""
    text = unicodedata.normalize("NFKC", name or "").strip().strip(_QUOTES).strip()
    return re.sub(r"\s+", " ", text).lower()


def find(session: Session, name: str) -> SavedSegment | None:
    """A saved segment by name (any case, width or quoting)."""
    key = segment_key(name)
    if not key:
        return None
    return session.scalars(select(SavedSegment).where(SavedSegment.name_norm == key)).first()


def all_segments(session: Session) -> list[SavedSegment]:
    """Every saved segment, by name."""
    return list(session.scalars(select(SavedSegment).order_by(SavedSegment.name)))


def save(
    session: Session, name: str, spec: Spec, *, source_text: str | None, by: str | None
) -> tuple[SavedSegment, bool]:
    """Save (or redefine) a segment; returns (segment, created). Paging and sorting are dropped."""
    clean = name.strip().strip(_QUOTES).strip()
    if not segment_key(clean):
        raise ValueError("a segment needs a name")
    kept = Spec(where=spec.where, mine=spec.mine, owner=spec.owner, team=spec.team)
    row = find(session, clean)
    created = row is None
    if row is None:
        row = SavedSegment(name=clean, name_norm=segment_key(clean))
        session.add(row)
    row.spec = kept.model_dump(mode="json")
    row.source_text = source_text
    row.created_by = by
    session.flush()
    return row, created


def spec_of(row: SavedSegment) -> Spec:
    """The saved spec."""
    return Spec.model_validate(row.spec)
