"""What an answer says about the figures it stands on (a question reads them, never refreshes).

Figures (days since login, 30-day purchases, RFM, health, the rule-set tags) are recomputed by
writes, the scheduler's jobs and `profilebot refresh`. An answer whose as-of differs from the day
they are held for, or given while a write has left them stale, says so in the asker's language and
carries `figures_state: {as_of, stale, current, note}` in its JSON.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from handlers.messages import Reply
from store.refresh import Held, held


def note(state: Held, as_of: dt.date, zh: bool) -> str | None:
    """The sentence an answer on other-day or stale figures carries, or None when current."""
    if not state.behind(as_of):
        return None
    fix = f"`profilebot refresh --as-of {as_of.isoformat()}`"
    if state.as_of is None:
        if zh:
            return f"注意：派生指标（登录天数、购买额、健康分、规则标签）尚未计算；请运行 {fix}。"
        return (
            "Note: the derived figures (days since login, purchases, health, rule tags) have "
            f"not been computed yet; run {fix}."
        )
    day, asked = state.as_of.isoformat(), as_of.isoformat()
    if zh:
        if state.as_of == as_of:
            return f"注意：派生指标数据截至 {day}，之后数据有更新；请运行 {fix} 更新。"
        why = "（之后数据有更新）" if state.stale else ""
        return f"注意：派生指标数据截至 {day}{why}，不是 {asked}；请运行 {fix} 更新。"
    if state.as_of == as_of:
        return (
            f"Note: figures as of {day}, computed before the latest changes; run {fix} to bring "
            "them up to date."
        )
    why = " (and computed before the latest changes)" if state.stale else ""
    return f"Note: figures as of {day}{why}, not {asked}; run {fix} to bring them up to date."


def figures_field(state: Held, as_of: dt.date) -> dict[str, Any]:
    """The `figures_state` object of an answer's JSON."""
    return {
        "as_of": state.as_of.isoformat() if state.as_of else None,
        "stale": state.stale,
        "current": not state.behind(as_of),
    }


def stamp(session: Session, reply: Reply, as_of: dt.date, zh: bool) -> Reply:
    """Add the figures' day to an answer (and the note when they are not as of its as-of)."""
    state = held(session)
    data = dict(reply.data or {})
    data["figures_state"] = figures_field(state, as_of)
    text = note(state, as_of, zh)
    if text:
        reply.text = f"{reply.text}\n{text}" if reply.text else text
        if "text" in data:  # else the JSON's text is the reply's own
            data["text"] = f"{data['text'] or ''}\n{text}".strip()
        data["figures_state"]["note"] = text
    reply.data = data
    return reply
