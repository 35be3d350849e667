"""Rules written as one sentence in chat, English or Chinese, echoed and confirmed before saving.

"if no login for 15 days then tag churn warning and create a to-do for the owner"
"如果近30天购买金额大于5000且购买次数大于3次，则把客户等级设为高价值客户"

The "if" part goes through the same deterministic parser as questions; the "then" part is a
short list of action phrases parsed here. The understood rule and how many accounts it matches
now are echoed; the pending rule waits in ChatState until "yes/确认/保存" (admins only
only) or "no/取消".
"""

from __future__ import annotations

import re
from typing import Any

from handlers.actions import ActionId
from handlers.chat_state import put_user_state, user_state
from handlers.messages import Button, IncomingMessage, Reply
from handlers.parser import ParseContext, parse
from handlers.services import Services
from store import vocab
from store.fields import BUILTIN, EVENT_MEASURES
from store.lang.yesno import read_yes_no
from store.query import find_user, load_catalogue, scope_for, stored_event_types
from store.refresh import ensure_fresh
from store.rules import (
    Action,
    RuleDef,
    RuleError,
    get_rule,
    list_rules,
    normalise_tag,
    preview,
    rule_def,
    save_rule,
)
from store.spec import OP_TEXT_EN, OP_TEXT_ZH, Condition, Filter, RelativeDate

STATE_KEY = "rule"
EN_RULE = re.compile(
    r"^\s*(?:if|when|whenever)\s+(.+?)\s*,?\s+then\s+(.+?)\s*[.!]?\s*$", re.I | re.S
)
ZH_RULE = re.compile(
    r"^\s*(?:如果|假如|若|当)(.+?)[，,\s]*(?:时)?[，,\s]*(?:则|就|那么|那就)(.+?)[。！!]?\s*$", re.S
)
WHO_EN = {
    "owner": "owner",
    "account owner": "owner",
    "sales": "owner",
    "csm": "csm",
    "customer success manager": "csm",
    "customer success": "csm",
    "manager": "manager",
    "sales manager": "manager",
}
WHO_ZH = {
    "负责人": "owner",
    "客户经理": "owner",
    "销售": "owner",
    "客户成功经理": "csm",
    "客户成功": "csm",
    "csm": "csm",
    "经理": "manager",
    "主管": "manager",
    "销售经理": "manager",
}
URL = re.compile(r"https?://\S+")


def _who(text: str, zh: bool) -> str:
    t = text.strip().lower()
    t = re.sub(r"^(?:for|to)\s+", "", t)
    t = re.sub(r"^(?:the|their|its|our)\s+", "", t).strip(" 的")
    table = WHO_ZH if zh else WHO_EN
    for k in sorted(table, key=len, reverse=True):
        if k in t:
            return table[k]
    return t.split()[-1] if t.split() else "owner"


def _value(text: str) -> str:
    v = text.strip().strip("'\"“”「」")
    known = vocab.read("tag", v) if not v.isascii() else None  # 流失预警 → churn_warning
    if known:
        return known
    return normalise_tag(v) if v.isascii() else v


def _field_key(services: Services, label: str, session) -> str | None:  # noqa: ANN001
    t = label.strip().lower().removeprefix("the ").removeprefix("account ").strip()
    t = {
        "客户等级": "tier",
        "等级": "tier",
        "客户状态": "status",
        "状态": "status",
        "level": "tier",
    }.get(t, t)
    fields = load_catalogue(session)
    if t in fields:
        return t
    for f in fields.values():
        if t in (f.label_en.lower(), (f.label_zh or "").lower(), *(a.lower() for a in f.aliases)):
            return f.key
    return None


