"""One router for every adapter: the terminal, Slack and WeCom all call `handle`."""

from __future__ import annotations

import logging
import uuid

from handlers import (
    alerts,
    ask,
    conversation,
    dashboard,
    digest,
    edits,
    export,
    imports,
    interview,
    notes,
    persona,
    profile,
    report,
    rules_chat,
)
from handlers.help import help_reply, is_help
from handlers.messages import IncomingMessage, Reply
from handlers.services import Services
from store.query import LOCAL_OPERATOR

__all__ = ["CHAIN", "LOCAL_OPERATOR", "handle", "unknown_user_reply"]

log = logging.getLogger(__name__)


def interview_step(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """An interview's answer, or a digression answered by the rest of the chain, then re-asked."""
    step = interview.take(services, msg)
    if step is None:
        return None
    if not step.digression:
        return step.replies
    return [*digress(services, msg), *([step.reask] if step.reask else [])]


def digress(services: Services, msg: IncomingMessage) -> list[Reply]:
    """A question asked mid-interview: the chain without imports and the interview itself."""
    for step in CHAIN:
        if step in (imports.try_handle, interview_step):
            continue
        try:
            replies = step(services, msg)
        except Exception:
            log.exception("digression handler failed for %r", msg.text[:200])
            replies = None
        if replies:
            return replies
    en, zh = interview.CANT_ANSWER
    return [Reply(text=zh if msg.zh else en, language=msg.language, private=True)]


# Tried in order; the first that answers wins. An active interview comes before everything but
# help so that its answers are never mistaken for questions; ask is the fallback.
CHAIN = (
    imports.try_handle,
    interview_step,
    rules_chat.try_handle,
    edits.try_handle,
    notes.try_handle,
    alerts.try_handle,
    digest.try_handle,
    dashboard.try_handle,
    export.try_handle,
    persona.try_handle,
    report.try_handle,
    conversation.try_handle,
    profile.try_handle,
    ask.try_handle,
)


def unknown_user_reply(msg: IncomingMessage) -> Reply:
    """Nothing about customers for someone no admin has added."""
    if msg.zh:
        text = "你还没有被管理员添加为 profilebot 用户，因此看不到客户数据。请联系管理员用 `profilebot users add` 添加你。"
    else:
        text = (
            "You are not set up as a profilebot user yet, so I can't show you customer data. "
            "Ask an admin to add you with `profilebot users add`."
        )
    return Reply(text=text, kind="error", language=msg.language, private=True)


def handle(services: Services, msg: IncomingMessage) -> list[Reply]:
    """Answer one message; a crash becomes a kind reply with an error id, never silence."""
    try:
        if is_help(msg.text) and not msg.file_path:
            return [help_reply(msg)]
        if not msg.user:
            return [unknown_user_reply(msg)]
        for step in CHAIN:
            replies = step(services, msg)
            if replies is not None:
                return replies
        return [help_reply(msg)]
    except Exception:
        err = uuid.uuid4().hex[:8]
        log.exception("error %s handling %r from %s", err, msg.text[:200], msg.user)
        text = (
            f"抱歉，处理时出错了（错误编号 {err}）。请稍后再试，或换个说法。"
            if msg.zh
            else f"Sorry, something went wrong (error id {err}). Please try again or rephrase."
        )
        return [Reply(text=text, kind="error", language=msg.language)]
