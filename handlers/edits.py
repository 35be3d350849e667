"""Hand edits in chat: tag an account, untag it, set one of its fields — in English or Chinese.

  tag Acme vip · add tag vip to Acme · untag Acme vip · remove tag vip from Acme
  set Acme industry to logistics · set the plan of Acme to enterprise
  给 某某科技 打标签 重点客户 · 去掉 某某科技 的标签 重点客户 · 把 某某科技 的行业改为 物流
Only accounts in the asker's scope can be edited; every change is audited.
"""

from __future__ import annotations

import re

from handlers.messages import IncomingMessage, Reply
from handlers.services import Services
from store.edits import EditError, clear_tag, field_key, set_field, set_tag
from store.query import find_account, scope_for

_TAG_EN = [
    re.compile(r"^(?:please\s+)?tag\s+(?P<acc>.+?)\s+(?:as|with)\s+(?P<tag>[^\s].*)$", re.I),
    re.compile(r"^(?:please\s+)?add\s+(?:the\s+)?tag\s+(?P<tag>.+?)\s+to\s+(?P<acc>.+)$", re.I),
    re.compile(r"^(?:please\s+)?tag\s+(?P<acc>.+)\s+(?P<tag>\S+)$", re.I),
]
_UNTAG_EN = [
    re.compile(r"^(?:please\s+)?untag\s+(?P<acc>.+)\s+(?P<tag>\S+)$", re.I),
    re.compile(
        r"^(?:please\s+)?(?:remove|clear|delete)\s+(?:the\s+)?tag\s+(?P<tag>.+?)\s+from\s+(?P<acc>.+)$",
        re.I,
    ),
]
_SET_EN = [
    re.compile(
        r"^(?:please\s+)?set\s+(?:the\s+)?(?P<field>.+?)\s+of\s+(?P<acc>.+?)\s+to\s+(?P<val>.+)$",
        re.I,
    ),
    re.compile(
        r"^(?:please\s+)?set\s+(?P<acc>.+?)['’]s\s+(?P<field>.+?)\s+to\s+(?P<val>.+)$", re.I
    ),
    re.compile(r"^(?:please\s+)?set\s+(?P<left>.+?)\s+to\s+(?P<val>.+)$", re.I),
]
_TAG_ZH = [
    re.compile(
        r"^(?:请)?(?:给|为)\s*(?P<acc>.+?)\s*(?:打上?|加上?|添加)标签\s*[:：]?\s*(?P<tag>.+)$"
    ),
    re.compile(r"^(?P<acc>.+?)\s*(?:打上?|加上?|添加)标签\s*[:：]?\s*(?P<tag>.+)$"),
]
_UNTAG_ZH = [
    re.compile(
        r"^(?:请)?(?:去掉|删除|移除|取消)\s*(?P<acc>.+?)\s*的\s*标签\s*[:：]?\s*(?P<tag>.+)$"
    ),
]
_SET_ZH = [
    re.compile(
        r"^(?:请)?(?:把|将)\s*(?P<acc>.+?)\s*的\s*(?P<field>.+?)\s*(?:改为|改成|设为|设置为|更新为|修改为)\s*(?P<val>.+)$"
    ),
    re.compile(
        r"^(?P<acc>.+?)\s*的\s*(?P<field>.+?)\s*(?:改为|改成|设为|设置为|更新为|修改为)\s*(?P<val>.+)$"
    ),
]
_ZH_TRIM = "。！!．."


def _strip(s: str) -> str:
    return s.strip().strip("\"'“”‘’「」").rstrip(_ZH_TRIM).strip()


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """Answer a tag/untag/set command; None for anything else."""
    text = (msg.text or "").strip()
    if not text:
        return None
    for kind, patterns in (
        ("untag", _UNTAG_EN + _UNTAG_ZH),
        ("tag", _TAG_EN + _TAG_ZH),
        ("set", _SET_EN + _SET_ZH),
    ):
        for rx in patterns:
            m = rx.match(text)
            if m:
                replies = _apply(services, msg, kind, m.groupdict())
                if replies is not None:
                    return replies
    return None


def _apply(services: Services, msg: IncomingMessage, kind: str, g: dict) -> list[Reply] | None:
    zh = msg.zh
    with services.session_factory.begin() as s:
        scope = scope_for(s, msg.user)
        if kind == "set" and "left" in g and g.get("left"):
            acc_ref, field_name = _split_account_field(s, g["left"])
            if acc_ref is None:
                return None
        else:
            acc_ref, field_name = g.get("acc"), g.get("field")
        acc_ref = _strip(acc_ref or "")
        if kind == "set" and (not field_name or field_key(s, _strip(field_name)) is None):
            return None  # not an edit of a field we know: let the question handlers answer
        account = find_account(s, acc_ref, scope)
        if account is None:
            if kind == "set" or not acc_ref:
                return None
            text = (
                f"找不到你可见的客户“{acc_ref}”。"
                if zh
                else f"No account '{acc_ref}' that you can see."
            )
            return [Reply(text=text, kind="error", language=msg.language)]
        try:
            if kind == "tag":
                tag = _strip(g["tag"])
                added = set_tag(s, account, tag, actor=msg.user, platform=msg.platform)
                if zh:
                    text = (
                        f"已给 {account.name} 打上标签「{tag}」。"
                        if added
                        else f"{account.name} 已有标签「{tag}」。"
                    )
                else:
                    text = (
                        f"Tagged {account.name} '{tag}'."
                        if added
                        else f"{account.name} already has '{tag}'."
                    )
            elif kind == "untag":
                tag = _strip(g["tag"])
                gone = clear_tag(s, account, tag, actor=msg.user, platform=msg.platform)
                if zh:
                    text = (
                        f"已去掉 {account.name} 的标签「{tag}」。若由规则设置，规则仍匹配时会再次出现。"
                        if gone
                        else f"{account.name} 没有标签「{tag}」。"
                    )
                else:
                    text = (
                        f"Removed '{tag}' from {account.name}. If a rule set it, it comes back "
                        "while the rule still matches."
                        if gone
                        else f"{account.name} has no tag '{tag}'."
                    )
            else:
                key, old, new = set_field(
                    s,
                    account,
                    _strip(field_name),
                    _strip(g["val"]),
                    actor=msg.user,
                    platform=msg.platform,
                )
                label = field_name.strip()
                if zh:
                    text = f"已把 {account.name} 的{label}从 {old if old is not None else '空'} 改为 {new if new is not None else '空'}。"
                else:
                    text = (
                        f"Set {account.name}'s {label} from {old if old is not None else 'empty'} "
                        f"to {new if new is not None else 'empty'}."
                    )
        except EditError as exc:
            return [Reply(text=str(exc), kind="error", language=msg.language)]
    return [Reply(text=text, kind="text", language=msg.language, private=True)]


def _split_account_field(session, left: str) -> tuple[str | None, str | None]:  # noqa: ANN001
    """'Acme industry' -> ('Acme', 'industry'): the longest trailing words that name a field."""
    words = left.split()
    for n in range(min(3, len(words) - 1), 0, -1):
        name = " ".join(words[-n:])
        if field_key(session, name) is not None:
            return " ".join(words[:-n]), name
    return None, None