def parse_actions(services: Services, text: str, zh: bool, session) -> list[Action]:  # noqa: ANN001
    """Action phrases → actions; raises RuleError naming the phrase it did not understand."""
    parts = (
        re.split(r"[，,；;、]|并且|并|然后|同时|再", text)
        if zh
        else re.split(r"\s*(?:,|;|\band then\b|\band also\b|\band\b)\s*", text, flags=re.I)
    )
    out: list[Action] = []
    for raw in (p.strip() for p in parts):
        if not raw:
            continue
        url = URL.search(raw)
        low = raw.lower()
        if url and ("webhook" in low or "回调" in raw or "call" in low or "post" in low):
            out.append(Action(type="webhook", url=url.group(0)))
            continue
        if zh:
            if m := re.search(r"(?:去掉|删除|移除|清除)标签[「“\"]?(.+?)[」”\"]?$", raw):
                out.append(Action(type="untag", tag=_value(m.group(1))))
            elif (
                m := re.search(r"(?:打上?|加上?|添加)?标签[「“\"]?(.+?)[」”\"]?$", raw)
                or re.search(r"打上?[「“\"]?(.+?)[」”\"]?标签$", raw)
                or re.search(r"标记为[「“\"]?(.+?)[」”\"]?$", raw)
            ):
                out.append(Action(type="tag", tag=_value(m.group(1))))
            elif m := re.search(r"(?:把|将)?(.+?)(?:设为|设置为|改为|设成|更新为)(.+)$", raw):
                key = _field_key(services, m.group(1), session)
                if key is None:
                    raise RuleError(f"不认识字段「{m.group(1)}」")
                out.append(Action(type="set_field", field=key, value=_value(m.group(2))))
            elif "待办" in raw or "任务" in raw:
                out.append(Action(type="todo", to=_who(raw.split("待办")[0], True)))
            elif "私信" in raw:
                out.append(Action(type="dm", to=_who(raw.replace("私信", ""), True)))
            elif "提醒" in raw or "告警" in raw or "通知" in raw:
                out.append(
                    Action(type="alert", to=_who(re.sub("提醒|告警|通知|给|发", "", raw), True))
                )
            else:
                raise RuleError(f"不明白这个动作：「{raw}」")
            continue
        if m := re.match(r"^(?:remove|clear|untag)\s+(?:the\s+)?(?:tag\s+)?(.+)$", raw, re.I):
            out.append(Action(type="untag", tag=_value(m.group(1))))
        elif m := re.match(
            r"^(?:add\s+(?:the\s+)?tag|tag(?:\s+(?:it|them|the account))?(?:\s+as)?|mark(?:\s+it)?\s+as|label(?:\s+it)?(?:\s+as)?)\s+(.+)$",
            raw,
            re.I,
        ):
            out.append(Action(type="tag", tag=_value(m.group(1))))
        elif m := re.match(
            r"^(?:set|change|make)\s+(?:the\s+)?(.+?)\s+(?:to|=)\s+(.+)$", raw, re.I
        ):
            key = _field_key(services, m.group(1), session)
            if key is None:
                raise RuleError(f"unknown field '{m.group(1)}' in '{raw}'")
            out.append(Action(type="set_field", field=key, value=_value(m.group(2))))
        elif m := re.search(r"\b(?:to-?do|task)\b(?:\s+for)?\s*(.*)$", raw, re.I):
            out.append(Action(type="todo", to=_who(m.group(1) or "owner", False)))
        elif m := re.match(r"^(?:dm|message|send a message to|direct message)\s+(.+)$", raw, re.I):
            out.append(Action(type="dm", to=_who(m.group(1), False)))
        elif m := re.match(r"^(?:alert|notify|remind|warn)\s+(.+)$", raw, re.I):
            out.append(Action(type="alert", to=_who(m.group(1), False)))
        else:
            raise RuleError(f"I don't know the action '{raw}'")
    if not out:
        raise RuleError("no action after 'then'")
    return out


def _fmt_value(v: Any) -> str:
    if isinstance(v, RelativeDate):
        return f"today{v.days:+d}d" if v.days else "today"
    if isinstance(v, list):
        return "–".join(_fmt_value(x) for x in v)
    return str(v)


