"""Block Kit from a Reply, as pure functions: a header, text, fields, account rows, a context line
saying how the question was understood, and buttons. Nothing here talks to Slack."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from handlers.actions import ActionId, CallbackId
from handlers.messages import AccountRow, Button, Reply
from store.vocab import shown

MAX_BLOCKS = 50  # Slack's limit per message / view
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BUTTONS = 25
MAX_ROWS = 20
MAX_FALLBACK = 3000
MAX_VALUE = 2000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def _plain(text: str, limit: int = MAX_HEADER) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text or " ", limit), "emoji": True}


def _cut_at(line: str, limit: int) -> int:
    """Where to cut an over-long (escaped) line: at the limit, but never inside an entity
    such as &amp; or a surrogate pair, and at a space when one is near."""
    cut = limit
    amp = line.rfind("&", max(0, cut - 6), cut)
    if amp >= 0 and ";" not in line[amp:cut]:
        cut = amp
    space = line.rfind(" ", max(0, cut - 200), cut)
    return space + 1 if space > 0 else cut


def _chunks(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Split long text at line breaks (or inside an over-long line) into non-empty pieces that
    Slack accepts in one section each."""
    out: list[str] = []
    cur = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if cur:
                out.append(cur)
                cur = ""
            cut = _cut_at(line, limit)
            out.append(line[:cut])
            line = line[cut:]
        if cur and len(cur) + len(line) + 1 > limit:
            out.append(cur)
            cur = line
        else:
            cur = f"{cur}\n{line}" if cur else line
    if cur:
        out.append(cur)
    return [piece for piece in out if piece.strip()]


def button_element(button: Button, action_id: str | None = None) -> dict[str, Any]:
    """One Block Kit button; the value is compact JSON (never trusted when clicked)."""
    el: dict[str, Any] = {
        "type": "button",
        "text": _plain(button.label, 75),
        "action_id": action_id or str(button.action),
    }
    if button.value:
        el["value"] = _cut(json.dumps(button.value, separators=(",", ":"), default=str), MAX_VALUE)
    if button.style in ("primary", "danger"):
        el["style"] = button.style
    if button.url:
        el["url"] = button.url
    return el


def buttons_block(buttons: list[Button]) -> dict[str, Any]:
    """An actions block; repeated actions get a ':n' suffix so ids stay unique in the block."""
    seen: dict[str, int] = {}
    elements = []
    for b in buttons[:MAX_BUTTONS]:
        action = str(b.action)
        n = seen.get(action, 0)
        seen[action] = n + 1
        elements.append(button_element(b, action if n == 0 else f"{action}:{n}"))
    return {"type": "actions", "elements": elements}


def row_block(index: int, row: AccountRow) -> dict[str, Any]:
    """One account as a section: its name (and external id) with its figures as fields."""
    name = f"*{index}. {mrkdwn_escape(row.name)}*"
    if row.account_id:
        name += f"  `{mrkdwn_escape(row.account_id)}`"
    block: dict[str, Any] = {"type": "section", "text": _mrkdwn(name)}
    fields = [
        _mrkdwn(f"*{mrkdwn_escape(k)}*\n{mrkdwn_escape(str(v))}", MAX_FIELD_TEXT)
        for k, v in list(row.fields.items())[:MAX_FIELDS]
    ]
    if fields:
        block["fields"] = fields
    return block


