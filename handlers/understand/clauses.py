"""Clauses: a question cut at its conjunctions, so a negation or a window binds inside its own.

"accounts with an EB who is a blocker and no TB" is two clauses; "no" reaches the TB only.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.understand.tags import Tag


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    tags: tuple[Tag, ...]  # the clause's tags, conjunctions left out


def split(text: str, tags: list[Tag]) -> list[Clause]:
    """The clauses of text, each with its tags, in order."""
    out: list[Clause] = []
    start = 0
    current: list[Tag] = []
    for t in tags:
        if t.kind == "CONJ":
            out.append(Clause(start, t.start, tuple(current)))
            start, current = t.end, []
        else:
            current.append(t)
    out.append(Clause(start, len(text), tuple(current)))
    return [c for c in out if c.tags]