def describe_condition(cond: Condition, lang: str) -> str:
    """A condition in words, with the catalogue's labels."""
    ops = OP_TEXT_ZH if lang == "zh" else OP_TEXT_EN
    joiner = (" 且 ", " 或 ") if lang == "zh" else (" and ", " or ")

    def one(x: Filter | Condition) -> str:
        if isinstance(x, Condition):
            return "(" + describe_condition(x, lang) + ")"
        f = BUILTIN.get(x.field)
        if f is None and x.window_days:
            f = BUILTIN.get(f"{x.field}_{x.window_days}d")
        label = f.label(lang) if f else x.field
        if x.field in EVENT_MEASURES and f is None and x.window_days:
            label = f"{x.field} ({x.window_days}d)"
        value = "" if x.value is None else f" {_fmt_value(x.value)}"
        return f"{label} {ops[x.op]}{value}"

    parts = []
    if cond.all:
        parts.append(joiner[0].join(one(x) for x in cond.all))
    if cond.any:
        parts.append("(" + joiner[1].join(one(x) for x in cond.any) + ")")
    text = joiner[0].join(parts)
    return (("非 " if lang == "zh" else "not ") + text) if cond.negate else text


def _unique_name(session, base: str) -> str:  # noqa: ANN001
    name = base[:180] or "rule"
    i = 2
    while get_rule(session, name) is not None:
        name = f"{base[:180]}-{i}"
        i += 1
    return name


def _confirm(services: Services, msg: IncomingMessage, text: str) -> list[Reply] | None:
    yes = read_yes_no(text, "save")
    if yes is None:
        return None
    with services.session_factory.begin() as s:
        state = user_state(s, msg.user)
        pending = state.get(STATE_KEY)
        if not pending:
            return None
        state.pop(STATE_KEY, None)
        put_user_state(s, msg.user, state)
        if not yes:
            text = "好的，这条规则没有保存。" if msg.zh else "OK, I dropped that rule."
            return [Reply(text=text, language=msg.language)]
        user = find_user(s, msg.user)
        if user is None or user.role != "admin":
            text = (
                "只有管理员可以保存规则（规则作用于所有客户）。"
                if msg.zh
                else "Only an admin can save rules (rules act on every account)."
            )
            return [Reply(text=text, kind="error", language=msg.language)]
        rd = RuleDef.model_validate(pending["def"])
        rd.name = _unique_name(s, rd.name)
        row, _created = save_rule(s, rd, actor=user.handle, platform=msg.platform)
        text = (
            f"已保存规则「{row.name}」（编号 {row.id}），每天自动执行。"
            if msg.zh
            else f"Saved rule '{row.name}' (id {row.id}); it runs daily."
        )
    return [Reply(text=text, kind="text", language=msg.language)]


def understand(services: Services, session, text: str, lang: str) -> RuleDef | None:  # noqa: ANN001
    """A rule sentence → RuleDef, None when the text is not a rule; RuleError when half-understood."""

    m = ZH_RULE.match(text) if lang == "zh" else EN_RULE.match(text)
    if m is None:
        m = EN_RULE.match(text) or ZH_RULE.match(text)
        if m is None:
            return None
    cond_text, then_text = m.group(1).strip(), m.group(2).strip()
    # the book's own event types: "no meeting for 30 days" is a condition on its meetings
    parsed = parse(cond_text, lang, ParseContext(event_types=stored_event_types(session)))
    cond = parsed.where
    if not parsed.matched or cond.is_empty():
        raise RuleError(
            f"没看懂条件「{cond_text}」，可以换个说法，例如「超过15天没登录」"
            if lang == "zh"
            else f"I couldn't understand the condition '{cond_text}' — try e.g. 'no login for 15 days'"
        )
    actions = parse_actions(services, then_text, lang == "zh", session)
    first = actions[0]
    base = first.tag or (str(first.value) if first.type == "set_field" else first.type)
    return RuleDef(
        name=normalise_tag(base) if str(base).isascii() else str(base),
        source_text=text.strip(),
        condition=cond,
        actions=actions,
    )


LIST_RULES = re.compile(
    r"^\s*(?:(?:list\s+|show\s+)?(?:the\s+|all\s+)?rules|rules?\s+list|规则(?:列表)?|查看规则|有哪些规则)\s*[?？。.]?\s*$",
    re.I,
)