def reply_blocks(reply: Reply) -> list[dict[str, Any]]:
    """The Block Kit blocks for a reply, within Slack's limits."""
    zh = reply.language == "zh"
    blocks: list[dict[str, Any]] = []
    if reply.title:
        blocks.append({"type": "header", "text": _plain(reply.title)})
    # Reply text holds customer data (names, comments, answers, notes): escaped, so a name like
    # "<!channel>" or "<https://evil|Renew here>" shows as typed and never pings or links.
    for piece in _chunks(mrkdwn_escape(reply.text or "")):
        blocks.append({"type": "section", "text": _mrkdwn(piece)})
    for heading, body in reply.sections:
        body = mrkdwn_escape(body or "")
        text = f"*{mrkdwn_escape(heading)}*\n{body}" if heading else body
        for piece in _chunks(text):
            blocks.append({"type": "section", "text": _mrkdwn(piece)})
    if reply.fields:
        items = list(reply.fields.items())
        for i in range(0, len(items), MAX_FIELDS):
            blocks.append(
                {
                    "type": "section",
                    "fields": [
                        _mrkdwn(f"*{mrkdwn_escape(k)}*\n{mrkdwn_escape(str(v))}", MAX_FIELD_TEXT)
                        for k, v in items[i : i + MAX_FIELDS]
                    ],
                }
            )
    tail = 1 + (1 if reply.context else 0) + (1 if reply.buttons else 0) + 1
    room = max(0, MAX_BLOCKS - len(blocks) - tail)
    shown = reply.rows[: min(MAX_ROWS, room)]
    if shown:
        blocks.append({"type": "divider"})
        blocks.extend(row_block(i, row) for i, row in enumerate(shown, 1))
    if len(reply.rows) > len(shown):
        more = len(reply.rows) - len(shown)
        blocks.append(
            {
                "type": "context",
                "elements": [
                    _mrkdwn(f"还有 {more} 个客户未显示" if zh else f"…and {more} more not shown")
                ],
            }
        )
    if reply.context:
        label = "理解为" if zh else "Understood as"
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn(f":mag: {label}: {mrkdwn_escape(reply.context)}")],
            }
        )
    if reply.buttons:
        blocks.append(buttons_block(reply.buttons))
    return blocks[:MAX_BLOCKS]


def fallback_text(reply: Reply) -> str:
    """The notification / screen-reader text sent next to the blocks."""
    return _cut(mrkdwn_escape(reply.plain() or reply.text or "") or " ", MAX_FALLBACK)


def message_payload(reply: Reply) -> dict[str, Any]:
    """chat.postMessage / chat.update / respond() arguments for a reply."""
    return {"text": fallback_text(reply), "blocks": reply_blocks(reply)}


# --------------------------------------------------------------------------- modals


def snooze_modal(
    alert_id: int, language: str, origin: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A modal asking how long to snooze an alert and why."""
    zh = language == "zh"
    choices = [(1, "1 天", "1 day"), (3, "3 天", "3 days"), (7, "1 周", "1 week")]
    options = [{"text": _plain(z if zh else e), "value": str(d)} for d, z, e in choices]
    return {
        "type": "modal",
        "callback_id": str(CallbackId.SNOOZE_MODAL),
        "private_metadata": json.dumps(
            {"alert_id": alert_id, "origin": origin or {}, "lang": language}
        ),
        "title": _plain("暂缓提醒" if zh else "Snooze alert", 24),
        "submit": _plain("暂缓" if zh else "Snooze", 24),
        "close": _plain("取消" if zh else "Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": str(CallbackId.SNOOZE_DAYS),
                "label": _plain("暂缓多久" if zh else "For how long"),
                "element": {
                    "type": "static_select",
                    "action_id": str(CallbackId.SNOOZE_DAYS),
                    "initial_option": options[0],
                    "options": options,
                },
            },
            {
                "type": "input",
                "block_id": str(CallbackId.SNOOZE_REASON),
                "label": _plain("原因" if zh else "Reason"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": str(CallbackId.SNOOZE_REASON),
                    "multiline": True,
                },
            },
        ],
    }


def reassign_modal(
    alert_id: int, language: str, origin: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A modal choosing the person an alert goes to instead."""
    zh = language == "zh"
    return {
        "type": "modal",
        "callback_id": str(CallbackId.REASSIGN_MODAL),
        "private_metadata": json.dumps(
            {"alert_id": alert_id, "origin": origin or {}, "lang": language}
        ),
        "title": _plain("转交提醒" if zh else "Reassign alert", 24),
        "submit": _plain("转交" if zh else "Reassign", 24),
        "close": _plain("取消" if zh else "Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": str(CallbackId.REASSIGN_TO),
                "label": _plain("转交给" if zh else "Give it to"),
                "element": {"type": "users_select", "action_id": str(CallbackId.REASSIGN_TO)},
            }
        ],
    }


