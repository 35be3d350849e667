"""Interview capture (深度访谈): walk a salesperson through a template, one question at a time.

"interview Acme" / "访谈 某某科技" starts or resumes an interview of one account. While it is active,
every message is a command (skip, back, edit <field>, pause, resume, cancel, status, finish — in
English and Chinese), an answer, or a digression (a question to the bot, answered, after which the
same question is asked again). One answer may fill several fields: the extractor (or the LLM,
validated the same way) pulls numbers, money, dates, cities, industries and key people out of it.

State lives in `interview_sessions` and is saved after every step in the request's transaction, so
a killed process continues at the same question with every answer kept. At the end the answers are
written to the profile (source "interview", audited), completeness before → after is shown, and a
summary (key findings, open hypotheses, next steps) goes to the asker and the account owner.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from handlers import extract as ex
from handlers.actions import ActionId
from handlers.interview_template import (
    CONTACT_ATTRS,
    Question,
    Template,
    TemplateError,
    load,
)
from handlers.messages import Button, IncomingMessage, Reply
from handlers.services import Services
from store import audit, completeness, customfields, outbox
from store import interviews as repo
from store.fields import BUILTIN, DEFAULT_KEY_FIELDS
from store.identity import normalise_name
from store.lang.people import ATTITUDE_LABELS, attitude_label, role_label
from store.lang.yesno import read_yes_no
from store.models import Account, Contact, InterviewSession
from store.people import People
from store.query import LOCAL_OPERATOR, Scope, find_account, scope_for
from store.query import sees as query_sees
from store.refresh import mark_stale

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- words

_START = re.compile(
    r"^\s*(?:(?:start|begin|resume|continue)\s+(?:an?\s+|the\s+)?interview\s+(?:with|for|of|at)\s+"
    # "interview notes/answers that mention …", "访谈里/访谈记录…" search notes, they start nothing
    r"|interview\s+(?!(?:notes?|answers?|records?|responses?)\b)(?:with\s+|for\s+)?"
    r"|(?:开始|继续|进行)?(?:深度)?(?:访谈|采访)(?!里|中|内|记录|回答|答案|笔记|纪要)\s*[:：]?\s*"
    r"|(?:给|和|对|跟)\s*(?P<zh_ref>.+?)\s*(?:做|进行)(?:一次|个)?\s*(?:深度)?(?:访谈|采访)\s*$)"
    r"(?P<ref>.*)$",
    re.IGNORECASE,
)
COMMANDS: dict[str, tuple[str, ...]] = {
    "skip": ("skip", "pass", "next", "skip it", "跳过", "下一题", "略过", "不答", "先跳过"),
    "back": ("back", "go back", "previous", "prev", "上一题", "返回", "上一个", "回到上一题"),
    "pause": ("pause", "later", "stop for now", "暂停", "稍后", "先到这", "先到这里", "暂停访谈"),
    "resume": ("resume", "continue", "resume interview", "继续", "继续访谈", "恢复", "恢复访谈"),
    "cancel": ("cancel", "abort", "cancel interview", "取消", "取消访谈", "放弃", "放弃访谈"),
    "status": ("status", "progress", "where am i", "进度", "状态", "访谈进度"),
    "finish": (
        "finish",
        "done",
        "end",
        "end interview",
        "finish interview",
        "结束",
        "完成",
        "结束访谈",
        "完成访谈",
    ),
}
_EDIT = re.compile(
    r"^\s*(?:edit|change|redo|修改|更改|重新回答|改)\s*[:：]?\s*(?P<what>.+?)\s*$", re.IGNORECASE
)


def parse_command(text: str) -> tuple[str, str | None] | None:
    """('skip', None), ('edit', 'city'), ... or None when the text is not a command."""
    t = text.strip().lower().rstrip(".。!！")
    for name, words in COMMANDS.items():
        if t in words:
            return name, None
    m = _EDIT.match(text)
    if m and len(m.group("what")) <= 40:
        return "edit", m.group("what")
    return None


def start_ref(text: str) -> str | None:
    """The account named in "interview Acme" / "访谈 某某科技", or None."""
    m = _START.match(text.strip())
    if not m:
        return None
    ref = (m.group("zh_ref") or m.group("ref") or "").strip().strip("\"'“”「」《》")
    return ref or None


def _t(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


# --------------------------------------------------------------------------- profile values


def _completeness_key(q: Question) -> str | None:
    """The key store.completeness counts for this question's field, if any."""
    if q.kind == "account":
        return q.field
    if q.kind == "custom":
        return q.custom_key
    if q.kind == "contact" and q.attr is None:
        return f"contact:{q.role}"
    return None


