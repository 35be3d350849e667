"""Quick notes in chat: "note Acme: CFO worried about price" / "记一下 某某科技：财务总监嫌贵".

The note lands on the account's timeline at once, with its date and author. The facts it carries
(read by the same extractor interviews use) are shown first and filed to the profile only after a
"yes"; "no" keeps the note and files nothing. Notes are searchable through the query spec
(`note_text contains …`, read by the question parser like any condition): "accounts whose notes
mention price", "备注里提到竞品的客户".
"""

from __future__ import annotations

import re
from typing import Any

from handlers import extract as ex
from handlers.chat_state import put_user_state, user_state
from handlers.messages import IncomingMessage, Reply
from handlers.services import Services
from store import vocab
from store.completeness import ROLE_LABELS
from store.fields import BUILTIN
from store.lang.people import attitude_label
from store.lang.yesno import read_yes_no
from store.models import AccountNote
from store.notes import add_note, file_facts, recent_notes
from store.query import Scope, find_account, scope_for

STATE_KEY = "pending_note"

NOTE_EN = re.compile(
    r"^\s*(?:add\s+(?:a\s+)?note|quick\s+note|note|log)\s+(?:for\s+|on\s+|about\s+|to\s+)?"
    r"(?P<acc>[^:：\n]{1,120}?)\s*[:：]\s*(?P<body>\S.*)$",
    re.I | re.S,
)
NOTE_ZH = re.compile(
    r"^\s*(?:记一下|记一笔|记下|记录一下|记录|备注一下|加个备注|添加备注|随手记)\s*[:：]?\s*"
    r"(?P<acc>[^:：，,。\n]{1,80}?)\s*[:：，,]\s*(?P<body>\S.*)$",
    re.S,
)
SHOW_EN = re.compile(
    r"^\s*(?:show\s+|list\s+)?(?:the\s+)?notes?\s+(?:for|on|about)\s+(?P<acc>.+?)\s*\??$", re.I
)
SHOW_ZH = re.compile(
    r"^\s*(?:看看|查看|显示)?(?P<acc>.+?)的(?:备注|随手记|笔记)(?:有哪些|是什么)?\s*[？?]?$"
)


def _t(zh: bool, en: str, cn: str) -> str:
    return cn if zh else en


def fact_label(key: str, lang: str) -> str:
    """A fact's field name as the reader says it."""
    if key in ROLE_LABELS:
        en, zh = ROLE_LABELS[key]
        return zh if lang == "zh" else en
    f = BUILTIN.get(key)
    return f.label(lang) if f else key


def fact_value(key: str, value: Any, lang: str) -> str:
    """A fact's value as the reader says it (vocabulary values in the reader's language)."""
    if isinstance(value, dict):
        extra = [value.get("title")]
        if value.get("attitude"):
            extra.append(attitude_label(value["attitude"], lang))
        extra = [e for e in extra if e]
        name = value.get("name") or "?"
        return f"{name} ({', '.join(extra)})" if extra else name
    if key in vocab.BY_FIELD and isinstance(value, str):
        return ex.display_value(key, value, lang)
    if key in ("budget", "arr", "annual_revenue") and isinstance(value, int | float):
        return f"¥{value:,.0f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _facts_text(facts: dict[str, Any], lang: str) -> str:
    return "\n".join(f"• {fact_label(k, lang)}: {fact_value(k, v, lang)}" for k, v in facts.items())


def _no_account(msg: IncomingMessage, ref: str) -> Reply:
    text = _t(
        msg.zh,
        f"There is no account called '{ref}' that you can see.",
        f"没有你能看到的名为「{ref}」的客户。",
    )
    return Reply(text=text, kind="error", language=msg.language, private=True)


def _when(note: AccountNote) -> str:
    return note.created_at.strftime("%Y-%m-%d %H:%M")