def form_modal(payload: dict[str, Any], language: str) -> dict[str, Any]:
    """A modal from an interview form payload: {title, questions: [{key, label, hint, type,
    choices, value, optional}], metadata}."""
    zh = language == "zh"
    blocks: list[dict[str, Any]] = []
    for q in payload.get("questions", [])[: MAX_BLOCKS - 1]:
        key = str(q.get("key"))
        choices = q.get("choices") or []
        if choices:
            options = [{"text": _plain(str(c), 75), "value": str(c)[:150]} for c in choices[:100]]
            element: dict[str, Any] = {
                "type": "static_select",
                "action_id": key,
                "options": options,
            }
            if q.get("value") in choices:
                element["initial_option"] = next(
                    o for o in options if o["value"] == str(q.get("value"))[:150]
                )
        else:
            element = {
                "type": "plain_text_input",
                "action_id": key,
                "multiline": q.get("type") == "long",
            }
            if q.get("value") not in (None, ""):
                element["initial_value"] = str(q.get("value"))[:3000]
        block: dict[str, Any] = {
            "type": "input",
            "block_id": key,
            "label": _plain(str(q.get("label") or key), 2000),
            "optional": bool(q.get("optional", True)),
            "element": element,
        }
        if q.get("hint"):
            block["hint"] = _plain(str(q["hint"]), 2000)
        blocks.append(block)
    if not blocks:
        text = mrkdwn_escape(str(payload.get("text") or "")) or " "
        blocks.append({"type": "section", "text": _mrkdwn(text)})
    return {
        "type": "modal",
        "callback_id": str(CallbackId.INTERVIEW_MODAL),
        "private_metadata": _cut(json.dumps(payload.get("metadata") or {}), 3000),
        "title": _plain(str(payload.get("title") or ("客户访谈" if zh else "Interview")), 24),
        "submit": _plain("保存" if zh else "Save", 24),
        "close": _plain("取消" if zh else "Cancel", 24),
        "blocks": blocks,
    }


def view_values(view: dict[str, Any]) -> dict[str, Any]:
    """A submitted view's values by action id (text, selected option, or user)."""
    out: dict[str, Any] = {}
    for block in (view.get("state") or {}).get("values", {}).values():
        for action_id, el in block.items():
            if "selected_option" in el:
                opt = el.get("selected_option")
                out[action_id] = opt.get("value") if opt else None
            elif "selected_user" in el:
                out[action_id] = el.get("selected_user")
            elif "selected_date" in el:
                out[action_id] = el.get("selected_date")
            else:
                out[action_id] = el.get("value")
    return out


# --------------------------------------------------------------------------- App Home


@dataclass
class AlertLine:
    """An open alert or to-do on the App Home."""

    id: int
    title: str
    status: str
    account: str | None = None
    kind: str = "alert"


@dataclass
class TeamLine:
    """One person's book in a manager's team view."""

    owner: str
    accounts: int
    at_risk: int
    arr: float


@dataclass
class HomeSummary:
    """What the App Home shows one user (built by the adapter from the store, inside the scope)."""

    user: str | None
    language: str = "en"
    known: bool = True
    at_risk: list[AccountRow] = field(default_factory=list)
    alerts: list[AlertLine] = field(default_factory=list)
    alerts_total: int = 0  # every open alert of the user's, of which `alerts` is the first page
    renewals: list[AccountRow] = field(default_factory=list)
    team: list[TeamLine] | None = None
    as_of: str | None = None
    note: str | None = None


