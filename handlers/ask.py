"""Ask: a question in, an answer from SQL out (the router's fallback).

Understanding: the LLM door (services.understander) when configured, its spec validated; on any
failure, or with no LLM, the deterministic parser. Every answer runs inside the asker's scope
(the terminal's local operator sees everything) and says how the question was understood.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import answer_text as at
from handlers import chat_state, figures_held
from handlers.lexicon import STOPWORDS_EN, VALUE_FIELDS
from handlers.messages import AccountRow, IncomingMessage, Reply
from handlers.parser import CustomRef, ParseContext, Parsed, UserRef, parse
from handlers.profile import profile_reply
from handlers.saved_segments import saved_segment_spec
from handlers.services import Services
from store import audit
from store.fields import EVENT_MEASURES, FieldDef
from store.lang import events as lang_events
from store.models import (
    Account,
    AccountTag,
    ChatState,
    Contact,
    CustomField,
    CustomValue,
    Event,
    FiguresState,
    User,
)
from store.query import (
    LOCAL_OPERATOR,
    QueryResult,
    Scope,
    SpecError,
    find_account,
    load_catalogue,
    run,
    scope_for,
    stored_event_types,
)
from store.spec import Spec
from store.vocab import shown

log = logging.getLogger(__name__)

PAGE_SIZE = 20
ALL_ROWS = 10**9
MORE_WORDS = {
    "more",
    "next",
    "next page",
    "more please",
    "更多",
    "下一页",
    "继续",
    "还有吗",
    "再来",
}
CONTEXT_FIELDS = (*VALUE_FIELDS, "parent")

SUGGEST_EN = (
    "which accounts have not logged in for 15 days?",
    "accounts renewing in the next 30 days",
    "top 10 accounts by ARR",
    "how many accounts per industry",
)
SUGGEST_ZH = (
    "哪些客户超过15天没登录",
    "未来30天内合同到期的客户",
    "年合同额最高的10个客户",
    "各行业有多少客户",
)


# ----------------------------------------------------------------------------- context


# A per-process cache of database content (the parser's context: names, people, values). It is
# never trusted across writes: its key holds figures_state.data_version (bumped by every commit
# that writes a fact, a user, an alias or a saved segment: store.refresh), the figures' day and a
# fingerprint of the tables it reads, so an instance that did not make a write still sees it.
_CONTEXTS: dict[tuple, ParseContext] = {}
_CONTEXTS_MAX = 32


def _context_key(session: Session, scope: Scope) -> tuple:
    """What the context depends on: data changes bump figures_state (mark_stale), and the
    accounts, tags, users and custom fields are fingerprinted directly (count, newest id)."""

    state = session.execute(
        select(FiguresState.data_version, FiguresState.refreshed_at, FiguresState.as_of)
    ).first()
    users = session.execute(select(func.count(), func.max(User.id))).first()
    fields = session.execute(select(func.count(), func.max(CustomField.id))).first()
    accounts = session.execute(
        select(func.count(), func.max(Account.id), func.max(Account.updated_at))
    ).first()
    tags = session.execute(select(func.count(), func.max(AccountTag.id))).first()
    bind = session.get_bind()
    return (
        str(bind.url),
        tuple(state or ()),
        tuple(users),
        tuple(fields),
        tuple(accounts),
        tuple(tags),
        scope.kind,
        scope.identifiers,
        scope.own,
        scope.role,
    )


def cached_context(session: Session, scope: Scope, me: str | None) -> ParseContext:
    """build_context for this asker, reused while nothing it reads has changed (a server
    answers many questions between imports)."""
    key = (*_context_key(session, scope), me)
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        ctx = build_context(session, scope)
        ctx.me = me
        if len(_CONTEXTS) >= _CONTEXTS_MAX:
            _CONTEXTS.pop(next(iter(_CONTEXTS)))
        _CONTEXTS[key] = ctx
    return ctx


def build_context(session: Session, scope: Scope | None = None) -> ParseContext:
    """What this book holds, so the parser recognises its values, people and accounts.

    Account names, ids and domains come only from the accounts the asker may see: a question
    never resolves to (or echoes the name of) an account outside their scope.
    """
    visible = (scope or Scope.everything()).clause()
    values: dict[str, list[str]] = {}
    for key in CONTEXT_FIELDS:
        col = getattr(Account, key)
        values[key] = [
            v for v in session.scalars(select(col).where(col.is_not(None)).distinct()) if v
        ]
    tags = [t for t in session.scalars(select(AccountTag.tag).distinct()) if t]
    users = [
        UserRef(u.handle, u.name, u.email, u.role)
        for u in session.scalars(select(User).where(User.active.is_(True)))
    ]
    rows = session.execute(
        select(Account.name, Account.name_norm, Account.external_id, Account.domain).where(visible)
    ).all()
    names = [r[0] for r in rows]
    norms = {r[0]: r[1] for r in rows if r[1]}
    # ids and domains as find_account matches them (exactly), keyed case-folded
    ids = {str(r[2]).strip().lower(): str(r[2]).strip() for r in rows if r[2] and str(r[2]).strip()}
    domains = {str(r[3]).strip().lower(): str(r[3]).strip() for r in rows if r[3]}
    custom = [
        CustomRef(
            c.key,
            c.label_en,
            c.label_zh,
            c.type,
            tuple(str(a) for a in (c.aliases or ())),
            tuple(str(x) for x in (c.choices or ())),
        )
        for c in session.scalars(select(CustomField))
    ]
    # short text values of custom fields (a letter grade "A"/"B" held in a book's own field)
    fields_by_id = {c.id: c.key for c in session.scalars(select(CustomField))}
    custom_values: dict[str, list[str]] = {}
    for fid, val in session.execute(
        select(CustomValue.field_id, CustomValue.value_text)
        .join(Account, Account.id == CustomValue.account_id)
        .where(visible, CustomValue.value_text.is_not(None))
        .distinct()
    ):
        key = fields_by_id.get(fid)
        vals = custom_values.setdefault(key, []) if key else None
        if vals is not None and len(vals) < 100 and val and len(str(val)) <= 20:
            vals.append(str(val))
    features = sorted(
        {
            str(f)
            for f in session.scalars(
                select(Event.feature).where(Event.feature.is_not(None)).distinct().limit(200)
            )
            if f and len(str(f)) <= 40
        }
    )
    return ParseContext(
        features=features,
        event_types=stored_event_types(session),
        custom_values=custom_values,
        values=values,
        tags=tags,
        users=users,
        accounts=names,
        account_norms=norms,
        custom=custom,
        account_ids=ids,
        domains=domains,
    )


def llm_context(session: Session, as_of: dt.date, language: str) -> dict[str, Any]:
    """What the LLM may see: today, the field catalogue and categorical values — never rows."""
    fields = load_catalogue(session)
    values: dict[str, list[str]] = {}
    for key in ("industry", "city", "plan", "stage", "tier", "status"):
        col = getattr(Account, key)
        values[key] = sorted(
            str(v) for v in session.scalars(select(col).where(col.is_not(None)).distinct()) if v
        )[:60]
    # the event types the book stores: an `events` filter's event_type is one of them
    values["event_type"] = stored_event_types(session)
    return {
        "today": as_of.isoformat(),
        "language": language,
        "fields": [
            {
                "key": f.key,
                "label": f.label_en,
                "label_zh": f.label_zh,
                "type": f.type,
                "doc": f.doc,
            }
            for f in fields.values()
        ],
        "measures": sorted(EVENT_MEASURES),
        "values": values,
        "tags": sorted({t for t in session.scalars(select(AccountTag.tag).distinct()) if t}),
    }


# ----------------------------------------------------------------------------- understanding


def validate_spec(
    spec: Spec, fields: dict[str, FieldDef], event_types: list[str] | None = None
) -> None:
    """Raise SpecError when the spec names a field (or, given the stored `event_types`, an event
    type) this store does not have."""
    if event_types is not None:
        held = {*lang_events.BUILTIN_TYPES, *(lang_events.canonical(t) for t in event_types)}
        for x in (*spec.where.filters(), *spec.sort):
            asked = x.event_type if x.field == "events" else None
            if asked and lang_events.canonical(asked) not in held:
                raise SpecError(f"this book records no '{x.event_type}' events")
    known = set(fields) | set(EVENT_MEASURES) | {"tag", "count"}
    for key in spec.fields_used():
        if key.startswith("contact_"):
            if key.removeprefix("contact_") not in Contact.__table__.c:
                raise SpecError(f"unknown field '{key}'")
            continue
        if key in known:
            continue
        raise SpecError(f"unknown field '{key}'")
    # shapes that validate but cannot compile (an LLM writes them): sum/avg of text or dates,
    # a period on a field that is not a date
    agg = spec.aggregate
    numeric = agg is not None and agg.field in fields and fields[agg.field].numeric
    if agg is not None and agg.func in ("sum", "avg") and agg.field in fields and not numeric:
        raise SpecError(f"cannot {agg.func} '{agg.field}': it is not a number")
    for flt in spec.where.filters():
        if flt.op == "in_period" and flt.field in fields and not fields[flt.field].temporal:
            raise SpecError(f"'{flt.field}' is not a date, so it has no period")


def understand(
    services: Services,
    session: Session,
    msg: IncomingMessage,
    as_of: dt.date,
    *,
    use_llm: bool = True,
) -> tuple[Spec | None, str, Parsed | None]:
    """The question as a spec: (spec, 'llm' | 'parser', parsed); `use_llm=False` reads it with
    the parser only (the caller asks the model itself, outside its transaction)."""
    ctx = cached_context(session, scope_of(session, msg.user), msg.user or None)
    saved = saved_segment_spec(session, msg.text, msg.language, ctx)
    if saved is not None:
        return saved, "parser", None
    parsed = parse(msg.text, msg.language, ctx)
    if parsed.problem:  # an impossible period or size: say so rather than guess
        return None, "parser", parsed
    if use_llm and services.understander is not None:
        try:
            context = llm_context(session, as_of, msg.language)
            spec = services.understander.understand(msg.text, msg.language, context)
            if spec is not None:
                validate_spec(spec, load_catalogue(session), context["values"]["event_type"])
                return spec, "llm", parsed
        except Exception:  # any LLM failure falls back to the parser
            log.warning("LLM understanding failed; using the parser", exc_info=True)
    if parsed.matched and parsed.spec is not None:
        return parsed.spec, "parser", parsed
    return None, "parser", parsed


# ----------------------------------------------------------------------------- answering


def scope_of(session: Session, user: str) -> Scope:
    """The asker's visibility (the terminal's local operator sees everything)."""
    return scope_for(session, user)


def not_understood(msg: IncomingMessage, unparsed: str = "", parsed: Parsed | None = None) -> Reply:
    """Say so, and suggest questions that work (or what is wrong with it, when known)."""
    zh = msg.zh
    sugg = SUGGEST_ZH if zh else SUGGEST_EN
    if parsed is not None and parsed.problem:
        if zh:
            text = f"这个问题无法按原样回答：{parsed.problem_zh}。请修改后再问。"
        else:
            text = f"I can't answer that as asked: {parsed.problem}. Please rephrase."
        data = {
            "text": text,
            "understood": None,
            "accounts": [],
            "matched": False,
            "problem": parsed.problem,
        }
        return Reply(text=text, kind="error", language=msg.language, data=data)
    if zh:
        text = "抱歉，我没看懂这个问题。可以这样问：\n" + "\n".join(f"• {s}" for s in sugg[:3])
    else:
        text = "Sorry, I didn't understand that. Questions I can answer:\n" + "\n".join(
            f"• {s}" for s in sugg[:3]
        )
    data = {"text": text, "understood": None, "accounts": [], "matched": False}
    return Reply(text=text, kind="error", language=msg.language, data=data)


_FUNCTION_WORDS = frozenset(
    {
        *STOPWORDS_EN,
        *[
            "me",
            "my",
            "our",
            "we",
            "us",
            "you",
            "your",
            "it",
            "its",
            "them",
            "they",
            "their",
            "any",
            "some",
            "also",
            "but",  # a clause joiner ("… since Oct 1 but no purchase …"), as "and" is
            "yet",
            "however",
        ],
    }
)


def ignored_words(unparsed: str) -> list[str]:
    """The content words of a question the parser did not use (particles and one-letter bits
    are not content)."""
    out: list[str] = []
    for w in re.split(r"\s+", unparsed or ""):
        w = w.strip("'\".,;:!?()[]{}-")
        if not w or w.lower() in _FUNCTION_WORDS or re.fullmatch(r"[\d.%<>=+-]+", w):
            continue
        if re.search(r"[\u3400-\u9fff]", w):
            if len(w) >= 2:
                out.append(w)
        elif len(w) >= 3 and re.search(r"[a-zA-Z]", w):
            out.append(w)
    return out


def say_ignored(reply: Reply, unparsed: str, msg: IncomingMessage) -> None:
    """An answer that left content words unused says so, rather than quietly answering a
    broader question: "I understood … but not 'purple'" / "我理解为……，但没有理解「紫色」"."""
    words = ignored_words(unparsed)
    if not words or reply.kind not in ("answer", "profile"):
        return
    how = reply.context or ""
    if msg.zh:
        shown = "」「".join(words)
        note = f"注意：我理解为“{how}”，但没有理解「{shown}」。如果它应当缩小范围，请换个说法再问。"
    else:
        shown = "', '".join(words)
        note = (
            f"Note: I understood this as \"{how}\", but not '{shown}'. If that should narrow "
            "the answer, please rephrase."
        )
    reply.text = f"{reply.text}\n{note}"
    data = dict(reply.data or {})
    data["text"] = f"{data.get('text') or ''}\n{note}".strip()
    data["ignored"] = words
    reply.data = data


def unknown_account(msg: IncomingMessage, ref: str) -> Reply:
    """A name that is no account the asker can see: say so (never another account)."""
    k = (msg.text or "").lower().find(ref.lower())
    if k >= 0:  # as the asker wrote it
        ref = msg.text[k : k + len(ref)]
    text = (
        f"没有你能看到的名为“{ref}”的客户。可以用客户编号、域名或全称再试一次。"
        if msg.zh
        else f"No account called '{ref}' that you can see. Try its id, domain or full name."
    )
    data = {"text": text, "understood": None, "accounts": [], "total": 0, "matched": False}
    return Reply(text=text, kind="answer", language=msg.language, data=data)


def no_access(msg: IncomingMessage, spec: Spec | None) -> Reply:
    if msg.zh:
        text = "你还没有被管理员添加为 profilebot 用户，因此看不到客户数据。请联系管理员用 `profilebot users add` 添加你。"
    else:
        text = (
            "You are not set up as a profilebot user yet, so I can't show you customer data. "
            "Ask an admin to add you with `profilebot users add`."
        )
    data = {
        "text": text,
        "understood": spec.model_dump(mode="json") if spec else None,
        "accounts": [],
        "total": 0,
    }
    return Reply(text=text, kind="error", language=msg.language, private=True, data=data)


def answer(
    services: Services,
    session: Session,
    msg: IncomingMessage,
    spec: Spec,
    *,
    source: str = "parser",
    offset: int = 0,
) -> Reply:
    """Run a spec for the asker and build the reply (text page + the full JSON answer), on the
    figures as they are held (a question never refreshes them; it says when they are behind)."""
    as_of = services.today(msg.as_of)
    scope = scope_of(session, msg.user)
    if scope.kind == "none" and msg.user != LOCAL_OPERATOR:
        return no_access(msg, spec)
    reply = _answer(services, session, msg, spec, scope, as_of, source=source, offset=offset)
    return figures_held.stamp(session, reply, as_of, msg.zh)


def _answer(
    services: Services,
    session: Session,
    msg: IncomingMessage,
    spec: Spec,
    scope: Scope,
    as_of: dt.date,
    *,
    source: str,
    offset: int,
) -> Reply:
    if spec.account:
        return profile_answer(services, session, msg, spec, scope, as_of)
    fields = load_catalogue(session)
    lang = msg.language
    zh = msg.zh
    how = at.understood(spec, lang, fields)
    data: dict[str, Any] = {
        "understood": spec.model_dump(mode="json"),
        "as_of": as_of.isoformat(),
        "source": source,
    }
    intent = spec.intent
    chat_state.update(
        session,
        msg,
        services.clock(),
        spec=spec.model_dump(mode="json"),
        language=lang,
        choices=None,
        pending=None,
    )
    if intent == "breakdown":
        res = run(session, spec, scope, as_of, language=lang)
        rows = [
            {"key": g["key"], "count": g["count"], "value": g["value"]}
            | ({"handle": g["handle"]} if "handle" in g else {})
            for g in res.groups
        ]
        text, body = _breakdown_text(spec, res, lang, fields, how)
        data.update({"rows": rows, "total": res.total, "accounts": [], "value": None})
        data["text"] = text + ("\n" + body if body else "")
        return Reply(
            text=text,
            sections=[("", body)] if body else [],
            context=how,
            kind="answer",
            language=lang,
            data=data,
            private=True,
        )

    # every matching account (top-N: the first N) in answer order
    full = spec.model_copy(update={"limit": spec.limit or ALL_ROWS, "offset": 0})
    if intent in ("count", "aggregate"):
        listing = full.model_copy(update={"aggregate": None})
        res_all = run(session, listing, scope, as_of)
        total = res_all.total
        value: Any = total
        if intent == "aggregate":
            value = run(session, spec, scope, as_of).value
    else:
        res_all = run(session, full, scope, as_of)
        value = None
        total = len(res_all.rows) if spec.limit else res_all.total
    accounts = [{"id": r.id, "account_id": r.account_id, "name": r.name} for r in res_all.rows]
    page = res_all.rows[offset : offset + PAGE_SIZE]
    rows = [_row(r, lang, spec, fields) for r in page]
    if intent == "count":
        text = at.count_sentence(spec, total, lang, fields)
    elif intent == "aggregate":
        name_v = _agg_value_text(spec, value)
        text = (
            f"{how}：{name_v}（{total} 个客户）。"
            if zh
            else f"{_cap(how)}: {name_v} ({total} accounts)."
        )
    elif total == 0:
        text = f"{how} —— 没有符合条件的客户。" if zh else f"{_cap(how)} — no accounts match."
    else:
        text = f"{how} —— 共 {total} 个。" if zh else f"{_cap(how)} — {total} found."
    paging = ""
    if intent == "list" and len(res_all.rows) > offset + PAGE_SIZE:
        a, b = offset + 1, offset + len(page)
        paging = (
            f"显示第 {a}–{b} 个，共 {len(res_all.rows)} 个；输入“更多”查看下一页。"
            if zh
            else f"Showing {a}–{b} of {len(res_all.rows)}; say 'more' for the next page."
        )
    elif intent == "list" and offset and page:
        a, b = offset + 1, offset + len(page)
        paging = (
            f"显示第 {a}–{b} 个，共 {len(res_all.rows)} 个。"
            if zh
            else f"Showing {a}–{b} of {len(res_all.rows)}."
        )
    if intent != "list":
        rows = []
    data.update(
        {
            "accounts": accounts,
            "total": total,
            "value": value if intent in ("count", "aggregate") else None,
            "page": {"offset": offset, "size": PAGE_SIZE, "shown": len(rows)},
        }
    )
    lines = [text]
    lines += [
        f"{offset + i}. {r.name} — " + " · ".join(f"{k} {v}" for k, v in r.fields.items())
        for i, r in enumerate(rows, 1)
    ]
    if paging:
        lines.append(paging)
    data["text"] = "\n".join(lines)
    shown_ids = [r.id for r in (page if intent == "list" else res_all.rows)]
    _audit(session, msg, shown_ids if intent == "list" else [a["id"] for a in accounts], spec)
    if intent == "list":
        _remember(session, msg, spec, offset, len(res_all.rows))
    return Reply(
        text=text,
        rows=rows,
        context=how,
        sections=[("", paging)] if paging else [],
        kind="answer",
        language=lang,
        data=data,
        private=True,
    )


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _agg_value_text(spec: Spec, value: Any) -> str:
    if value is None:
        return "—"
    key = spec.aggregate.field if spec.aggregate else None
    return at.format_value(key or "", value, "en")


def _window_of(spec: Spec | None, key: str) -> int | None:
    """The window a shown event measure was asked over (its filter's, else its sort's)."""
    if spec is None:
        return None
    window = next((f.window_days for f in spec.where.filters() if f.field == key), None)
    return window or next((s.window_days for s in spec.sort if s.field == key), None)


def _row(
    r: Any, lang: str, spec: Spec | None = None, catalogue: dict[str, FieldDef] | None = None
) -> AccountRow:
    zh = lang == "zh"
    fields = {("负责人" if zh else "owner"): r.owner or "—"}
    for key, v in r.values.items():
        flt = next((f for f in spec.where.filters() if f.field == key), None) if spec else None
        if flt is None and spec is not None:  # a ranked measure: over the window it was ranked
            flt = next((x for x in spec.sort if x.field == key), None)
        if flt is not None and key in EVENT_MEASURES:
            lbl = at.measure_label(flt, lang)
        else:
            lbl = at.label(key, lang, catalogue, _window_of(spec, key))  # 竞争对手, not competitor
        if key == "days_since_login" and v is None:
            fields[lbl] = "从未登录" if zh else "never"
        else:
            fields[lbl] = at.format_value(key, v, lang)
    return AccountRow(id=r.id, account_id=r.account_id, name=r.name, fields=fields)


def _breakdown_text(
    spec: Spec, res: QueryResult, lang: str, fields: dict[str, FieldDef], how: str
) -> tuple[str, str]:
    zh = lang == "zh"
    if not res.groups:
        return (f"{how} —— 没有符合条件的客户。" if zh else f"{_cap(how)} — no accounts match."), ""
    head = at.breakdown_head(spec, res.total, lang, fields)
    agg = spec.aggregate
    lines = []
    for g in res.groups:
        key = g["key"] if g["key"] not in (None, "") else ("（空）" if zh else "(none)")
        if isinstance(key, str) and spec.group_by:
            key = shown(spec.group_by, key, lang)
        line = f"• {key}: {g['count']}"
        if agg is not None and agg.func != "count" and agg.field:
            line += f" · {at.format_value(agg.field, g['value'], lang)}"
        lines.append(line)
    return head, "\n".join(lines)


def profile_answer(
    services: Services,
    session: Session,
    msg: IncomingMessage,
    spec: Spec,
    scope: Scope,
    as_of: dt.date,
) -> Reply:
    """One account's card (the profile handler's, or a short one of our own)."""
    acc = find_account(session, spec.account or "", scope)
    understood = spec.model_dump(mode="json")
    if acc is None:
        text = (
            f"没有你能看到的名为“{spec.account}”的客户。可以用客户编号、域名或全称再试一次。"
            if msg.zh
            else f"No account called '{spec.account}' that you can see. Try its id, domain or "
            "full name."
        )
        return Reply(
            text=text,
            kind="answer",
            language=msg.language,
            data={"text": text, "understood": understood, "accounts": [], "total": 0},
        )

    reply = profile_reply(services, session, acc, msg)
    data = dict(reply.data or {})
    data.setdefault("text", reply.plain())
    data["understood"] = understood
    data["accounts"] = [{"id": acc.id, "account_id": acc.external_id, "name": acc.name}]
    data.setdefault("total", 1)
    data.setdefault("as_of", as_of.isoformat())
    reply.data = data
    reply.private = True
    _audit(session, msg, [acc.id], spec, action="view_profile")
    return reply


def _audit(
    session: Session, msg: IncomingMessage, ids: list[int], spec: Spec, action: str = "ask"
) -> None:
    if not ids:
        return
    detail = {"question": msg.text[:300]}
    if len(ids) <= 50:
        audit.record_many(session, msg.user, action, ids, platform=msg.platform, detail=detail)
    else:
        audit.record(
            session, msg.user, action, platform=msg.platform, detail={**detail, "ids": ids}
        )


# ----------------------------------------------------------------------------- paging state


def _remember(session: Session, msg: IncomingMessage, spec: Spec, offset: int, total: int) -> None:
    if not msg.user:
        return
    row = session.get(ChatState, msg.user)
    state = dict(row.state or {}) if row else {}
    state.pop("alerts", None)  # "more" now pages this answer, not an earlier alert list
    state["ask"] = {
        "spec": spec.model_dump(mode="json"),
        "offset": offset,
        "total": total,
        "language": msg.language,
    }
    state["last"] = "ask"  # what "export these" / "save these as …" refer to
    if row is None:
        session.add(ChatState(user_handle=msg.user, state=state))
    else:
        row.state = state
    session.flush()


def _is_more(text: str) -> bool:
    t = re.sub(r"[\s.!。！?？]+$", "", text.strip().lower())
    return t in MORE_WORDS or t in ("show more", "next 20", "下一页吧", "再看看")


def more(services: Services, session: Session, msg: IncomingMessage) -> Reply | None:
    """The next page of the last list this user asked for."""
    row = session.get(ChatState, msg.user)
    last = (row.state or {}).get("ask") if row else None
    if not last:
        return None
    spec = Spec.model_validate(last["spec"])
    offset = int(last.get("offset", 0)) + PAGE_SIZE
    if offset >= int(last.get("total", 0)):
        text = "已经是最后一页了。" if msg.zh else "That was the last page."
        return Reply(
            text=text, kind="answer", language=msg.language, data={"text": text, "accounts": []}
        )
    return answer(services, session, msg, spec, offset=offset)


# ----------------------------------------------------------------------------- router entry


def _ask_model(services: Services, msg: IncomingMessage, context: dict[str, Any]) -> Spec | None:
    """The LLM's reading of a question, or None; never raises (the parser is the fallback)."""
    try:
        return services.understander.understand(msg.text, msg.language, context)
    except Exception:
        log.warning("LLM understanding failed; using the parser", exc_info=True)
        return None