def list_reply(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """`rules` / `规则` (also `/profile rules`): every rule, on or off, in words."""
    lang = msg.language
    zh = msg.zh
    with services.session_factory() as s:
        if find_user(s, msg.user) is None:
            return None
        lines = []
        for row in list_rules(s):
            rd = rule_def(row)
            cond = describe_condition(rd.condition, lang)
            acts = ("；" if zh else "; ").join(a.describe(lang) for a in rd.actions)
            state = ("开" if row.enabled else "关") if zh else ("on" if row.enabled else "off")
            lines.append(
                f"• {vocab.shown('rule', row.name, lang)}（{state}）：如果 {cond}，则 {acts}"
                if zh
                else f"• {row.name} ({state}): if {cond}, then {acts}"
            )
    if zh:
        head = f"共 {len(lines)} 条规则：" if lines else "还没有规则。"
        tail = "新建规则：直接写一句，例如「如果超过15天没登录，则打标签 流失预警」。"
    else:
        head = f"{len(lines)} rules:" if lines else "There are no rules yet."
        tail = (
            "To add one, write it as a sentence: “if no login for 15 days then tag churn_warning”."
        )
    return [
        Reply(
            text="\n".join([head, *lines, tail]),
            title="规则" if zh else "Rules",
            kind="text",
            language=lang,
        )
    ]


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """Confirm a pending rule, list the rules, or understand a new 'if … then …' sentence."""
    text = msg.text or ""
    if LIST_RULES.match(text):
        return list_reply(services, msg)
    confirmed = _confirm(services, msg, text)
    if confirmed is not None:
        return confirmed
    if not (EN_RULE.match(text) or ZH_RULE.match(text)):
        return None

    zh = msg.zh
    lang = msg.language
    as_of = services.today(msg.as_of)
    with services.session_factory.begin() as s:
        user = find_user(s, msg.user)
        if user is None:
            return None
        try:
            rd = understand(services, s, text, lang)
            if rd is None:
                return None
            ensure_fresh(s, as_of)
            # the asker sees the count over the accounts they may see, nothing more
            total, _rows = preview(s, rd, as_of, scope=scope_for(s, user.handle), limit=1)
        except RuleError as exc:
            return [Reply(text=str(exc), kind="error", language=lang)]
        # rules act on every account (they run unscoped), so only admins may save them
        may_save = user.role == "admin"
        if may_save:
            state = user_state(s, user.handle)
            state[STATE_KEY] = {"def": rd.model_dump(mode="json", by_alias=True), "language": lang}
            put_user_state(s, user.handle, state)
    cond_text = describe_condition(rd.condition, lang)
    acts = (
        "；".join(a.describe("zh") for a in rd.actions)
        if zh
        else "; ".join(a.describe("en") for a in rd.actions)
    )
    if zh:
        body = f"我理解的规则：如果 {cond_text}，则 {acts}。\n现在匹配 {total} 个客户。"
        ask = (
            "保存吗？回复「确认」保存，「取消」放弃。"
            if may_save
            else "只有管理员可以保存规则（规则作用于所有客户），请把这句话转给管理员。"
        )
    else:
        body = f"I understood: if {cond_text}, then {acts}.\nIt matches {total} accounts now."
        ask = (
            "Save it? Reply yes or no."
            if may_save
            else "Only an admin can save rules (rules act on every account): pass this sentence "
            "to an admin."
        )
    buttons = (
        [
            Button("确认" if zh else "Save", ActionId.RULE_CONFIRM, {}, style="primary"),
            Button("取消" if zh else "Cancel", ActionId.RULE_CANCEL, {}),
        ]
        if may_save
        else []
    )
    return [
        Reply(
            text=f"{body}\n{ask}",
            title="新规则" if zh else "New rule",
            buttons=buttons,
            data={"rule": rd.model_dump(mode="json", by_alias=True), "matches": total},
            kind="text",
            language=lang,
        )
    ]