def _home_rows(rows: list[AccountRow], empty: str, limit: int = 10) -> list[dict[str, Any]]:
    if not rows:
        return [{"type": "context", "elements": [_mrkdwn(empty)]}]
    lines = []
    for row in rows[:limit]:
        extras = " · ".join(f"{k} {v}" for k, v in row.fields.items())
        line = f"• *{mrkdwn_escape(row.name)}*"
        if extras:
            line += f" — {mrkdwn_escape(extras)}"
        lines.append(line)
    if len(rows) > limit:
        lines.append(f"… +{len(rows) - limit}")
    return [{"type": "section", "text": _mrkdwn("\n".join(lines))}]


def home_view(summary: HomeSummary) -> dict[str, Any]:
    """The App Home tab: accounts at risk, open alerts, renewals, and the team for managers."""
    zh = summary.language == "zh"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain("我的客户画像" if zh else "My customers")}
    ]
    if not summary.known:
        text = (
            "你还没有被管理员添加为 profilebot 用户，因此看不到客户数据。"
            if zh
            else "You are not set up as a profilebot user yet, so there is no customer data here. "
            "Ask an admin to add you with `profilebot users add`."
        )
        blocks.append({"type": "section", "text": _mrkdwn(text)})
        return {"type": "home", "blocks": blocks}
    if summary.as_of:
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn(("截至 " if zh else "As of ") + summary.as_of)],
            }
        )
    if summary.note:
        blocks.append({"type": "context", "elements": [_mrkdwn(mrkdwn_escape(summary.note))]})

    blocks.append({"type": "header", "text": _plain("流失风险客户" if zh else "Accounts at risk")})
    blocks += _home_rows(summary.at_risk, "暂无" if zh else "None right now :tada:")

    blocks.append({"type": "header", "text": _plain("我的待处理提醒" if zh else "My open alerts")})
    if not summary.alerts:
        blocks.append({"type": "context", "elements": [_mrkdwn("暂无" if zh else "Nothing open")]})
    for a in summary.alerts[:10]:
        label = f"*#{a.id} {mrkdwn_escape(a.title)}*"
        if a.account:
            label += f"\n{mrkdwn_escape(a.account)}"
        label += f"  _{shown('alert_status', a.status, summary.language)}_"
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(label),
                "accessory": button_element(
                    Button("确认" if zh else "Acknowledge", ActionId.ALERT_ACK, {"alert_id": a.id})
                ),
            }
        )

    if summary.alerts_total > len(summary.alerts[:10]):
        n, total = len(summary.alerts[:10]), summary.alerts_total
        more = (
            f"显示 {n} 条，共 {total} 条 —— 在私信里输入“提醒”、“更多”查看全部"
            if zh
            else f"Showing {n} of {total} — type 'alerts' then 'more' in a DM for the rest"
        )
        blocks.append({"type": "context", "elements": [_mrkdwn(more)]})
    blocks.append(
        {"type": "header", "text": _plain("30 天内续约" if zh else "Renewals in the next 30 days")}
    )
    blocks += _home_rows(summary.renewals, "暂无" if zh else "None in the next 30 days")

    if summary.team is not None:
        blocks.append({"type": "header", "text": _plain("团队概览" if zh else "My team")})
        if not summary.team:
            blocks.append(
                {"type": "context", "elements": [_mrkdwn("暂无" if zh else "No accounts")]}
            )
        lines = []
        for t in summary.team[:25]:
            if zh:
                lines.append(
                    f"• *{mrkdwn_escape(t.owner)}*: {t.accounts} 个客户，"
                    f"{t.at_risk} 个有风险，ARR {t.arr:,.0f}"
                )
            else:
                lines.append(
                    f"• *{mrkdwn_escape(t.owner)}*: {t.accounts} accounts, "
                    f"{t.at_risk} at risk, ARR {t.arr:,.0f}"
                )
        if lines:
            blocks.append({"type": "section", "text": _mrkdwn("\n".join(lines))})
    return {"type": "home", "blocks": blocks[:100]}
