"""Sending to Slack: the WebClient (with SLACK_API_URL and 429 retries) and the Messenger the
scheduler's outbox and the adapter use (dm, post, update, ephemeral, chart upload)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.slack_blocks import message_payload
from handlers.messages import Attachment, Chart, Reply
from store.models import User
from store.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"


def api_base_url(settings: Settings) -> str:
    """SLACK_API_URL (GovSlack, a proxy, a test server) or Slack's; always ending with '/'."""
    url = (settings.slack_api_url or DEFAULT_API_URL).strip()
    return url if url.endswith("/") else url + "/"


def make_web_client(settings: Settings, *, max_rate_limit_retries: int = 3) -> WebClient:
    """A WebClient on the configured base URL that waits out 429s (Retry-After) and retries."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(token=token, base_url=api_base_url(settings))
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries))
    return client


class SlackUserUnknown(LookupError):
    """A profilebot user with no Slack id to send to."""


class SlackMessenger:
    """Messenger over the Slack Web API; references are {"channel", "ts"}."""

    platform = "slack"

    def __init__(self, client: WebClient, session_factory: sessionmaker[Session] | None = None):
        self.client = client
        self.session_factory = session_factory

    # ---- who
    def slack_id_for(self, user_handle: str) -> str:
        """The Slack user id of a profilebot user (a raw U… id passes through)."""
        handle = (user_handle or "").strip()
        if handle[:1] in ("U", "W") and handle[1:].isalnum() and handle.upper() == handle:
            return handle
        if self.session_factory is None:
            raise SlackUserUnknown(f"cannot look up '{handle}': no database")
        with self.session_factory() as s:
            slack_id = s.scalar(
                select(User.slack_id).where(
                    func.lower(User.handle) == handle.lower(), User.slack_id.is_not(None)
                )
            )
        if not slack_id:
            raise SlackUserUnknown(
                f"user '{handle}' has no Slack id: set it with "
                f"`profilebot users add {handle} --slack-id U…`"
            )
        return slack_id

    # ---- Messenger protocol
    def dm(self, user_handle: str, reply: Reply) -> dict[str, Any]:
        """Open (or reuse) the DM with a user and post the reply there."""
        user_id = self.slack_id_for(user_handle)
        channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        return self.post(channel, reply)

    def post(self, channel: str, reply: Reply, thread_ts: str | None = None) -> dict[str, Any]:
        """Post a reply (blocks + fallback text), then its chart as an image in the thread."""
        kwargs: dict[str, Any] = dict(message_payload(reply))
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        resp = self.client.chat_postMessage(channel=channel, **kwargs)
        ref = {"channel": resp.get("channel") or channel, "ts": resp.get("ts")}
        if reply.chart is not None:
            self.upload_chart(ref["channel"], reply.chart, thread_ts or ref["ts"])
        for attachment in reply.files:
            self.upload_file(ref["channel"], attachment, thread_ts or ref["ts"])
        return ref

    def update(self, ref: dict[str, Any], reply: Reply) -> None:
        """Replace a posted message in place (chat.update)."""
        self.client.chat_update(channel=ref["channel"], ts=ref["ts"], **message_payload(reply))

    # ---- Slack extras
    def ephemeral(
        self, channel: str, user_id: str, reply: Reply, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Show a reply only to one person in a channel."""
        kwargs: dict[str, Any] = dict(message_payload(reply))
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        resp = self.client.chat_postEphemeral(channel=channel, user=user_id, **kwargs)
        return {"channel": channel, "ts": resp.get("message_ts"), "ephemeral": True}

    def upload_chart(self, channel: str, chart: Chart, thread_ts: str | None = None) -> None:
        """Upload a chart PNG to a conversation (files.getUploadURLExternal + complete)."""
        kwargs: dict[str, Any] = {
            "channel": channel,
            "content": chart.png,
            "filename": "chart.png",
            "title": chart.title,
        }
        if chart.alt:
            kwargs["alt_txt"] = chart.alt
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        self.client.files_upload_v2(**kwargs)

    def upload_file(
        self, channel: str, attachment: Attachment, thread_ts: str | None = None
    ) -> None:
        """Upload a file a reply carries (a spreadsheet export) with the current upload API."""
        kwargs: dict[str, Any] = {
            "channel": channel,
            "content": attachment.data,
            "filename": attachment.name,
            "title": attachment.name,
        }
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        self.client.files_upload_v2(**kwargs)