def _take_note(services: Services, msg: IncomingMessage, ref: str, body: str) -> list[Reply]:
    as_of = services.today(msg.as_of)
    with services.session_factory.begin() as s:
        scope: Scope = scope_for(s, msg.user)
        account = find_account(s, ref.strip(), scope)
        if account is None:
            return [_no_account(msg, ref.strip())]
        facts = ex.extract(body, msg.language, None, today=as_of)
        note = add_note(
            s,
            account,
            body,
            author=msg.user,
            platform=msg.platform,
            language=msg.language,
            facts=facts,
            when=services.now(),
        )
        lead = _t(
            msg.zh,
            f"Noted on {account.name}'s timeline ({_when(note)}, by {msg.user}).",
            f"已记在「{account.name}」的时间线上（{_when(note)}，{msg.user}）。",
        )
        if not facts:
            return [Reply(text=lead, language=msg.language, private=True, kind="text")]
        state = user_state(s, msg.user)
        state[STATE_KEY] = {"note_id": note.id}
        put_user_state(s, msg.user, state)
        ask_line = _t(
            msg.zh,
            "I found these facts in it — file them to the profile? (yes / no)",
            "我从中读到了这些信息——要写入客户画像吗？（是 / 否）",
        )
        return [
            Reply(
                text=f"{lead}\n{ask_line}\n{_facts_text(facts, msg.language)}",
                language=msg.language,
                private=True,
                data={"note_id": note.id, "facts": facts},
            )
        ]


def _confirm(services: Services, msg: IncomingMessage, yes: bool) -> list[Reply] | None:
    with services.session_factory.begin() as s:
        state = user_state(s, msg.user)
        pending = state.get(STATE_KEY)
        if not pending:
            return None
        state.pop(STATE_KEY, None)
        put_user_state(s, msg.user, state)
        note = s.get(AccountNote, pending.get("note_id"))
        if note is None:
            return None
        if not yes:
            text = _t(msg.zh, "OK — the note stays, nothing filed.", "好的，备注保留，不写入画像。")
            return [Reply(text=text, language=msg.language, private=True)]
        # the account may have left the asker's scope since the note was taken
        scope = scope_for(s, msg.user)
        account = find_account(s, str(note.account_id), scope)
        if account is None:
            text = _t(
                msg.zh,
                "You can no longer see that account, so nothing was filed.",
                "你已看不到这个客户，所以没有写入。",
            )
            return [Reply(text=text, kind="error", language=msg.language, private=True)]
        changed = file_facts(s, note, actor=msg.user, platform=msg.platform)
        if not changed:
            text = _t(
                msg.zh,
                f"{account.name}'s profile already said that.",
                f"「{account.name}」的画像里已经是这些信息了。",
            )
        else:
            names = ", ".join(fact_label(k, msg.language) for k in changed)
            text = _t(
                msg.zh,
                f"Filed to {account.name}'s profile: {names}.",
                f"已写入「{account.name}」的画像：{names}。",
            )
        return [Reply(text=text, language=msg.language, private=True)]


def _show(services: Services, msg: IncomingMessage, ref: str) -> list[Reply] | None:
    with services.session_factory.begin() as s:
        account = find_account(s, ref.strip(), scope_for(s, msg.user))
        if account is None:
            return None  # not a name: let the other handlers try
        notes = recent_notes(s, account.id, limit=10)
        if not notes:
            text = _t(
                msg.zh,
                f"No notes on {account.name} yet. Add one: note {account.name}: …",
                f"「{account.name}」还没有备注。添加：记一下 {account.name}：……",
            )
            return [Reply(text=text, language=msg.language, private=True)]
        lines = [f"{_when(n)} · {n.author}: {n.text}" for n in notes]
        title = _t(msg.zh, f"Notes on {account.name}", f"「{account.name}」的备注")
        return [
            Reply(
                text="\n".join(lines),
                title=title,
                language=msg.language,
                private=True,
                data={
                    "notes": [{"when": _when(n), "author": n.author, "text": n.text} for n in notes]
                },
            )
        ]


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """Take a note, confirm its facts, show an account's notes, or search notes."""
    text = (msg.text or "").strip()
    if not text or msg.file_path:
        return None
    yes = read_yes_no(text, "file")
    if yes is not None:
        return _confirm(services, msg, yes)
    m = (NOTE_ZH if msg.zh else NOTE_EN).match(text) or NOTE_EN.match(text)
    if m:
        return _take_note(services, msg, m["acc"], m["body"])
    m = SHOW_ZH.match(text) if msg.zh else SHOW_EN.match(text)
    if m:
        return _show(services, msg, m["acc"])
    return None