def try_handle(services: Services, msg: IncomingMessage) -> list[Reply] | None:
    """Answer any question the other handlers did not take."""
    if not msg.text.strip():
        return None
    as_of = services.today(msg.as_of)
    with services.session_factory.begin() as s:
        if _is_more(msg.text):
            reply = more(services, s, msg)
            if reply is not None:
                return [reply]
        spec, source, parsed = understand(services, s, msg, as_of, use_llm=False)
        ask_model = services.understander is not None and parsed is not None and not parsed.problem
        model_context = llm_context(s, as_of, msg.language) if ask_model else None
    # the model is asked with no transaction open: a slow or hung endpoint holds no lock
    model_spec = _ask_model(services, msg, model_context) if model_context is not None else None
    with services.session_factory.begin() as s:
        if model_spec is not None:
            try:
                # the types the model was shown (read once, not a second scan of the events)
                validate_spec(model_spec, load_catalogue(s), model_context["values"]["event_type"])
                spec, source = model_spec, "llm"
            except Exception:  # an invalid spec falls back to the parser's reading
                log.warning("LLM spec invalid; using the parser", exc_info=True)
        if spec is None:
            scope = scope_of(s, msg.user)
            if scope.kind == "none" and msg.user != LOCAL_OPERATOR:
                return [no_access(msg, None)]
            if parsed is not None and parsed.unknown_account and not parsed.problem:
                return [unknown_account(msg, parsed.unknown_account)]
            return [not_understood(msg, parsed.unparsed if parsed else "", parsed)]
        if source == "llm":  # the LLM's spec may still fail to compile or run: use the parser
            try:
                with s.begin_nested():
                    return [answer(services, s, msg, spec, source=source)]
            except Exception:
                log.warning("the LLM's spec could not be answered; using the parser", exc_info=True)
                if parsed is None or not parsed.matched or parsed.spec is None:
                    return [not_understood(msg, parsed.unparsed if parsed else "", parsed)]
                spec, source = parsed.spec, "parser"
        try:
            reply = answer(services, s, msg, spec, source=source)
            if source == "parser" and parsed is not None:
                say_ignored(reply, parsed.unparsed, msg)
            return [reply]
        except SpecError as exc:
            text = (
                f"这个问题我理解成了一个无法执行的查询：{exc}。请换个说法。"
                if msg.zh
                else f"I understood that as a query I can't run: {exc}. Please rephrase."
            )
            return [
                Reply(
                    text=text,
                    kind="error",
                    language=msg.language,
                    data={"text": text, "understood": spec.model_dump(mode="json"), "accounts": []},
                )
            ]
