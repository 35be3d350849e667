"""Attach the chat messengers whose credentials are configured (for a standalone scheduler)."""

from __future__ import annotations

import logging

from bot.slack_messenger import SlackMessenger, make_web_client
from bot.wecom import WeComMessenger
from handlers.services import Services

log = logging.getLogger(__name__)


def attach_configured(services: Services) -> list[str]:
    """Register Slack and WeCom messengers when their env is set; returns the platforms added."""
    added: list[str] = []
    s = services.settings
    if s.slack_bot_token is not None and "slack" not in services.messengers:

        services.messengers["slack"] = SlackMessenger(make_web_client(s), services.session_factory)
        added.append("slack")
    if (
        s.wecom_corp_id
        and s.wecom_secret
        and s.wecom_agent_id
        and "wecom" not in services.messengers
    ):

        services.messengers["wecom"] = WeComMessenger(services)
        added.append("wecom")
    if added:
        log.info("messengers attached: %s", ", ".join(added))
    return added