def _note_lines(notes: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (notes or "").splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out.setdefault(k.strip().lower(), v.strip())
    return out


def _role_contact(acc: Account, role: str | None) -> Contact | None:
    return next((c for c in acc.contacts if (c.role or "").upper() == role), None)


def profile_value(session: Session, acc: Account, q: Question) -> Any:
    """What the profile holds today for a question's field (None when empty)."""
    if q.kind == "account":
        value = getattr(acc, q.field)
    elif q.kind == "custom":
        value = customfields.values_for(session, acc.id).get(q.custom_key)
    elif q.kind == "notes":
        value = _note_lines(acc.notes).get(q.field.split(":", 1)[1].strip().lower())
    else:
        contact = _role_contact(acc, q.role)
        if contact is None:
            return None
        if q.attr is None:
            value = ex.Person(contact.name, contact.title, contact.role, contact.attitude)
            return value.as_value()
        if q.attr in CONTACT_ATTRS:
            value = getattr(contact, q.attr)
        else:
            value = _note_lines(contact.notes).get(q.attr.lower())
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def format_value(q: Question | None, value: Any, lang: str) -> str:
    """A value as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, dict):
        name = value.get("name") or "?"
        extra = [value.get("title")]
        if value.get("attitude"):
            extra.append(attitude_label(value["attitude"], lang))
        extra = [e for e in extra if e]
        return f"{name} ({', '.join(extra)})" if extra else name
    if q is not None and q.type == "choice":
        return q.choice_label(value, lang)
    if q is not None and q.type == "money" and isinstance(value, int | float):
        return f"¥{value:,.0f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def field_label(q: Question, lang: str) -> str:
    """The short name of a question's field ('Employees' / '员工数', 'EB attitude')."""
    if q.kind == "account" and q.field in BUILTIN:
        return BUILTIN[q.field].label(lang)
    if q.kind == "contact":
        role = q.role or ""
        base = f"{role} " + role_label(role, lang)
        if q.attr is None:
            return base
        attr = {
            "attitude": ("attitude", "态度"),
            "title": ("title", "职位"),
            "influence": ("influence", "影响力"),
        }.get(q.attr, (q.attr, q.attr))
        return f"{role} {_t(lang, attr[0], attr[1])}"
    if q.kind == "notes":
        return q.field.split(":", 1)[1]
    return q.custom_key or q.id


# --------------------------------------------------------------------------- the state machine


@dataclass
class Step:
    """What one message did: replies to send now, and a digression to answer after commit."""

    replies: list[Reply] = field(default_factory=list)
    digression: bool = False
    reask: Reply | None = None


@dataclass
class Ctx:
    """Everything one step reads: the session row, template, account and today."""

    s: Session
    row: InterviewSession
    tpl: Template
    acc: Account
    today: dt.date
    lang: str
    services: Services
    msg: IncomingMessage | None = None

    # ---- what is known
    def answers(self) -> dict[str, Any]:
        return dict(self.row.answers or {})

    def answered(self, q: Question) -> bool:
        return q.field in (self.row.answers or {})

    def value(self, q: Question) -> Any:
        """The session's answer, else the profile's value."""
        a = (self.row.answers or {}).get(q.field)
        if a is not None:
            return a.get("value")
        return profile_value(self.s, self.acc, q)

    def filled(self, q: Question) -> bool:
        return profile_value(self.s, self.acc, q) is not None

    def applicable(self, q: Question) -> bool:
        if q.kind == "custom" and customfields.get_field(self.s, q.custom_key or "") is None:
            return False
        if q.kind == "contact" and q.attr is not None:
            person = self.tpl.by_field(f"contact:{q.role}")
            has_person = _role_contact(self.acc, q.role) is not None or (
                person is not None and self.answered(person)
            )
            if not has_person:
                return False
        return True

    def resolved(self, q: Question) -> bool:
        return self.answered(q) or q.id in (self.row.skipped or [])

    def pending(self) -> list[Question]:
        """Questions still to ask, most needed first (key fields missing from the profile)."""
        out = []
        for q in self.tpl.questions:
            if self.resolved(q) or not self.applicable(q):
                continue
            if self.filled(q) and self.tpl.on_filled_for(q) == "skip":
                continue
            out.append(q)
        missing = self.missing_key()

        def priority(q: Question) -> int:
            # key fields the profile lacks first; so are values the template wants confirmed
            key = _completeness_key(q)
            if key is None and q.kind == "contact" and q.level <= 1:
                key = f"contact:{q.role}"  # an easy attribute follows its person
            if key in missing or (self.filled(q) and self.tpl.on_filled_for(q) == "confirm"):
                return 0
            return 1

        return sorted(out, key=priority)  # stable: template order inside each band

    def missing_key(self) -> set[str]:
        return set(completeness.for_account(self.s, self.acc.id).missing_key)

    def completeness(self, with_answers: bool = True) -> float:
        """Key completeness of the profile, with this interview's answers counted in."""
        extra = set()
        if with_answers:
            for binding in self.row.answers or {}:
                q = self.tpl.by_field(binding)
                if q is not None and (key := _completeness_key(q)):
                    extra.add(key)
        keys, all_fields, _ = completeness.field_sets(self.s)
        wanted = list(dict.fromkeys([*keys, *all_fields]))
        filled = completeness.filled_by_account(self.s, wanted, [self.acc.id]).get(
            self.acc.id, set()
        )
        return completeness.evaluate(filled | extra, keys, all_fields).key

    # ---- prompts
    def question_reply(self, q: Question, lead: str = "", retry_hint: str = "") -> Reply:
        lang = self.lang
        group = self.tpl.group_of(q.id)
        done = sum(1 for x in self.tpl.questions if self.resolved(x))
        total = done + len(self.pending()) + (0 if q in self.pending() else 1)
        lines = []
        if lead:
            lines.append(lead)
        if q.sensitive:
            note = q.note.get(lang) if q.note else ""
            lines.append(
                _t(
                    lang,
                    "⚠ sensitive: infer from context rather than ask directly",
                    "⚠ 敏感话题：建议侧面了解，不要直接问",
                )
                + (f" — {note}" if note else "")
            )
        if retry_hint:
            lines.append(retry_hint)
        lines.append(q.ask.get(lang))
        current = self.value(q)
        if current is not None and not self.answered(q) and self.filled(q):
            shown = format_value(q, current, lang)
            lines.append(
                _t(
                    lang,
                    f"We have {field_label(q, lang)} = {shown} — keep it? "
                    "(yes / or type the new value)",
                    f"目前记录的{field_label(q, lang)}是「{shown}」，保留吗？（回复“是”，或直接输入新值）",
                )
            )
        elif self.answered(q):
            shown = format_value(q, current, lang)
            lines.append(
                _t(
                    lang,
                    f"Current answer: {shown} — type a new value, or `skip` to keep it.",
                    f"当前答案：{shown} —— 输入新值，或回复“跳过”保留。",
                )
            )
        if q.type == "choice":
            opts = " · ".join(f"{i}) {c.label(lang)}" for i, c in enumerate(q.choices, 1))
            lines.append(opts)
        title = f"{self.acc.name} · {group.title.get(lang) if group else ''} ({done + 1}/{total})"
        return Reply(
            text="\n".join(lines),
            title=title,
            kind="interview",
            language=lang,
            private=True,
            data={"interview": self.state_data(q)},
        )

    def state_data(self, q: Question | None) -> dict[str, Any]:
        return {
            "id": self.row.id,
            "account_id": self.acc.id,
            "account": self.acc.name,
            "status": self.row.status,
            "question": q.id if q else None,
            "field": q.field if q else None,
            "type": q.type if q else None,
            "answered": sorted((self.row.answers or {}).keys()),
            "skipped": list(self.row.skipped or []),
        }


def _record(ctx: Ctx, q: Question, value: Any, via: str, raw: str | None = None) -> None:
    answers = ctx.answers()
    answers[q.field] = {"value": value, "via": via, "q": q.id, "raw": (raw or "")[:500]}
    skipped = [x for x in ctx.row.skipped or [] if x != q.id]
    repo.save(ctx.s, ctx.row, answers=answers, skipped=skipped)


def _advance(ctx: Ctx, resolved: Question | None, lead: str = "") -> list[Reply]:
    """Move past a resolved question to the next one, or finish when none is left."""
    trail = list(ctx.row.trail or [])
    if resolved is not None:
        trail.append(resolved.id)
    nxt = ctx.pending()
    if not nxt:
        repo.save(ctx.s, ctx.row, trail=trail, retries=0)
        return finish(ctx, lead=lead)
    repo.save(ctx.s, ctx.row, trail=trail, retries=0, current=nxt[0].id)
    return [ctx.question_reply(nxt[0], lead=lead)]


def _person_value(value: Any, role: str | None) -> dict[str, Any] | None:
    if isinstance(value, dict) and value.get("name"):
        out = {k: v for k, v in value.items() if k in ("name", "title", "attitude") and v}
        out["role"] = role
        if out.get("attitude") not in (None, *ATTITUDE_LABELS):
            out.pop("attitude")
        return out
    if isinstance(value, str) and value.strip():
        try:
            return ex.read_person(value, role).as_value()
        except ex.AnswerError:
            return None
    return None


def _read(ctx: Ctx, q: Question, text: str, llm: dict[str, Any] | None) -> Any:
    """The answer to q from the text (the LLM's reading first when it validates)."""
    if llm and q.field in llm and llm[q.field] not in (None, ""):
        got = _validate(ctx, q, llm[q.field])
        if got is not None:
            return got
    return _read_typed(ctx, q, text)


def _read_typed(ctx: Ctx, q: Question, text: str) -> Any:
    """Read one answer with the question's type, choices and bounds (AnswerError if it won't)."""
    return ex.read_value(
        q.type,
        text,
        language=ctx.lang,
        today=ctx.today,
        choices=q.choice_dicts,
        min_value=q.min,
        max_value=q.max,
        field=q.field,
        role=q.role,
    )


def _validate(ctx: Ctx, q: Question, value: Any) -> Any:
    """A value from the extractor or the LLM, checked by the same rules as a typed answer."""
    if q.type == "person":
        return _person_value(value, q.role)
    try:
        if q.type in ("integer", "number", "money") and isinstance(value, int | float):
            value = float(value)
            if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
                return None
            return int(round(value)) if q.type == "integer" else value
        if q.type == "text" and not isinstance(value, str):
            value = format_value(None, value, ctx.lang)
        return _read_typed(ctx, q, str(value))
    except ex.AnswerError:
        return None


def _llm_reading(ctx: Ctx, text: str, questions: list[Question]) -> dict[str, Any] | None:
    und = ctx.services.understander
    if und is None or not hasattr(und, "extract"):
        return None
    schema = {
        q.field: {
            "type": q.type,
            "label": field_label(q, ctx.lang),
            "question": q.ask.get(ctx.lang),
            **({"choices": [c.value for c in q.choices]} if q.choices else {}),
        }
        for q in questions
    }
    try:
        return und.extract(text, schema, ctx.lang) or None
    except Exception:  # the LLM is optional: any failure falls back to the extractor
        log.exception("LLM extraction failed; using the deterministic extractor")
        return None


def _extras(ctx: Ctx, q: Question, text: str, llm: dict[str, Any] | None) -> list[str]:
    """Fill other still-empty fields from the same answer; returns 'label = value' notes."""
    targets = [
        x for x in ctx.tpl.questions if x.id != q.id and not ctx.answered(x) and not ctx.filled(x)
    ]
    known = {x.field for x in targets}
    # a person answer also carries that person's attitude
    found = ex.extract(
        text,
        ctx.lang,
        known | {f"contact:{r}" for r in ("EB", "TB", "UB")},
        today=ctx.today,
        focus=q.field,
    )
    if llm:
        for k, v in llm.items():
            if k in known and v not in (None, ""):
                found.setdefault(k, v)
    noted: list[str] = []
    for binding, raw in found.items():
        if binding.startswith("contact:") and "." not in binding:
            attitude = raw.get("attitude") if isinstance(raw, dict) else None
            att_q = ctx.tpl.by_field(f"{binding}.attitude")
            person_q = ctx.tpl.by_field(binding)
            same = person_q is not None and person_q.id == q.id
            if (
                attitude
                and att_q is not None
                and not ctx.answered(att_q)
                and (same or binding in known)
            ):
                _record(ctx, att_q, attitude, "extracted", text)
                noted.append(
                    f"{field_label(att_q, ctx.lang)} = {format_value(att_q, attitude, ctx.lang)}"
                )
            if same or binding not in known:
                continue
        target = ctx.tpl.by_field(binding)
        if target is None or binding not in known:
            continue
        value = _validate(ctx, target, raw)
        if value is None:
            continue
        _record(ctx, target, value, "extracted", text)
        noted.append(f"{field_label(target, ctx.lang)} = {format_value(target, value, ctx.lang)}")
    return noted


def _also(lang: str, noted: list[str]) -> str:
    if not noted:
        return ""
    return _t(lang, "Also noted: ", "另外记下了：") + "; ".join(noted)


def _other_holder(ctx: Ctx, q: Question, value: Any) -> Contact | None:
    """The person on file in this buying role when the answer names someone else."""
    if q.type != "person" or q.attr is not None or not isinstance(value, dict):
        return None
    holder = _role_contact(ctx.acc, q.role)
    name = value.get("name") or ""
    if holder is None or not name or normalise_name(holder.name) == normalise_name(name):
        return None
    return holder


def _pending_replacement(ctx: Ctx, q: Question) -> dict[str, Any] | None:
    pending = (ctx.answers().get("_replace") or {}).get("value")
    return pending if pending and pending.get("q") == q.id else None


def _ask_replacement(ctx: Ctx, q: Question, value: dict, holder: Contact, raw: str) -> Step:
    """A new person for a role someone holds: ask before replacing them."""
    answers = ctx.answers()
    answers["_replace"] = {"value": {"q": q.id, "person": value, "raw": raw[:500]}, "via": "meta"}
    repo.save(ctx.s, ctx.row, answers=answers)
    lang = ctx.lang
    new = format_value(q, value, lang)
    hint = _t(
        lang,
        f"{holder.name} is on file as {field_label(q, lang)}. Replace {holder.name} with {new}? "
        f"(yes / no — no keeps {holder.name})",
        f"目前记录的{field_label(q, lang)}是{holder.name}。要用{new}替换{holder.name}吗？"
        f"（是 / 否——回复“否”保留{holder.name}）",
    )
    return Step([ctx.question_reply(q, retry_hint=hint)])


def _settle_replacement(ctx: Ctx, q: Question, pending: dict, yes: bool | None, raw: str) -> Step:
    """The answer to "replace X with Y?": yes records Y, no keeps X, anything else is a new answer."""
    answers = ctx.answers()
    answers.pop("_replace", None)
    repo.save(ctx.s, ctx.row, answers=answers)
    lang = ctx.lang
    if yes is True:
        value = {**pending["person"], "replace": True}
        _record(ctx, q, value, "answer", pending.get("raw"))
        lead = _t(
            lang,
            f"Got it: {field_label(q, lang)} = {format_value(q, value, lang)} (replaces the one "
            "on file when the interview is filed).",
            f"已记录：{field_label(q, lang)} = {format_value(q, value, lang)}（访谈结束写入时替换原记录）。",
        )
        return Step(_advance(ctx, q, lead))
    if yes is False:
        holder = _role_contact(ctx.acc, q.role)
        kept = holder.name if holder else ""
        if holder is not None:
            _record(ctx, q, {"name": holder.name, "title": holder.title}, "confirmed", raw)
        return Step(_advance(ctx, q, _t(lang, f"Kept {kept}.", f"已保留{kept}。")))
    return answer(ctx, q, raw)


def answer(ctx: Ctx, q: Question, text: str) -> Step:
    """Take a message as the answer to the current question (or a digression, or a retry)."""
    lang = ctx.lang
    t = text.strip()
    yes = read_yes_no(t, "keep")
    replacing = _pending_replacement(ctx, q)
    if replacing is not None:
        return _settle_replacement(ctx, q, replacing, yes, t)
    if ctx.filled(q) and not ctx.answered(q) and yes is True:
        _record(ctx, q, ctx.value(q), "confirmed", t)
        return Step(_advance(ctx, q, _t(lang, "Kept.", "已保留。")))
    if ctx.filled(q) and not ctx.answered(q) and yes is False:
        hint = _t(lang, "OK — type the new value.", "好的，请直接输入新值。")
        return Step([ctx.question_reply(q, retry_hint=hint)])
    if ex.is_unknown(t):
        skipped = [*(ctx.row.skipped or []), q.id]
        answers = ctx.answers()
        unknown = (answers.get("_unknown") or {}).get("value") or []
        answers["_unknown"] = {"value": [*unknown, q.id], "via": "meta"}
        repo.save(ctx.s, ctx.row, answers=answers, skipped=skipped)
        return Step(
            _advance(
                ctx,
                q,
                _t(
                    lang,
                    "Noted as unknown — it goes into the open hypotheses.",
                    "已记为“未知”，会列入待验证的假设。",
                ),
            )
        )
    question_like = ex.looks_like_question(t)
    # free-text types accept anything, and a number in "which accounts renew in 30 days?" is no
    # answer: a question-shaped message is a digression unless it only ends with "?" ("300?")
    if question_like and (
        q.type in ("text", "industry", "city", "person") or ex.starts_like_question(t)
    ):
        return Step(
            digression=True,
            reask=ctx.question_reply(q, lead=_t(lang, "Back to the interview:", "回到访谈：")),
        )
    pend = ctx.pending()
    llm = _llm_reading(ctx, t, [q, *[x for x in pend if x.id != q.id]])
    try:
        value = _read(ctx, q, t, llm)
    except ex.AnswerError as err:
        if question_like:
            return Step(
                digression=True,
                reask=ctx.question_reply(q, lead=_t(lang, "Back to the interview:", "回到访谈：")),
            )
        noted = _extras(ctx, q, t, llm)
        retries = (ctx.row.retries or 0) + 1
        repo.save(ctx.s, ctx.row, retries=retries)
        hint = q.hint.get(lang) if q.hint else err.hint(lang)
        if retries >= 2:
            hint = _t(
                lang,
                f"Still not something I can store ({hint}) Type it again, or "
                "`skip` to leave it open.",
                f"还是无法识别（{hint}）请再输入一次，或回复“跳过”先留空。",
            )
        else:
            hint = _t(lang, f"I couldn't use that: {hint}", f"这个答案没法用：{hint}")
        return Step([ctx.question_reply(q, lead=_also(lang, noted), retry_hint=hint)])
    holder = _other_holder(ctx, q, value)
    if holder is not None:
        return _ask_replacement(ctx, q, value, holder, t)
    _record(ctx, q, value, "answer", t)
    noted = _extras(ctx, q, t, llm)
    if q.type == "person" and isinstance(value, dict) and value.get("attitude"):
        att_q = ctx.tpl.by_field(f"{q.field}.attitude")
        if att_q is not None and not ctx.answered(att_q):
            _record(ctx, att_q, value["attitude"], "extracted", t)
            noted.append(
                f"{field_label(att_q, lang)} = {format_value(att_q, value['attitude'], lang)}"
            )
    lead = _t(
        lang,
        f"Got it: {field_label(q, lang)} = {format_value(q, value, lang)}.",
        f"已记录：{field_label(q, lang)} = {format_value(q, value, lang)}。",
    )
    if noted:
        lead += "\n" + _also(lang, noted)
    return Step(_advance(ctx, q, lead))


def _find_question(ctx: Ctx, what: str) -> Question | None:
    w = what.strip().lower().strip("「」\"'“”")
    for q in ctx.tpl.questions:
        names = {
            q.id.lower(),
            q.field.lower(),
            field_label(q, "en").lower(),
            field_label(q, "zh").lower(),
            q.field.split(":", 1)[-1].lower(),
        }
        if q.kind == "account" and q.field in BUILTIN:
            names |= {a.lower() for a in BUILTIN[q.field].aliases}
        if w in names:
            return q
    for (
        q
    ) in ctx.tpl.questions:  # a word of the label: "attitude of EB" is too fuzzy; "city" is fine
        if w and (w in field_label(q, ctx.lang).lower() or w in q.id.lower()):
            return q
    return None


def command(ctx: Ctx, name: str, arg: str | None) -> list[Reply]:
    """skip, back, edit, pause, resume, cancel, status, finish."""
    lang = ctx.lang
    q = ctx.tpl.question(ctx.row.current)
    if name == "skip":
        if q is None:
            return _advance(ctx, None)
        if not ctx.answered(q):
            repo.save(ctx.s, ctx.row, skipped=[*(ctx.row.skipped or []), q.id])
        return _advance(ctx, q, _t(lang, "Skipped.", "已跳过。"))
    if name == "back":
        trail = list(ctx.row.trail or [])
        while trail and ctx.tpl.question(trail[-1]) is None:
            trail.pop()
        if not trail:
            return (
                [
                    ctx.question_reply(
                        q, lead=_t(lang, "This is the first question.", "这已经是第一题了。")
                    )
                ]
                if q
                else []
            )
        prev = ctx.tpl.question(trail.pop())
        skipped = [x for x in ctx.row.skipped or [] if x != prev.id]
        repo.save(ctx.s, ctx.row, trail=trail, skipped=skipped, current=prev.id, retries=0)
        return [ctx.question_reply(prev, lead=_t(lang, "Back one question:", "回到上一题："))]
    if name == "edit":
        target = _find_question(ctx, arg or "")
        if target is None:
            names = ", ".join(q.id for q in ctx.tpl.questions)
            return [
                Reply(
                    text=_t(
                        lang,
                        f"I don't know a field '{arg}' in this interview. Try one of: {names}.",
                        f"这次访谈没有“{arg}”这个字段。可以修改：{names}。",
                    ),
                    kind="interview",
                    language=lang,
                    private=True,
                )
            ] + ([ctx.question_reply(q)] if q else [])
        skipped = [x for x in ctx.row.skipped or [] if x != target.id]
        if q is not None and q.id != target.id:
            trail = [*(ctx.row.trail or []), q.id] if ctx.resolved(q) else list(ctx.row.trail or [])
        else:
            trail = list(ctx.row.trail or [])
        repo.save(ctx.s, ctx.row, skipped=skipped, current=target.id, retries=0, trail=trail)
        return [ctx.question_reply(target, lead=_t(lang, "Editing:", "修改："))]
    if name == "pause":
        repo.save(ctx.s, ctx.row, status="paused")
        n = len([k for k in ctx.row.answers or {} if not k.startswith("_")])
        return [
            Reply(
                text=_t(
                    lang,
                    f"Paused the interview with {ctx.acc.name} ({n} answers kept). "
                    "Say `resume` any time — tomorrow or next week.",
                    f"已暂停与{ctx.acc.name}的访谈（已保存 {n} 个答案）。随时回复“继续”即可恢复。",
                ),
                kind="interview",
                language=lang,
                private=True,
                data={"interview": ctx.state_data(q)},
            )
        ]
    if name == "resume":
        return (
            [ctx.question_reply(q, lead=_t(lang, "We're here:", "当前问题："))]
            if q
            else _advance(ctx, None)
        )
    if name == "cancel":
        repo.finish(ctx.s, ctx.row, "cancelled", ctx.services.now())
        return [
            Reply(
                text=_t(
                    lang,
                    f"Interview with {ctx.acc.name} cancelled; nothing was written to the profile.",
                    f"已取消与{ctx.acc.name}的访谈，画像没有任何改动。",
                ),
                kind="interview",
                language=lang,
                private=True,
            )
        ]
    if name == "status":
        return [status_reply(ctx, q)]
    if name == "finish":
        return finish(ctx)
    return []


def status_reply(ctx: Ctx, q: Question | None) -> Reply:
    lang = ctx.lang
    answers = {k: v for k, v in (ctx.row.answers or {}).items() if not k.startswith("_")}
    pend = ctx.pending()
    before = ctx.row.completeness_before or 0.0
    now = ctx.completeness()
    fields = {}
    for binding, a in answers.items():
        qq = ctx.tpl.by_field(binding)
        if qq is not None:
            fields[field_label(qq, lang)] = format_value(qq, a.get("value"), lang)
    text = _t(
        lang,
        f"Interview with {ctx.acc.name}: {len(answers)} answered, {len(ctx.row.skipped or [])} "
        f"skipped, {len(pend)} to go. Key completeness {before:.0%} → {now:.0%} once saved.",
        f"与{ctx.acc.name}的访谈：已答 {len(answers)} 题，跳过 {len(ctx.row.skipped or [])} 题，"
        f"还剩 {len(pend)} 题。关键信息完成度 {before:.0%} → 保存后 {now:.0%}。",
    )
    if q is not None:
        text += "\n" + _t(lang, "Current question: ", "当前问题：") + q.ask.get(lang)
    return Reply(
        text=text,
        title=_t(lang, "Interview status", "访谈进度"),
        fields=fields,
        kind="interview",
        language=lang,
        private=True,
        data={"interview": ctx.state_data(q)},
    )


# --------------------------------------------------------------------------- writing


def _coerce_column(acc: Account, column: str, value: Any) -> Any:
    python_type = Account.__table__.c[column].type.python_type
    if value is None:
        return None
    if python_type is dt.date:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    if python_type is int:
        return int(round(float(value)))
    if python_type is float:
        return float(value)
    if isinstance(value, float):
        return f"{value:,.0f}" if column in ("budget",) else format_value(None, value, "en")
    return str(value)


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def _person_for(acc: Account, role: str, name: str) -> Contact | None:
    norm = normalise_name(name)
    for c in acc.contacts:
        if normalise_name(c.name) == norm:
            return c
    return None


def write_answers(ctx: Ctx) -> list[dict[str, Any]]:
    """Write the interview's answers to the profile; returns the changes (field, old, new)."""
    s, acc, row = ctx.s, ctx.acc, ctx.row
    actor, platform = row.user_handle, row.platform
    changes: list[dict[str, Any]] = []
    people: dict[str, Contact] = {}
    answers = {k: v for k, v in (row.answers or {}).items() if not k.startswith("_")}

    def change(field_: str, old: Any, new: Any) -> None:
        changes.append({"field": field_, "old": _jsonable(old), "new": _jsonable(new)})

    ordered = sorted(answers.items(), key=lambda kv: ("." in kv[0], kv[0]))  # persons first
    for binding, a in ordered:
        if a.get("via") == "confirmed":
            continue
        q = ctx.tpl.by_field(binding)
        value = a.get("value")
        if q is None or value is None:
            continue
        if q.kind == "account":
            new = _coerce_column(acc, q.field, value)
            old = getattr(acc, q.field)
            if old != new:
                setattr(acc, q.field, new)
                change(q.field, old, new)
        elif q.kind == "notes":
            label = q.field.split(":", 1)[1].strip()
            line = f"{label}: {format_value(q, value, ctx.lang)}"
            lines = (acc.notes or "").splitlines()
            if line not in lines:
                old = acc.notes
                acc.notes = "\n".join(
                    [*(x for x in lines if not x.lower().startswith(label.lower() + ":")), line]
                ).strip()
                change(q.field, old, acc.notes)
        elif q.kind == "custom":
            cf = customfields.get_field(s, q.custom_key or "")
            if cf is None:
                continue
            old = customfields.values_for(s, acc.id).get(cf.key)
            try:
                if customfields.set_value(s, acc.id, cf, value, source="interview", actor=actor):
                    change(q.field, old, value)
            except customfields.FieldError as exc:
                log.warning("interview %s: %s", row.id, exc)
        elif q.attr is None:
            person = value if isinstance(value, dict) else {"name": str(value)}
            contact = _person_for(acc, q.role or "", person.get("name") or "")
            if contact is None:
                contact = Contact(
                    account_id=acc.id,
                    name=person.get("name") or "?",
                    role=q.role,
                    title=person.get("title"),
                    attitude=person.get("attitude"),
                    notes="source: interview",
                )
                acc.contacts.append(contact)
                s.flush()
                change(q.field, None, person)
            else:
                old = {
                    "name": contact.name,
                    "title": contact.title,
                    "role": contact.role,
                    "attitude": contact.attitude,
                }
                contact.role = q.role
                contact.title = person.get("title") or contact.title
                contact.attitude = person.get("attitude") or contact.attitude
                new = {
                    "name": contact.name,
                    "title": contact.title,
                    "role": contact.role,
                    "attitude": contact.attitude,
                }
                if new != old:
                    change(q.field, old, new)
            if person.get("replace"):
                for other in acc.contacts:
                    if other is not contact and (other.role or "").upper() == (q.role or ""):
                        change(q.field, {"name": other.name, "role": other.role}, None)
                        other.role = None
            people[q.role or ""] = contact
        else:
            contact = people.get(q.role or "") or _role_contact(acc, q.role)
            if contact is None:
                continue
            if q.attr in CONTACT_ATTRS:
                old = getattr(contact, q.attr)
                if old != value:
                    setattr(contact, q.attr, str(value))
                    change(q.field, old, value)
            else:
                line = f"{q.attr}: {format_value(q, value, ctx.lang)}"
                lines = [
                    x
                    for x in (contact.notes or "").splitlines()
                    if not x.lower().startswith(f"{q.attr.lower()}:")
                ]
                old = contact.notes
                contact.notes = "\n".join([*lines, line]).strip()
                if old != contact.notes:
                    change(q.field, _note_lines(old).get(q.attr.lower()), value)
    now = ctx.services.now()
    for c in changes:
        audit.record(
            s,
            actor,
            "interview.write",
            platform=platform,
            account_id=acc.id,
            detail={**c, "source": "interview", "interview_id": row.id},
            at=now,
        )
    if changes:
        acc.updated_at = now
        mark_stale(s)
    s.flush()
    return changes


# --------------------------------------------------------------------------- the summary


def summary(ctx: Ctx, lang: str, before: float, after: float) -> tuple[str, list[tuple[str, str]]]:
    """(headline, sections): key findings, open hypotheses, next steps — in one language."""
    answers = {k: v for k, v in (ctx.row.answers or {}).items() if not k.startswith("_")}
    unknown = set((ctx.row.answers or {}).get("_unknown", {}).get("value", []))
    findings, hypotheses, steps = [], [], []
    for q in ctx.tpl.questions:
        a = answers.get(q.field)
        if a is None:
            continue
        value = a.get("value")
        tag = _t(lang, " (confirmed)", "（已确认）") if a.get("via") == "confirmed" else ""
        findings.append(f"• {field_label(q, lang)}: {format_value(q, value, lang)}{tag}")
    people: dict[str, dict[str, Any]] = {}
    for role in ("EB", "TB", "UB"):
        v = answers.get(f"contact:{role}", {}).get("value") or profile_value(
            ctx.s, ctx.acc, ctx.tpl.by_field(f"contact:{role}") or _role_q(role)
        )
        if v:
            att = answers.get(f"contact:{role}.attitude", {}).get("value")
            people[role] = {**v, **({"attitude": att} if att else {})}
    for q in ctx.tpl.questions:
        if q.id in (ctx.row.skipped or []) or q.id in unknown:
            if q.sensitive:
                hypotheses.append(
                    _t(
                        lang,
                        f"• {field_label(q, lang)}: not asked (sensitive) — "
                        "infer from context before the next meeting",
                        f"• {field_label(q, lang)}：敏感话题未直接问 —— 下次见面前侧面推断",
                    )
                )
            elif _completeness_key(q) in set(DEFAULT_KEY_FIELDS):
                hypotheses.append(
                    _t(
                        lang,
                        f"• {field_label(q, lang)}: unknown — to be validated",
                        f"• {field_label(q, lang)}：未知，待验证",
                    )
                )
    still = completeness.for_account(ctx.s, ctx.acc.id).missing_key
    labels = [completeness.label(k, lang) for k in still]
    if labels:
        hypotheses.append(
            _t(lang, "• Still unknown: ", "• 仍未知：") + _t(lang, ", ", "、").join(labels)
        )
    eb = people.get("EB")
    if eb and not eb.get("attitude"):
        hypotheses.append(
            _t(
                lang,
                f"• {eb.get('name')}'s stance is unknown: treat as neutral until validated",
                f"• {eb.get('name')} 的态度未知：在验证前按中立对待",
            )
        )
    for role, p in people.items():
        if p.get("attitude") == "blocker":
            hypotheses.append(
                _t(
                    lang,
                    f"• {p.get('name')} ({role}) is a blocker: likely concerns "
                    "about risk, cost or effort",
                    f"• {p.get('name')}（{role}）持反对态度：可能担心风险、成本或工作量",
                )
            )
            steps.append(
                _t(
                    lang,
                    f"• Meet {p.get('name')} to understand and address the objections",
                    f"• 约{p.get('name')}单独沟通，了解并化解顾虑",
                )
            )
    if "EB" not in people:
        steps.append(
            _t(lang, "• Identify and meet the economic buyer (EB)", "• 找到并约见决策人（EB）")
        )
    if "TB" not in people:
        steps.append(
            _t(lang, "• Find who evaluates the product technically (TB)", "• 确认技术评估人（TB）")
        )
    budget_q = ctx.tpl.by_field("budget")
    if budget_q is not None and budget_q.id in (ctx.row.skipped or []):
        steps.append(
            _t(lang, "• Confirm the budget and whether it is approved", "• 确认预算金额和审批状态")
        )
    end = ctx.acc.contract_end
    end_answer = answers.get("contract_end", {}).get("value")
    if end_answer:
        end = dt.date.fromisoformat(str(end_answer)[:10])
    if end is not None and 0 <= (end - ctx.today).days <= 120:
        days = (end - ctx.today).days
        steps.append(
            _t(
                lang,
                f"• Renewal on {end.isoformat()} ({days} days): prepare the proposal",
                f"• {end.isoformat()} 续约（还有 {days} 天）：准备续约方案",
            )
        )
    pains = answers.get("pains", {}).get("value")
    if pains:
        steps.append(
            _t(
                lang,
                "• Map the pains to a tailored demo / proposal",
                "• 针对痛点准备定制化演示或方案",
            )
        )
    if after < 0.8:
        steps.append(
            _t(
                lang,
                f"• Key completeness is {after:.0%}: fill the rest to reach 80%",
                f"• 关键信息完成度 {after:.0%}：补齐剩余字段，目标 80%",
            )
        )
    headline = _t(
        lang,
        f"Interview with {ctx.acc.name} saved. Key completeness {before:.0%} → {after:.0%}.",
        f"与{ctx.acc.name}的访谈已保存。关键信息完成度 {before:.0%} → {after:.0%}。",
    )
    none = _t(lang, "• none", "• 无")
    sections = [
        (_t(lang, "Key findings", "关键发现"), "\n".join(findings) or none),
        (_t(lang, "Open hypotheses", "待验证的假设"), "\n".join(hypotheses) or none),
        (_t(lang, "Next steps", "下一步"), "\n".join(steps) or none),
    ]
    return headline, sections


def _role_q(role: str) -> Question:
    return Question(
        id=f"_{role}", field=f"contact:{role}", type="person", ask={"en": role, "zh": role}
    )


def finish(ctx: Ctx, lead: str = "") -> list[Reply]:
    """Write to the profile, close the interview, summarise and notify the owner."""
    lang = ctx.lang
    before = ctx.row.completeness_before
    if before is None:
        before = ctx.completeness(with_answers=False)
    changes = write_answers(ctx)
    repo.finish(ctx.s, ctx.row, "done", ctx.services.now())
    ctx.s.expire(ctx.acc, ["contacts"])
    after = ctx.completeness(with_answers=False)
    headline, sections = summary(ctx, lang, before, after)
    text = (lead + "\n" if lead else "") + headline
    text += "\n" + _t(
        lang,
        f"{len(changes)} profile fields written (source: interview, by {ctx.row.user_handle}).",
        f"已写入 {len(changes)} 个画像字段（来源：访谈，记录人 {ctx.row.user_handle}）。",
    )
    other = "zh" if lang == "en" else "en"
    other_headline, other_sections = summary(ctx, other, before, after)
    data = {
        "interview": {**ctx.state_data(None), "status": "done"},
        "completeness_before": before,
        "completeness_after": after,
        "changes": changes,
        "summary": {
            lang: {"text": headline, "sections": sections},
            other: {"text": other_headline, "sections": other_sections},
        },
    }
    reply = Reply(
        text=text,
        title=_t(lang, f"Interview summary · {ctx.acc.name}", f"访谈总结 · {ctx.acc.name}"),
        sections=sections,
        kind="interview",
        language=lang,
        private=True,
        data=data,
        buttons=[
            Button(
                _t(lang, "Open profile", "查看画像"),
                ActionId.OPEN_PROFILE,
                {"account_id": ctx.acc.id},
            )
        ],
    )
    _notify_owner(ctx, data)
    return [reply]


def _notify_owner(ctx: Ctx, data: dict[str, Any]) -> None:
    """Queue the summary for the owner (and the interview's channel) through the outbox."""
    owner = (ctx.acc.owner or "").lower()
    now = ctx.services.now()
    targets: list[tuple[str, str | None]] = []
    user = People.load(ctx.s).resolve(owner) if owner else None  # the one identity resolver
    if owner and (user.handle if user else owner).lower() != ctx.row.user_handle.lower():
        targets.append(("dm", user.handle if user else owner))
        lang = (user.language if user else None) or ctx.lang
    else:
        lang = ctx.lang
    direct = ctx.msg is None or ctx.msg.is_direct
    if ctx.row.channel and ctx.row.platform in ("slack", "wecom") and not direct:
        targets.append(("post", ctx.row.channel))
    for how, recipient in targets:
        part = data["summary"].get(lang) or data["summary"][ctx.lang]
        payload = {
            "kind": "interview_summary",
            "how": how,
            "title": _t(lang, f"Interview summary · {ctx.acc.name}", f"访谈总结 · {ctx.acc.name}"),
            "text": part["text"],
            "sections": [list(x) for x in part["sections"]],
            "account_id": ctx.acc.id,
            "language": lang,
            "interviewer": ctx.row.user_handle,
        }
        try:
            outbox.enqueue(
                ctx.s,
                f"interview:{ctx.row.id}:{how}:{recipient}",
                ctx.row.platform or "terminal",
                recipient,
                payload,
                now,
            )
        except Exception:  # a failed notification must not lose the interview
            log.exception("could not queue the interview summary for %s", recipient)


# --------------------------------------------------------------------------- entry points


def _scope(s: Session, user: str) -> Scope:
    if user == LOCAL_OPERATOR:
        return Scope.everything(user)
    return scope_for(s, user)


def _sees(s: Session, user: str, account_id: int) -> bool:
    """Whether the account is (still) in the user's scope: checked on every step, because an
    account can be reassigned while an interview about it is open."""
    scope = _scope(s, user)
    return query_sees(s, scope, account_id)


def _out_of_scope(services: Services, s: Session, row: InterviewSession, lang: str) -> Reply:
    """Stop an interview whose account the user can no longer see; nothing is written."""
    repo.finish(s, row, "cancelled", services.now())
    return Reply(
        text=_t(
            lang,
            "I stopped this interview: the account is no longer one you can see (it was "
            "reassigned or your access changed), so nothing was written to it.",
            "这次访谈已停止：这个客户已不在你能看到的范围内（可能已转给别人或你的权限变了），"
            "所以没有写入任何内容。",
        ),
        kind="interview",
        language=lang,
        private=True,
        data={"interview": {"status": "cancelled", "reason": "out_of_scope"}},
    )


def _ctx(
    services: Services,
    s: Session,
    row: InterviewSession,
    today: dt.date,
    msg: IncomingMessage | None = None,
) -> Ctx:
    tpl = load(s, row.template)
    acc = s.get(Account, row.account_id)
    return Ctx(s, row, tpl, acc, today, row.language or "en", services, msg)


def _begin(
    services: Services,
    s: Session,
    user: str,
    acc: Account,
    msg: IncomingMessage | None,
    language: str,
    template: str = "default",
) -> list[Reply]:
    today = services.today(msg.as_of if msg else None)
    lang = language
    existing = repo.open_for(s, user, acc.id)
    others = [r for r in repo.history(s, user=user, status="active") if r.account_id != acc.id]
    paused_note = ""
    if others:
        names = ", ".join(s.get(Account, r.account_id).name for r in others)
        paused_note = _t(
            lang, f"(Paused your interview with {names}.)\n", f"（已暂停你与{names}的访谈。）\n"
        )
    if existing is not None:
        repo.activate(s, existing)
        existing.language = lang
        ctx = _ctx(services, s, existing, today, msg)
        q = ctx.tpl.question(existing.current)
        n = len([k for k in existing.answers or {} if not k.startswith("_")])
        lead = paused_note + _t(
            lang,
            f"Resuming the interview with {acc.name} ({n} answers kept).",
            f"继续与{acc.name}的访谈（已保存 {n} 个答案）。",
        )
        if q is None:
            return _advance(ctx, None, lead)
        return [ctx.question_reply(q, lead=lead)]
    tpl = load(s, template)
    row = repo.start(
        s,
        user=user,
        account_id=acc.id,
        template=tpl.name,
        language=lang,
        platform=msg.platform if msg else None,
        channel=msg.channel if msg else None,
    )
    ctx = Ctx(s, row, tpl, acc, today, lang, services, msg)
    before = ctx.completeness(with_answers=False)
    pend = ctx.pending()
    repo.save(s, row, completeness_before=before)
    intro = _t(
        lang,
        f"Interview with {acc.name} ({tpl.title.en}). Key completeness now {before:.0%}; "
        f"{len(pend)} questions to go (what the profile already holds is skipped).\n"
        "Commands: skip · back · edit <field> · pause · resume · cancel · status · finish. "
        "Ask me anything in between — I'll answer and come back to the question.",
        f"开始与{acc.name}的访谈（{tpl.title.zh}）。当前关键信息完成度 {before:.0%}，共 {len(pend)} "
        "个问题（画像里已有的会跳过）。\n"
        "命令：跳过 · 上一题 · 修改 <字段> · 暂停 · 继续 · 取消 · 进度 · 结束。"
        "中途可以随时问我问题，回答后会回到当前问题。",
    )
    if not pend:
        return _advance(ctx, None, paused_note + intro)
    repo.save(s, row, current=pend[0].id)
    return [ctx.question_reply(pend[0], lead=paused_note + intro)]


def _not_found(lang: str, ref: str) -> Reply:
    return Reply(
        text=_t(
            lang,
            f"I can't find an account '{ref}' among the accounts you can see. "
            "Try its id, domain or full name, e.g. `interview C1001`.",
            f"在你能看到的客户中找不到“{ref}”。请试试客户编号、官网域名或全称，例如“访谈 C1001”。",
        ),
        kind="error",
        language=lang,
        private=True,
    )


def start_for_account(
    services: Services, user_handle: str, account_id: int, msg: IncomingMessage | None = None
) -> list[Reply]:
    """Start or resume an interview from the profile card's button (value {"account_id": id})."""
    lang = msg.language if msg else "en"
    with services.session_factory.begin() as s:
        acc = find_account(s, str(account_id), _scope(s, user_handle))
        if acc is None:
            return [_not_found(lang, str(account_id))]
        return _begin(services, s, user_handle, acc, msg, lang)


CANT_ANSWER = ("I can't answer that right now.", "这个问题我暂时回答不了。")


def take(services: Services, msg: IncomingMessage) -> Step | None:
    """Start, resume or continue an interview; None when the message is not for one.

    A digression (a question to the bot mid-interview) comes back as `Step(digression=True)` with
    the question to ask again: the router answers it through its chain, then re-asks.
    """
    if msg.file_path or not msg.user:
        return None
    user = msg.user
    text = msg.text.strip()
    try:
        with services.session_factory.begin() as s:
            return _handle(services, s, msg, user, text)
    except StaleDataError:
        lang = msg.language
        text = _t(
            lang,
            "This interview was just changed from another window; "
            "say `status` to see where it stands.",
            "这次访谈刚在别处被修改了；回复“进度”查看当前状态。",
        )
        return Step([Reply(text=text, kind="interview", language=lang, private=True)])
    except TemplateError as exc:
        return Step([Reply(text=str(exc), kind="error", language=msg.language, private=True)])


def _handle(
    services: Services, s: Session, msg: IncomingMessage, user: str, text: str
) -> Step | None:
    lang = msg.language
    row = repo.active_for(s, user)
    ref = start_ref(text)
    cmd = parse_command(text) if row is not None else None
    if ref and not (row is not None and cmd):
        scope = _scope(s, user)
        if scope.kind == "none":
            return Step(
                [
                    Reply(
                        text=_t(
                            lang,
                            "You are not set up as a profilebot user yet, so I "
                            "can't interview for an account. Ask an admin to add you.",
                            "你还不是 profilebot 用户，无法进行访谈。请联系管理员添加你。",
                        ),
                        kind="error",
                        language=lang,
                        private=True,
                    )
                ]
            )
        acc = find_account(s, ref, scope)
        if acc is None:
            if row is not None:  # an answer that merely starts with the word "interview"
                pass
            else:
                return Step([_not_found(lang, ref)])
        else:
            return Step(_begin(services, s, user, acc, msg, lang))
    today = services.today(msg.as_of)
    if row is None:
        low = text.lower().rstrip(".。!！")
        if low in COMMANDS["resume"] or low in ("resume interview", "继续访谈"):
            paused = repo.latest_paused(s, user)
            if paused is None:
                return None
            if not _sees(s, user, paused.account_id):
                return Step([_out_of_scope(services, s, paused, lang)])
            acc = s.get(Account, paused.account_id)
            return Step(
                _begin(services, s, user, acc, msg, paused.language or lang, paused.template)
            )
        return None
    if not _sees(s, user, row.account_id):
        return Step([_out_of_scope(services, s, row, lang)])
    ctx = _ctx(services, s, row, today, msg)
    if cmd is not None:
        return Step(command(ctx, *cmd))
    q = ctx.tpl.question(row.current)
    if q is None:
        return Step(_advance(ctx, None))
    return answer(ctx, q, text)


# --------------------------------------------------------------------------- the form (Slack modal)


def current_question_payload(
    services: Services, user_handle: str, account: str | int, language: str = "en"
) -> dict[str, Any] | Reply:
    """A form of the remaining questions (Slack modal): {title, questions, metadata, text}."""
    lang = language
    with services.session_factory.begin() as s:
        acc = find_account(s, str(account), _scope(s, user_handle))
        if acc is None:
            return _not_found(lang, str(account))
        row = repo.open_for(s, user_handle, acc.id)
        tpl = load(s, row.template if row else "default")
        ghost = row or InterviewSession(
            user_handle=user_handle,
            account_id=acc.id,
            answers={},
            skipped=[],
            trail=[],
            template=tpl.name,
            language=lang,
        )
        ctx = Ctx(s, ghost, tpl, acc, services.today(), lang, services)
        questions = []
        for q in tpl.questions:
            if not ctx.applicable(q) and not (q.kind == "contact" and q.attr):
                continue
            value = ctx.value(q)
            hint = (
                q.note.get(lang)
                if q.sensitive and q.note
                else (q.hint.get(lang) if q.hint else None)
            )
            if q.sensitive:
                hint = _t(
                    lang, "⚠ sensitive — infer rather than ask. ", "⚠ 敏感话题，建议侧面了解。"
                ) + (hint or "")
            questions.append(
                {
                    "key": q.id,
                    "label": f"{field_label(q, lang)} — {q.ask.get(lang)}"[:2000],
                    "hint": hint,
                    "type": "long" if q.open or q.type == "text" else q.type,
                    "choices": [c.label(lang) for c in q.choices],
                    "value": q.choice_label(value, lang)
                    if q.type == "choice" and value
                    else (format_value(q, value, lang) if value is not None else None),
                    "optional": True,
                }
            )
        return {
            "title": _t(lang, "Interview", "客户访谈") + f" · {acc.name}"[:14],
            "text": _t(lang, f"Interview with {acc.name}", f"与{acc.name}的访谈"),
            "questions": questions,
            "metadata": {"account_id": acc.id, "template": tpl.name, "language": lang},
        }


def submit_form(
    services: Services, user_handle: str, account: Any, values: dict[str, Any]
) -> list[Reply]:
    """Accept a whole form at once: validate every value, then write as an interview would."""
    meta = account if isinstance(account, dict) else {"account_id": account}
    lang = meta.get("language") or "en"
    with services.session_factory.begin() as s:
        acc = find_account(s, str(meta.get("account_id")), _scope(s, user_handle))
        if acc is None:
            return [_not_found(lang, str(meta.get("account_id")))]
        row = repo.open_for(s, user_handle, acc.id)
        if row is None:
            row = repo.start(
                s,
                user=user_handle,
                account_id=acc.id,
                template=meta.get("template") or "default",
                language=lang,
                platform="slack",
            )
        else:
            repo.activate(s, row)
        ctx = _ctx(services, s, row, services.today(), None)
        if row.completeness_before is None:
            repo.save(s, row, completeness_before=ctx.completeness(with_answers=False))
        errors: list[str] = []
        ordered = sorted(ctx.tpl.questions, key=lambda q: q.kind == "contact" and bool(q.attr))
        for q in ordered:
            raw = values.get(q.id)
            if raw in (None, ""):
                continue
            current = ctx.value(q)
            if current is not None and str(raw) == format_value(q, current, lang):
                continue  # unchanged pre-filled value
            try:
                value = ex.read_value(
                    q.type,
                    str(raw),
                    language=lang,
                    today=ctx.today,
                    choices=q.choice_dicts,
                    min_value=q.min,
                    max_value=q.max,
                    field=q.field,
                    role=q.role,
                )
            except ex.AnswerError as err:
                errors.append(f"{field_label(q, lang)}: {err.hint(lang)}")
                continue
            _record(ctx, q, value, "form", str(raw))
        if errors:
            repo.save(s, row, status="paused")
            return [
                Reply(
                    text=_t(
                        lang,
                        "Some answers could not be saved (the rest are kept; "
                        "open the form again to fix them):\n",
                        "部分答案无法保存（其余已保留，请重新打开表单修改）：\n",
                    )
                    + "\n".join(errors),
                    kind="error",
                    language=lang,
                    private=True,
                )
            ]
        return finish(ctx)
