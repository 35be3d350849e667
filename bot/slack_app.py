"""The Slack adapter: a Bolt App whose listeners ack at once and do the work lazily.

Mentions, DMs (and files shared in a DM), the /profile command, alert buttons and modals, and the
App Home all become IncomingMessages for the shared router, or calls into handlers. Answers holding
customer data never go to a channel: in a channel they are ephemeral to the asker (charts go to
the asker's DM); in a DM they thread under the question.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import re
import tempfile
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.slack_blocks import (
    AlertLine,
    HomeSummary,
    TeamLine,
    form_modal,
    home_view,
    message_payload,
    reassign_modal,
    snooze_modal,
    view_values,
)
from bot.slack_messenger import SlackMessenger, make_web_client
from handlers import alerts, figures_held, interview, router
from handlers.actions import ActionId, CallbackId
from handlers.alerts import alert_title
from handlers.messages import AccountRow, IncomingMessage, Reply, detect_language
from handlers.services import Services
from handlers.team import team_books
from store.alerts import my_alerts
from store.models import Account, SeenMessage, User
from store.query import find_user as find_profile_user
from store.query import run, scope_for
from store.refresh import held
from store.spec import Condition, Filter, Sort, Spec

log = logging.getLogger(__name__)

Handle = Callable[[Services, IncomingMessage], list[Reply]]

MAX_FILE_BYTES = 20 * 1024 * 1024
PUBLIC_KINDS = frozenset({"help"})  # the only replies that may be posted to a channel
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto|tel):[^>|]+)(?:\|([^>]*))?>")


# --------------------------------------------------------------------------- pure helpers


def clean_text(text: str) -> str:
    """Slack's markup to what the person typed: mentions dropped, links to their label."""
    text = _MENTION.sub("", text or "")

    def link(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if label:
            return label
        return target.split(":", 1)[1] if target.startswith(("mailto:", "tel:")) else target

    text = _LINK.sub(link, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


def is_private(reply: Reply) -> bool:
    """Whether a reply may only be seen by the asker (anything but plain help)."""
    if reply.private or reply.rows or reply.fields or reply.chart is not None or reply.data:
        return True
    return reply.kind not in PUBLIC_KINDS


def profile_command_text(text: str) -> tuple[str, bool]:
    """`/profile SUB ARGS` to the text the router understands; (text, wants_form_modal)."""
    text = (text or "").strip()
    sub, _, rest = text.partition(" ")
    sub_l, rest = sub.lower(), rest.strip()
    if sub_l in ("", "help", "帮助", "?"):
        return "help", False
    if sub_l in ("ask", "问", "查询"):
        return rest or "help", False
    if sub_l in ("interview", "访谈"):
        form = False
        for word in (" form", " modal", " 表单"):
            if rest.lower().endswith(word):
                rest, form = rest[: -len(word)].strip(), True
        zh = sub_l == "访谈" or detect_language(rest) == "zh"
        return (f"访谈 {rest}" if zh else f"interview {rest}").strip(), form
    if sub_l in ("rules", "rule", "规则"):
        if rest.lower().startswith(("if ", "when ", "如果", "当")):
            return rest, False
        return (f"{'规则' if sub_l == '规则' else 'rules'} {rest}").strip(), False
    if sub_l in ("alerts", "alert", "todo", "todos", "提醒", "待办"):
        return (f"{'提醒' if sub_l in ('提醒', '待办') else 'alerts'} {rest}").strip(), False
    return text, False


def parse_value(raw: str | None) -> dict[str, Any]:
    """A button's value as a dict (small JSON; anything else becomes {"value": raw})."""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {"value": raw}
    return data if isinstance(data, dict) else {"value": data}


@dataclass(frozen=True)
class Where:
    """Where a message came from and so where its answers may go."""

    channel: str | None
    user_id: str
    thread_ts: str | None = None
    is_direct: bool = True
    response_url: str | None = None


# --------------------------------------------------------------------------- the store side


def resolve_user(services: Services, client: WebClient, slack_id: str | None) -> str:
    """The profilebot handle of a Slack user through the one identity resolver: by Slack id, else
    by what Slack knows of them (email, display name, real name, any case or width); the Slack id
    is then remembered. "" when no admin has added them."""
    if not slack_id:
        return ""
    with services.session_factory.begin() as s:
        user = find_profile_user(s, slack_id)
        if user is not None and (user.slack_id or "").lower() == slack_id.lower():
            return user.handle
    try:
        info = client.users_info(user=slack_id)
        found = info.get("user") or {}
    except Exception as exc:  # users:read.email missing, user gone, network: unknown, no data
        log.info("users.info for %s failed: %s", slack_id, exc)
        return ""
    profile = found.get("profile") or {}
    spellings = [
        profile.get("email"),
        profile.get("display_name"),
        profile.get("real_name"),
        found.get("real_name"),
        found.get("name"),
    ]
    with services.session_factory.begin() as s:
        user = next((u for u in (find_profile_user(s, w) for w in spellings if w) if u), None)
        if user is None or (user.slack_id and user.slack_id != slack_id):
            return ""  # another Slack account already signs in as them
        if not user.slack_id:
            user.slack_id = slack_id
        return user.handle


def first_time(services: Services, key: str | None) -> bool:
    """True the first time an event id is seen (Slack retries are not answered twice)."""
    if not key:
        return True
    try:
        with services.session_factory.begin() as s:
            s.add(SeenMessage(platform="slack", message_id=key[:200]))
    except IntegrityError:
        return False
    return True


def _row(acc_id: int, ext: str | None, name: str, fields: dict[str, str]) -> AccountRow:
    return AccountRow(id=acc_id, account_id=ext, name=name, fields=fields)


def build_home(services: Services, handle: str, language: str = "en") -> HomeSummary:
    """What the App Home shows: my accounts at risk, open alerts, renewals; team for managers."""

    zh = language == "zh"
    if not handle:
        return HomeSummary(user=None, language=language, known=False)
    as_of = services.today()
    with services.session_factory.begin() as s:
        user = find_profile_user(s, handle)
        if user is None:
            return HomeSummary(user=handle, language=language, known=False)
        summary = HomeSummary(user=handle, language=language, as_of=as_of.isoformat())
        # the App Home reads the figures as held (it never refreshes them) and says when behind
        state = held(s)
        summary.note = figures_held.note(state, as_of, zh)
        scope = scope_for(s, handle)
        if state.as_of is not None:
            summary.at_risk, summary.renewals = _home_lists(s, scope, as_of, zh)
        page = my_alerts(s, user.handle, limit=10)
        summary.alerts_total = page.total
        summary.alerts = [
            AlertLine(
                a.id,
                alert_title(s, a, language),
                a.status,
                (s.get(Account, a.account_id).name if a.account_id else None),
                a.kind,
            )
            for a in page.alerts
        ]
        if user.role in ("manager", "admin"):
            summary.team = _team_lines(s, scope, as_of)
    return summary


def _home_lists(s, scope, as_of, zh: bool) -> tuple[list[AccountRow], list[AccountRow]]:  # noqa: ANN001

    risk = run(
        s,
        Spec(
            where=Condition(all=[Filter(field="tag", op="eq", value="churn_risk")]),
            mine=True,
            sort=[Sort(field="arr", desc=True)],
            limit=10,
            show=["days_since_login"],
        ),
        scope,
        as_of,
    )
    renew = run(
        s,
        Spec(
            where=Condition(all=[Filter(field="days_to_renewal", op="between", value=[0, 30])]),
            mine=True,
            sort=[Sort(field="days_to_renewal", desc=False)],
            limit=10,
        ),
        scope,
        as_of,
    )
    labels = {
        "arr": "ARR",
        "days_since_login": "未登录天数" if zh else "days since login",
        "days_to_renewal": "距续约天数" if zh else "days to renewal",
    }

    def rows(result) -> list[AccountRow]:  # noqa: ANN001
        out = []
        for r in result.rows:
            fields = {}
            for k, v in r.values.items():
                if v is None:
                    continue
                shown = f"{v:,.0f}" if isinstance(v, float) else str(v)
                fields[labels.get(k, k)] = shown
            out.append(_row(r.id, r.account_id, r.name, fields))
        return out

    return rows(risk), rows(renew)


def _team_lines(s, scope, as_of: dt.date) -> list[TeamLine]:  # noqa: ANN001
    """One line per person of the manager's scope, through the spine (handlers/team.py)."""
    books = team_books(s, scope, as_of)
    return [TeamLine(b.owner, b.accounts, b.at_risk, b.arr) for b in books]


# --------------------------------------------------------------------------- the app


class SlackAdapter:
    """Listeners and delivery for one Bolt App around Services."""

    def __init__(self, services: Services, client: WebClient, handle: Handle):
        self.services = services
        self.client = client
        self.handle = handle
        self.messenger = SlackMessenger(client, services.session_factory)

    # ---- delivery
    def deliver(self, client: WebClient, where: Where, replies: list[Reply], respond=None) -> None:  # noqa: ANN001
        """Send replies where they may be seen: DM thread, ephemeral in a channel, or respond()."""
        messenger = SlackMessenger(client, self.services.session_factory)
        for reply in replies:
            payload = message_payload(reply)
            if where.response_url and respond is not None:
                respond(response_type="ephemeral", replace_original=False, **payload)
                if reply.chart is not None or reply.files:
                    self._chart_to_dm(messenger, where, reply)
            elif where.is_direct and where.channel or where.channel and not is_private(reply):
                messenger.post(where.channel, reply, thread_ts=where.thread_ts)
            elif where.channel:
                messenger.ephemeral(where.channel, where.user_id, reply, where.thread_ts)
                if reply.chart is not None or reply.files:
                    self._chart_to_dm(messenger, where, reply)
            else:
                messenger.dm(where.user_id, reply)

    def _chart_to_dm(self, messenger: SlackMessenger, where: Where, reply: Reply) -> None:
        """Images and files cannot be ephemeral: they go to the asker's DM instead."""
        channel = messenger.client.conversations_open(users=where.user_id)["channel"]["id"]
        if reply.chart is not None:
            messenger.upload_chart(channel, reply.chart)
        for attachment in reply.files:
            messenger.upload_file(channel, attachment)

    def tell(self, client: WebClient, where: Where, text: str, language: str, respond=None) -> None:  # noqa: ANN001
        """A short private note to the person (errors, refusals)."""
        self.deliver(
            client,
            where,
            [Reply(text=text, kind="error", language=language, private=True)],
            respond,
        )

    def kindly(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Wrap a lazy listener: a crash is logged with an id and the person told kindly."""

        @functools.wraps(fn)  # Bolt reads the wrapped signature to choose the arguments
        def run(**kwargs: Any) -> None:
            try:
                fn(**kwargs)
            except Exception:
                err = uuid.uuid4().hex[:8]
                body = kwargs.get("body") or {}
                log.exception("slack error %s in %s", err, fn.__name__)
                self._apologise(
                    kwargs.get("client") or self.client, body, err, kwargs.get("respond")
                )

        return run

    def _apologise(self, client: WebClient, body: dict[str, Any], err: str, respond=None) -> None:  # noqa: ANN001
        try:
            event = body.get("event") or {}
            user_id = event.get("user") or body.get("user_id") or (body.get("user") or {}).get("id")
            if not user_id:
                return
            text = event.get("text") or body.get("text") or ""
            lang = detect_language(text)
            msg = (
                f"抱歉，处理时出错了（错误编号 {err}）。请稍后再试。"
                if lang == "zh"
                else f"Sorry, something went wrong (error id {err}). Please try again."
            )
            channel = event.get("channel") or body.get("channel_id")
            where = Where(
                channel=channel,
                user_id=user_id,
                thread_ts=event.get("thread_ts") or event.get("ts"),
                is_direct=event.get("channel_type") == "im",
                response_url=body.get("response_url"),
            )
            self.tell(client, where, msg, lang, respond)
        except Exception:
            log.exception("could not tell the user about error %s", err)

    # ---- messages
    def answer(
        self,
        client: WebClient,
        where: Where,
        text: str,
        respond=None,
        **extra: Any,  # noqa: ANN001
    ) -> list[Reply]:
        """Resolve the asker, run the router, deliver the replies."""
        handle = resolve_user(self.services, client, where.user_id)
        msg = IncomingMessage(
            user=handle,
            text=text,
            platform="slack",
            platform_user_id=where.user_id,
            channel=where.channel,
            thread=where.thread_ts,
            is_direct=where.is_direct,
            as_of=self.services.as_of,
            **extra,
        )
        replies = self.handle(self.services, msg)
        self.deliver(client, where, replies, respond)
        return replies

    def on_mention(self, body: dict[str, Any], client: WebClient) -> None:
        event = body.get("event") or {}
        if event.get("bot_id") or not first_time(self.services, body.get("event_id")):
            return
        where = Where(
            channel=event.get("channel"),
            user_id=event.get("user", ""),
            thread_ts=event.get("thread_ts") or event.get("ts"),
            is_direct=str(event.get("channel", "")).startswith("D"),
        )
        self.answer(client, where, clean_text(event.get("text", "")), message_id=event.get("ts"))

    def on_message(self, body: dict[str, Any], client: WebClient) -> None:
        event = body.get("event") or {}
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return  # channel chatter is not for us: mentions arrive as app_mention
        if event.get("subtype") not in (None, "file_share", "thread_broadcast"):
            return
        if not first_time(self.services, body.get("event_id")):
            return
        where = Where(
            channel=event.get("channel"),
            user_id=event.get("user", ""),
            thread_ts=event.get("thread_ts") or event.get("ts"),
            is_direct=True,
        )
        text = clean_text(event.get("text", ""))
        files = event.get("files") or []
        if not files:
            self.answer(client, where, text, message_id=event.get("ts"))
            return
        for f in files[:5]:
            self._import_file(client, where, text, f, event.get("ts"))

    def _import_file(
        self, client: WebClient, where: Where, text: str, f: dict[str, Any], ts: str | None
    ) -> None:
        name = os.path.basename(f.get("name") or f.get("title") or "upload")
        url = f.get("url_private_download") or f.get("url_private")
        lang = detect_language(text or name)
        if not url or not self._trusted_file_url(url):
            self.tell(
                client,
                where,
                "这个文件无法下载，请重新发送。"
                if lang == "zh"
                else f"I could not fetch '{name}' from Slack. Please send it again.",
                lang,
            )
            return
        if int(f.get("size") or 0) > MAX_FILE_BYTES:
            self.tell(
                client,
                where,
                f"文件 {name} 太大（上限 20 MB）。"
                if lang == "zh"
                else f"'{name}' is larger than 20 MB; split it or import it with `profilebot import`.",
                lang,
            )
            return
        with tempfile.TemporaryDirectory(prefix="profilebot-slack-") as tmp:
            path = Path(tmp) / (name or "upload")
            with httpx.Client(timeout=60, follow_redirects=True) as http:
                resp = http.get(url, headers={"Authorization": f"Bearer {client.token}"})
                resp.raise_for_status()
                path.write_bytes(resp.content[: MAX_FILE_BYTES + 1])
            self.answer(
                client,
                where,
                text or f"import {name}",
                file_path=str(path),
                file_name=name,
                message_id=ts,
            )

    def _trusted_file_url(self, url: str) -> bool:
        """Only send the bot token to Slack (or the configured API host)."""
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        api_host = (urllib.parse.urlsplit(self.client.base_url).hostname or "").lower()
        return host == api_host or host == "slack.com" or host.endswith(".slack.com")

    # ---- /profile
    def on_command(self, body: dict[str, Any], client: WebClient, respond) -> None:  # noqa: ANN001
        text, form = profile_command_text(body.get("text", ""))
        where = Where(
            channel=body.get("channel_id"),
            user_id=body.get("user_id", ""),
            is_direct=body.get("channel_name") == "directmessage",
            response_url=body.get("response_url"),
        )
        if form and self._open_interview_form(client, where, text, body.get("trigger_id"), respond):
            return
        self.answer(client, where, text, respond)

    def _open_interview_form(
        self,
        client: WebClient,
        where: Where,
        text: str,
        trigger_id: str | None,
        respond,  # noqa: ANN001
    ) -> bool:

        payload_fn = interview.current_question_payload
        handle = resolve_user(self.services, client, where.user_id)
        if not handle or not trigger_id:
            return False  # fall back to the interview in the conversation
        account = text.split(" ", 1)[1] if " " in text else ""
        lang = detect_language(text)
        payload = payload_fn(self.services, handle, account, lang)
        if not isinstance(payload, dict):
            if isinstance(payload, Reply):
                self.deliver(client, where, [payload], respond)
                return True
            return False
        client.views_open(trigger_id=trigger_id, view=form_modal(payload, lang))
        return True

    # ---- buttons
    def _click_where(self, body: dict[str, Any]) -> Where:
        container = body.get("container") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        return Where(
            channel=channel,
            user_id=(body.get("user") or {}).get("id", ""),
            thread_ts=container.get("thread_ts") or container.get("message_ts"),
            is_direct=str(channel or "").startswith("D"),
            response_url=body.get("response_url"),
        )

    def _click_language(self, body: dict[str, Any]) -> str:
        message = body.get("message") or {}
        return detect_language(message.get("text") or "")

    def alert_action(
        self, action: str, value: dict[str, Any], handle: str, lang: str = "en"
    ) -> Reply:
        """Run an alert action through handlers.alerts (which re-checks the clicking user)."""

        result = alerts.handle_action(
            self.services, handle, action, value, self.services.now(), lang=lang, platform="slack"
        )
        if isinstance(result, list):
            result = next((r for r in result if isinstance(r, Reply)), None)
        if not isinstance(result, Reply):
            return Reply(text="Done.", kind="alert")
        return result

    def show_result(
        self, client: WebClient, body: dict[str, Any], reply: Reply, origin: dict[str, Any]
    ) -> None:
        """Update the alert message in place, or tell the clicker privately why not."""
        where = Where(
            channel=origin.get("channel"),
            user_id=(body.get("user") or {}).get("id", ""),
            thread_ts=origin.get("ts"),
            is_direct=str(origin.get("channel") or "").startswith("D"),
            response_url=origin.get("response_url"),
        )
        if reply.kind == "error":
            self._private_note(client, where, reply)
            return
        if origin.get("view") == "home":
            self.publish_home(client, where.user_id)
            return
        payload = message_payload(reply)
        if origin.get("ephemeral") and origin.get("response_url"):
            httpx.post(
                origin["response_url"], json={"replace_original": True, **payload}, timeout=10
            )
        elif origin.get("channel") and origin.get("ts"):
            client.chat_update(channel=origin["channel"], ts=origin["ts"], **payload)
        else:
            self._private_note(client, where, reply)

    def _private_note(self, client: WebClient, where: Where, reply: Reply) -> None:
        if where.response_url:
            httpx.post(
                where.response_url,
                json={
                    "response_type": "ephemeral",
                    "replace_original": False,
                    **message_payload(reply),
                },
                timeout=10,
            )
        elif where.channel and not where.is_direct:
            self.messenger_for(client).ephemeral(where.channel, where.user_id, reply)
        else:
            self.messenger_for(client).dm(where.user_id, reply)

    def messenger_for(self, client: WebClient) -> SlackMessenger:
        return SlackMessenger(client, self.services.session_factory)

    def _origin(self, body: dict[str, Any]) -> dict[str, Any]:
        container = body.get("container") or {}
        if container.get("type") == "view" or (body.get("view") or {}).get("type") == "home":
            return {"view": "home"}
        return {
            "channel": container.get("channel_id") or (body.get("channel") or {}).get("id"),
            "ts": container.get("message_ts") or (body.get("message") or {}).get("ts"),
            "ephemeral": bool(container.get("is_ephemeral")),
            "response_url": body.get("response_url"),
        }

    def on_alert_button(self, body: dict[str, Any], client: WebClient) -> None:
        action = (body.get("actions") or [{}])[0]
        action_id = str(action.get("action_id", "")).split(":", 1)[0]
        value = parse_value(action.get("value"))
        handle = resolve_user(self.services, client, (body.get("user") or {}).get("id"))
        lang = self._click_language(body)
        origin = self._origin(body)
        if not handle:
            msg = IncomingMessage(user="", text="", language=lang, platform="slack")
            self.show_result(client, body, router.unknown_user_reply(msg), origin)
            return
        if action_id in (ActionId.ALERT_SNOOZE, ActionId.ALERT_REASSIGN):
            alert_id = int(value.get("alert_id") or value.get("id") or 0)
            build = snooze_modal if action_id == ActionId.ALERT_SNOOZE else reassign_modal
            client.views_open(trigger_id=body.get("trigger_id"), view=build(alert_id, lang, origin))
            return
        reply = self.alert_action(action_id, value, handle, lang)
        self.show_result(client, body, reply, origin)

    def on_profile_button(self, body: dict[str, Any], client: WebClient) -> None:
        action = (body.get("actions") or [{}])[0]
        action_id = str(action.get("action_id", "")).split(":", 1)[0]
        value = parse_value(action.get("value"))
        ref = str(value.get("account_id") or value.get("account") or value.get("id") or "")
        lang = self._click_language(body)
        if action_id == ActionId.INTERVIEW_START:
            text = f"访谈 {ref}" if lang == "zh" else f"interview {ref}"
        elif action_id in (ActionId.RULE_CONFIRM, ActionId.RULE_CANCEL):
            # the pending rule lives in the clicker's ChatState: the click is their "yes"/"no"
            yes = action_id == ActionId.RULE_CONFIRM
            text = ("确认" if yes else "取消") if lang == "zh" else ("yes" if yes else "no")
        else:
            text = f"{ref} 的客户画像" if lang == "zh" else f"tell me about {ref}"
        where = self._click_where(body)
        if (body.get("container") or {}).get("type") == "view":
            where = Where(channel=None, user_id=where.user_id)
        self.answer(client, where, text.strip())

    # ---- modals
    def ack_snooze(self, ack, view: dict[str, Any]) -> None:  # noqa: ANN001
        reason = (view_values(view).get(CallbackId.SNOOZE_REASON) or "").strip()
        if not reason:
            ack(
                response_action="errors",
                errors={str(CallbackId.SNOOZE_REASON): "Please say why / 请填写原因"},
            )
            return
        ack()

    def on_snooze_submit(
        self, body: dict[str, Any], client: WebClient, view: dict[str, Any]
    ) -> None:
        meta = parse_value(view.get("private_metadata"))
        values = view_values(view)
        handle = resolve_user(self.services, client, (body.get("user") or {}).get("id"))
        reason = (values.get(CallbackId.SNOOZE_REASON) or "").strip()
        value = {
            "alert_id": meta.get("alert_id"),
            "reason": reason,
            "days": int(values.get(CallbackId.SNOOZE_DAYS) or 1),
        }
        if not handle:
            return
        lang = meta.get("lang") or detect_language(reason)
        reply = self.alert_action(str(ActionId.ALERT_SNOOZE), value, handle, lang)
        self.show_result(client, body, reply, meta.get("origin") or {})

    def ack_reassign(self, ack, view: dict[str, Any]) -> None:  # noqa: ANN001
        target = view_values(view).get(CallbackId.REASSIGN_TO)
        with self.services.session_factory.begin() as s:
            known = s.scalar(select(User.id).where(User.slack_id == target)) if target else None
        if not known:
            ack(
                response_action="errors",
                errors={
                    str(
                        CallbackId.REASSIGN_TO
                    ): "Not a profilebot user yet / 此人还不是 profilebot 用户"
                },
            )
            return
        ack()

    def on_reassign_submit(
        self, body: dict[str, Any], client: WebClient, view: dict[str, Any]
    ) -> None:
        meta = parse_value(view.get("private_metadata"))
        target = view_values(view).get(CallbackId.REASSIGN_TO)
        handle = resolve_user(self.services, client, (body.get("user") or {}).get("id"))
        to = resolve_user(self.services, client, target)
        if not handle or not to:
            return
        value = {"alert_id": meta.get("alert_id"), "to": to}
        reply = self.alert_action(
            str(ActionId.ALERT_REASSIGN), value, handle, meta.get("lang") or "en"
        )
        self.show_result(client, body, reply, meta.get("origin") or {})

    def on_form_submit(self, body: dict[str, Any], client: WebClient, view: dict[str, Any]) -> None:

        submit = interview.submit_form
        user_id = (body.get("user") or {}).get("id", "")
        handle = resolve_user(self.services, client, user_id)
        if not handle:
            return
        meta = parse_value(view.get("private_metadata"))
        result = submit(self.services, handle, meta, view_values(view))
        replies = result if isinstance(result, list) else [result] if result else []
        if replies:
            self.deliver(client, Where(channel=None, user_id=user_id), replies)

    # ---- App Home
    def publish_home(self, client: WebClient, user_id: str) -> None:
        """Build and publish one user's App Home."""
        handle = resolve_user(self.services, client, user_id)
        lang = "en"
        if handle:
            with self.services.session_factory.begin() as s:
                lang = s.scalar(select(User.language).where(User.handle == handle)) or "en"
        summary = build_home(self.services, handle, lang)
        client.views_publish(user_id=user_id, view=home_view(summary))

    def on_home(self, body: dict[str, Any], client: WebClient) -> None:
        event = body.get("event") or {}
        if event.get("tab", "home") != "home":
            return
        self.publish_home(client, event.get("user", ""))


def _ack(ack) -> None:  # noqa: ANN001
    ack()


def create_app(
    services: Services,
    *,
    client: WebClient | None = None,
    handle: Handle | None = None,
    token_verification_enabled: bool = True,
) -> App:
    """The Bolt App: every listener acks first and works in a lazy listener."""
    settings = services.settings
    client = client or make_web_client(settings)
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    app = App(
        client=client,
        signing_secret=secret,
        process_before_response=False,
        token_verification_enabled=token_verification_enabled,
        name="profilebot",
    )
    adapter = SlackAdapter(services, client, handle or router.handle)
    services.messengers.setdefault("slack", adapter.messenger)
    k = adapter.kindly

    app.event("app_mention")(ack=_ack, lazy=[k(adapter.on_mention)])
    app.event("message")(ack=_ack, lazy=[k(adapter.on_message)])
    app.event("app_home_opened")(ack=_ack, lazy=[k(adapter.on_home)])
    app.command("/profile")(ack=_ack, lazy=[k(adapter.on_command)])
    alert_ids = "|".join(
        re.escape(str(a))
        for a in (
            ActionId.ALERT_ACK,
            ActionId.ALERT_SNOOZE,
            ActionId.ALERT_RESOLVE,
            ActionId.ALERT_REASSIGN,
        )
    )
    app.action(re.compile(rf"^(?:{alert_ids})(?::\d+)?$"))(
        ack=_ack, lazy=[k(adapter.on_alert_button)]
    )
    profile_ids = "|".join(
        re.escape(str(a))
        for a in (
            ActionId.OPEN_PROFILE,
            ActionId.INTERVIEW_START,
            ActionId.RULE_CONFIRM,
            ActionId.RULE_CANCEL,
        )
    )
    app.action(re.compile(rf"^(?:{profile_ids})(?::\d+)?$"))(
        ack=_ack, lazy=[k(adapter.on_profile_button)]
    )
    app.view(str(CallbackId.SNOOZE_MODAL))(
        ack=adapter.ack_snooze, lazy=[k(adapter.on_snooze_submit)]
    )
    app.view(str(CallbackId.REASSIGN_MODAL))(
        ack=adapter.ack_reassign, lazy=[k(adapter.on_reassign_submit)]
    )
    app.view(str(CallbackId.INTERVIEW_MODAL))(ack=_ack, lazy=[k(adapter.on_form_submit)])

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        err = uuid.uuid4().hex[:8]
        log.error("slack listener error %s: %s", err, error, exc_info=error)
        adapter._apologise(client, body or {}, err)
        return BoltResponse(status=200, body="")

    app._profilebot_adapter = adapter  # type: ignore[attr-defined]  # for tests and serve
    return app
