"""Saved segments in questions: "at-risk retail accounts renewing next quarter" names a saved
segment (store/segments.py) and asks something more of its accounts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.parser import ParseContext, parse
from store import segments
from store.spec import Condition, Filter, Spec


def saved_segment_spec(
    session: Session, text: str, language: str, ctx: ParseContext
) -> Spec | None:
    """A question naming a saved segment ("at-risk retail accounts renewing next quarter"): the
    segment as a `segment` filter, ANDed with whatever else the question asks. None when the
    question names no saved segment."""
    rows = segments.all_segments(session)
    if not rows:
        return None
    low = segments.segment_key(text)
    for row in sorted(rows, key=lambda r: -len(r.name_norm)):
        i = low.find(row.name_norm)
        if i < 0:
            continue
        rest = (low[:i] + " " + low[i + len(row.name_norm) :]).strip()
        rest = rest.strip(" '\"“”‘’「」的")
        base = Condition(all=[Filter(field="segment", value=row.name)])
        if rest:
            parsed = parse(rest, language, ctx)
            if parsed.matched and parsed.spec is not None and not parsed.spec.account:
                spec = parsed.spec
                where = base if spec.where.is_empty() else Condition(all=[*base.all, spec.where])
                return spec.model_copy(update={"where": where})
        return Spec(where=base)
    return None
