"""If-then rules as data: a query-spec condition, actions, a schedule; evaluated set-wise in SQL.

A rule's "if" is a `store.spec.Condition` (the same shape questions use), so it can name any
profile field, derived figure, tag or custom field. Evaluation selects the matching account ids
with `store.query.matching_ids` and keeps the `rule_matches` table equal to that set with one
INSERT of the new matches and one DELETE of the ended ones; every action then works on
`rule_matches` with set-based INSERT/UPDATE/DELETE — there is no Python loop that evaluates
accounts one by one.

Two kinds of actions:

* state actions (set/clear a tag, set a field) — applied by `apply_state_actions`, which
  `store.refresh` calls after every figures refresh, so "show churn-risk accounts" is right even if
  no scheduler ran. A tag a rule set leaves when the rule stops matching; a field a rule set goes
  back to the value it replaced.
* messaging actions (alert, to-do, DM, webhook) — applied only by `run_rules` (the `rules run`
  command and the scheduler job). Alerts are keyed per (rule, kind, account) while the account
  keeps matching, so repeat matches update the open alert; DMs and webhooks go through the outbox
  keyed by the matching episode (rule, account, since), so each is sent once per episode.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Select,
    String,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from store import alerts, audit, outbox
from store.customfields import set_value
from store.dialect import json_object
from store.fields import BUILTIN, EVENT_MEASURES
from store.matches import (
    match_rows,
    reason_fields,
    reason_json,
    recipient_or_fallback,
    values_expr,
)
from store.models import (
    Account,
    AccountFigures,
    AccountTag,
    AuditEntry,
    CustomField,
    CustomValue,
    Rule,
    RuleMatch,
    utcnow,
)
from store.people import People
from store.query import Compiler, Scope, SpecError, load_catalogue, matching_ids, run
from store.refresh import after_refresh, ensure_fresh, mark_stale
from store.spec import Condition, Sort, Spec
from store.vocab import read, shown

log = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).parent / "defaults"
STATE_ACTIONS = ("tag", "untag", "set_field")
MESSAGE_ACTIONS = ("alert", "todo", "dm", "webhook")
RECIPIENTS = ("owner", "csm", "manager")
CHUNK = 2000


class RuleError(ValueError):
    """A rule that cannot be accepted; the message says what and where."""


class Action(BaseModel):
    """One thing a rule does to each matching account.

    YAML shorthands: `{tag: X}`, `{untag: X}`, `{set: {tier: high_value}}`, `{todo: owner}`,
    `{alert: csm}`, `{dm: manager}`, `{webhook: https://...}`.
    """

    model_config = ConfigDict(extra="forbid")

    type: Literal["tag", "untag", "set_field", "alert", "todo", "dm", "webhook"]
    tag: str | None = None
    field: str | None = None
    value: Any = None
    to: str | None = None  # owner | csm | manager | a user handle
    url: str | None = None
    title: str | None = None
    severity: Literal["low", "medium", "high"] = "medium"

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "type" in data:
            return data
        d = dict(data)
        for key in ("tag", "untag"):
            if key in d and isinstance(d[key], str):
                rest = {k: v for k, v in d.items() if k != key}
                return {**rest, "type": key, "tag": d[key]}
        if "set" in d and isinstance(d["set"], dict) and len(d["set"]) == 1:
            (field, value), rest = (
                next(iter(d["set"].items())),
                {k: v for k, v in d.items() if k != "set"},
            )
            return {**rest, "type": "set_field", "field": field, "value": value}
        for key in ("alert", "todo", "dm"):
            if key in d:
                rest = {k: v for k, v in d.items() if k != key}
                return {**rest, "type": key, "to": d[key] or "owner"}
        if "webhook" in d:
            rest = {k: v for k, v in d.items() if k != "webhook"}
            return {**rest, "type": "webhook", "url": d["webhook"]}
        return data

    @model_validator(mode="after")
    def _check(self) -> Action:
        if self.type in ("tag", "untag"):
            if not self.tag or not self.tag.strip():
                raise ValueError(f"a '{self.type}' action needs a tag name")
            self.tag = normalise_tag(self.tag)
        if self.type == "set_field" and not self.field:
            raise ValueError("a 'set' action needs a field, e.g. {set: {tier: high_value}}")
        if self.type in ("alert", "todo", "dm") and not self.to:
            self.to = "owner"
        if self.type == "webhook" and not (self.url or "").startswith(("http://", "https://")):
            raise ValueError(f"a webhook action needs an http(s) URL, not {self.url!r}")
        return self

    def describe(self, lang: str = "en") -> str:
        """The action in words."""
        who_zh = {"owner": "负责人", "csm": "客户成功经理", "manager": "经理"}
        to = self.to or ""
        if lang == "zh":
            return {
                "tag": f"打标签 {shown('tag', self.tag, 'zh')}",
                "untag": f"去掉标签 {shown('tag', self.tag, 'zh')}",
                "set_field": f"把{_field_label(self.field)}设为{shown(self.field or '', self.value, 'zh')}",
                "alert": f"给{who_zh.get(to, to)}发提醒",
                "todo": f"给{who_zh.get(to, to)}建待办",
                "dm": f"私信{who_zh.get(to, to)}",
                "webhook": f"调用 webhook {self.url}",
            }[self.type]
        return {
            "tag": f"tag {self.tag}",
            "untag": f"clear tag {self.tag}",
            "set_field": f"set {self.field} to {self.value}",
            "alert": f"alert the {to}" if to in RECIPIENTS else f"alert {to}",
            "todo": f"create a to-do for the {to}" if to in RECIPIENTS else f"to-do for {to}",
            "dm": f"DM the {to}" if to in RECIPIENTS else f"DM {to}",
            "webhook": f"call webhook {self.url}",
        }[self.type]


def _field_label(key: str | None) -> str:
    f = BUILTIN.get(key or "")
    return f.label("zh") if f is not None else str(key)


class RuleDef(BaseModel):
    """A rule as written in YAML or understood from a chat sentence."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    source_text: str | None = None
    condition: Condition = Field(alias="if")
    actions: list[Action] = Field(alias="then", min_length=1)
    schedule: str = "daily"
    enabled: bool = True
    owner: str | None = None

    def to_row_values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "source_text": self.source_text,
            "condition": self.condition.model_dump(mode="json", exclude_defaults=True),
            "actions": [a.model_dump(mode="json", exclude_none=True) for a in self.actions],
            "schedule": self.schedule,
            "enabled": self.enabled,
            "owner": self.owner,
        }


def normalise_tag(tag: str) -> str:
    """'Churn warning' -> 'churn_warning' (tags are lower-case words joined by _)."""
    t = tag.strip().strip("'\"“”「」").strip()
    if t.isascii():
        t = "_".join(t.lower().replace("-", " ").split())
    return t


def rule_def(row: Rule) -> RuleDef:
    """The RuleDef of a stored rule."""
    return RuleDef.model_validate(
        {
            "name": row.name,
            "description": row.description,
            "source_text": row.source_text,
            "if": row.condition,
            "then": row.actions,
            "schedule": row.schedule,
            "enabled": row.enabled,
            "owner": row.owner,
        }
    )


def parse_rules(data: Any, where: str = "rule") -> list[RuleDef]:
    """Rules from parsed YAML (one mapping or a list); errors name the rule and the field."""
    items = data if isinstance(data, list) else [data]
    out: list[RuleDef] = []
    for i, item in enumerate(items, 1):
        label = f"{where} #{i}" + (f" ({item.get('name')})" if isinstance(item, dict) else "")
        if not isinstance(item, dict):
            raise RuleError(f"{label}: a rule is a mapping with name, if, then")
        try:
            out.append(RuleDef.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'rule'}: {e['msg']}" for e in exc.errors()
            )
            raise RuleError(f"{label}: {problems}") from exc
    return out


def load_rule_file(path: str | Path) -> list[RuleDef]:
    """Rules from a YAML file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleError(f"no such file: {p}") from exc
    except yaml.YAMLError as exc:
        raise RuleError(f"{p} is not valid YAML: {exc}") from exc
    return parse_rules(data, where=p.name)


def validate_rule(session: Session, rd: RuleDef, as_of: dt.date) -> None:
    """Check that every field the rule names exists and its condition compiles."""
    fields = load_catalogue(session)
    for f in rd.condition.filters():
        if f.field not in fields and f.field not in EVENT_MEASURES:
            raise RuleError(f"rule '{rd.name}': unknown field '{f.field}' in its condition")
    for a in rd.actions:
        if a.type == "set_field":
            fd = fields.get(a.field or "")
            if fd is None or fd.source not in ("account", "custom"):
                raise RuleError(
                    f"rule '{rd.name}': cannot set '{a.field}' — use an account field such as "
                    "tier or status, or a custom field"
                )
    try:
        Compiler(as_of, fields, session).condition(rd.condition)
    except SpecError as exc:
        raise RuleError(f"rule '{rd.name}': {exc}") from exc


def save_rule(
    session: Session,
    rd: RuleDef,
    *,
    actor: str | None = None,
    platform: str = "cli",
    as_of: dt.date | None = None,
    is_default: bool = False,
) -> tuple[Rule, bool]:
    """Create or replace a rule by name; returns (rule, created)."""
    validate_rule(session, rd, as_of or dt.date(2000, 1, 1))
    row = session.scalars(select(Rule).where(Rule.name == rd.name)).first()
    created = row is None
    if row is None:
        row = Rule(**rd.to_row_values(), is_default=is_default)
        session.add(row)
    else:
        for k, v in rd.to_row_values().items():
            setattr(row, k, v)
    row.owner = row.owner or actor
    session.flush()
    audit.record(
        session,
        actor,
        "rule.add" if created else "rule.update",
        platform=platform,
        detail={"rule": rd.name, "id": row.id},
    )
    mark_stale(session)
    return row, created


def set_enabled(session: Session, name: str, enabled: bool, actor: str | None = None) -> Rule:
    """Enable or disable a rule by name or id."""
    row = get_rule(session, name)
    if row is None:
        raise RuleError(f"no rule named '{name}' — see `profilebot rules list`")
    row.enabled = enabled
    audit.record(
        session, actor, "rule.enable" if enabled else "rule.disable", detail={"rule": row.name}
    )
    mark_stale(session)
    return row


def get_rule(session: Session, ref: str) -> Rule | None:
    """A rule by name (case-insensitive), its Chinese label (流失预警 → churn_warning) or id."""
    ref = ref.strip()
    if ref.isdigit():
        row = session.get(Rule, int(ref))
        if row is not None:
            return row
    row = session.scalars(select(Rule).where(func.lower(Rule.name) == ref.lower())).first()
    named = read("rule", ref) if row is None else None
    if named:
        row = session.scalars(select(Rule).where(func.lower(Rule.name) == named)).first()
    return row


def list_rules(session: Session) -> list[Rule]:
    return list(session.scalars(select(Rule).order_by(Rule.id)))


def install_default_rules(session: Session) -> int:
    """Install the shipped default rules that are not there yet; returns how many were added."""
    added = 0
    for path in sorted(DEFAULTS_DIR.glob("*.yaml")):
        for rd in load_rule_file(path):
            if session.scalars(select(Rule.id).where(Rule.name == rd.name)).first() is not None:
                continue
            session.add(Rule(**{**rd.to_row_values(), "owner": "profilebot"}, is_default=True))
            added += 1
    if added:
        session.flush()
    return added


# --------------------------------------------------------------------------- evaluation


def _audit_select(
    session: Session,
    actor: str | None,
    action: str,
    rows: Select,
    *,
    platform: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """One audit entry per row of `rows` (account id[, detail]) as one INSERT … SELECT.

    The same entries `_audit_many` writes, without fetching the ids and sending them back: a
    first run may audit tens of thousands of accounts. Returns how many entries were written.
    """
    sub = rows.subquery()
    cols = list(sub.c)
    src = select(
        literal(utcnow(), DateTime),
        literal(actor, String),
        literal(platform, String),
        literal(action, String),
        cols[0],
        cols[1] if len(cols) > 1 else literal(detail, JSON),
    ).order_by(cols[0])  # entries in account order
    res = session.execute(
        AuditEntry.__table__.insert().from_select(
            ["at", "actor", "platform", "action", "account_id", "detail"], src
        ),
        execution_options={"preserve_rowcount": True},  # INSERT rowcount is kept only when asked
    )
    return res.rowcount


def _chunks(items: list[Any], n: int = CHUNK):  # noqa: ANN202
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _current(rule_id: int):  # noqa: ANN202
    return select(RuleMatch.account_id).where(RuleMatch.rule_id == rule_id)


def _set_fields(rd: RuleDef) -> list[Action]:
    return [a for a in rd.actions if a.type == "set_field"]


def _field_column(session: Session, key: str):  # noqa: ANN202
    """(Account column, None) for an account field, (None, CustomField) for a custom one."""
    fd = BUILTIN.get(key)
    if fd is not None and fd.source == "account":
        return getattr(Account, fd.column or fd.key), None
    cf = session.scalars(select(CustomField).where(CustomField.key == key)).first()
    if cf is None:
        raise RuleError(f"cannot set unknown field '{key}'")
    return None, cf


def sync_matches(session: Session, rule: Rule, rd: RuleDef, as_of: dt.date) -> dict[str, Any]:
    """Make rule_matches equal the accounts the rule matches now; revert fields of ended ones."""
    ids = matching_ids(session, rd.condition, Scope.everything(), as_of).subquery()
    ended = session.execute(
        select(RuleMatch.account_id, RuleMatch.previous).where(
            RuleMatch.rule_id == rule.id, RuleMatch.account_id.not_in(select(ids.c.id))
        )
    ).all()
    set_actions = _set_fields(rd)
    field_cols = {a.field: _field_column(session, a.field or "") for a in set_actions}
    new_q = select(Account.id).where(
        Account.id.in_(select(ids.c.id)),
        # NOT IN, not NOT EXISTS: see _apply_tag (an empty-looking table re-scanned per row)
        Account.id.not_in(select(RuleMatch.account_id).where(RuleMatch.rule_id == rule.id)),
    )
    account_cols = [(k, col) for k, (col, _cf) in field_cols.items() if col is not None]
    if all(cf is None and isinstance(col.type, String) for col, cf in field_cols.values()):
        # every value it may replace is a text column (or none): INSERT … SELECT, no round trip
        if ended:
            _end_matches(session, rule, set_actions, field_cols, ended)
        previous = (
            json_object(session, [(k, col) for k, col in account_cols])
            if account_cols
            else literal(None, JSON)  # stored as JSON null, as the row-by-row insert does
        )
        src = select(literal(rule.id), Account.id, literal(as_of, Date), previous).where(
            new_q.whereclause
        )
        new_ids = session.scalars(
            RuleMatch.__table__.insert()
            .from_select(["rule_id", "account_id", "since", "previous"], src)
            .returning(RuleMatch.account_id)
        ).all()
        return {"new": list(new_ids), "ended": [r[0] for r in ended]}
    new_q = new_q.add_columns(*[col for _k, col in account_cols])
    new_rows = session.execute(new_q).all()
    if ended:
        _end_matches(session, rule, set_actions, field_cols, ended)
    if new_rows:
        custom_prev = _custom_previous(session, field_cols, [r[0] for r in new_rows])
        payload = []
        for r in new_rows:
            prev = {k: r[1 + i] for i, (k, _c) in enumerate(account_cols)}
            prev.update(custom_prev.get(r[0], {}))
            payload.append(
                {
                    "rule_id": rule.id,
                    "account_id": r[0],
                    "since": as_of,
                    "previous": prev or None,
                }
            )
        session.execute(RuleMatch.__table__.insert(), payload)
    return {"new": [r[0] for r in new_rows], "ended": [r[0] for r in ended]}


def _end_matches(
    session: Session,
    rule: Rule,
    set_actions: list[Action],
    field_cols: dict[str, Any],
    ended: list[Any],
) -> None:
    _revert_fields(session, rule, set_actions, field_cols, ended)
    for chunk in _chunks([r[0] for r in ended]):
        session.execute(
            delete(RuleMatch).where(RuleMatch.rule_id == rule.id, RuleMatch.account_id.in_(chunk))
        )


def _custom_previous(
    session: Session, field_cols: dict[str, Any], account_ids: list[int]
) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for key, (_col, cf) in field_cols.items():
        if cf is None:
            continue
        for chunk in _chunks(account_ids):
            for acc, text, num, date in session.execute(
                select(
                    CustomValue.account_id,
                    CustomValue.value_text,
                    CustomValue.value_num,
                    CustomValue.value_date,
                ).where(CustomValue.field_id == cf.id, CustomValue.account_id.in_(chunk))
            ):
                v = num if num is not None else date.isoformat() if date else text
                out[acc][key] = v
    return out


def _revert_fields(
    session: Session,
    rule: Rule,
    set_actions: list[Action],
    field_cols: dict[str, Any],
    ended: list[Any],
) -> None:
    """Put back what a set-field action replaced, where the rule's value is still there."""
    for a in set_actions:
        col, cf = field_cols[a.field]
        groups: dict[Any, list[int]] = defaultdict(list)
        for acc_id, prev in ended:
            groups[(prev or {}).get(a.field)].append(acc_id)
        for prev_value, acc_ids in groups.items():
            if prev_value == a.value:
                continue
            if col is not None:
                for chunk in _chunks(acc_ids):
                    changed = session.scalars(
                        select(Account.id).where(Account.id.in_(chunk), col == a.value)
                    ).all()
                    if not changed:
                        continue
                    session.execute(
                        update(Account)
                        .where(Account.id.in_(changed))
                        .values({col.key: prev_value})
                        .execution_options(synchronize_session=False)
                    )
                    audit.record_many(
                        session,
                        f"rule:{rule.name}",
                        "field.set",
                        list(changed),
                        platform="rules",
                        detail={
                            "field": a.field,
                            "from": a.value,
                            "to": prev_value,
                            "rule": rule.name,
                        },
                    )
            else:
                for acc_id in acc_ids:
                    set_value(
                        session, acc_id, cf, prev_value, source="rule", actor=f"rule:{rule.name}"
                    )


def _apply_tag(session: Session, rule: Rule, action: Action, as_of: dt.date, stats: dict) -> None:
    tag = action.tag or ""
    actor = f"rule:{rule.name}"
    current = _current(rule.id)
    mine = and_tag = (
        AccountTag.tag == tag,
        AccountTag.source == "rule",
        AccountTag.rule_id == rule.id,
    )
    # audit rows are written straight from the same selection, just before each change
    gone = _audit_select(
        session,
        actor,
        "tag.clear",
        select(AccountTag.account_id).where(*mine, AccountTag.account_id.not_in(current)),
        platform="rules",
        detail={"tag": tag, "rule": rule.name, "why": "rule no longer matches"},
    )
    if gone:
        session.execute(
            delete(AccountTag)
            .where(*and_tag, AccountTag.account_id.not_in(current))
            .execution_options(synchronize_session=False)
        )
    # the values that fired it move with the figures: refresh the reason of every tag it holds.
    # Done before adding the new tags, which get theirs as they are inserted (updating rows
    # inserted in the same transaction would run their foreign-key checks a second time).
    session.execute(
        update(AccountTag)
        .where(*mine)
        .values(reason=values_expr(session, rule, as_of, AccountTag.account_id))
        .execution_options(synchronize_session=False)
    )
    # NOT IN (a hashed subplan on PostgreSQL) rather than NOT EXISTS: on a first run the tags
    # table looks empty to the planner, which then re-scans it for every match as it fills up
    missing = (
        RuleMatch.rule_id == rule.id,
        RuleMatch.account_id.not_in(select(AccountTag.account_id).where(AccountTag.tag == tag)),
    )
    added = _audit_select(
        session,
        actor,
        "tag.set",
        select(RuleMatch.account_id).where(*missing),
        platform="rules",
        detail={"tag": tag, "rule": rule.name},
    )
    if added:
        src = (
            select(
                RuleMatch.account_id,
                literal(tag, String),
                literal("rule", String),
                literal(rule.id),
                reason_json(session, rule, as_of),
                literal(actor, String),
                literal(utcnow()),
            )
            .select_from(RuleMatch)
            .join(Account, Account.id == RuleMatch.account_id)
            .outerjoin(AccountFigures, AccountFigures.account_id == Account.id)
            .where(*missing)
        )
        session.execute(
            AccountTag.__table__.insert().from_select(
                ["account_id", "tag", "source", "rule_id", "reason", "set_by", "set_at"], src
            )
        )
    stats["tagged"] += added
    stats["untagged"] += gone


def _apply_untag(session: Session, rule: Rule, action: Action, stats: dict) -> None:
    tag = action.tag or ""
    where = (AccountTag.tag == tag, AccountTag.account_id.in_(_current(rule.id)))
    gone = _audit_select(
        session,
        f"rule:{rule.name}",
        "tag.clear",
        select(AccountTag.account_id).where(*where),
        platform="rules",
        detail={"tag": tag, "rule": rule.name},
    )
    if gone:
        session.execute(
            delete(AccountTag).where(*where).execution_options(synchronize_session=False)
        )
    stats["untagged"] += gone


def _apply_set_field(session: Session, rule: Rule, action: Action, stats: dict) -> None:
    col, cf = _field_column(session, action.field or "")
    if col is not None and isinstance(col.type, String) and isinstance(action.value, str):
        # text column, text value: the audit rows (with the value each replaces) straight from SQL
        where = (Account.id.in_(_current(rule.id)), (col.is_(None)) | (col != action.value))
        detail = json_object(
            session,
            [
                ("field", literal(action.field, String)),
                ("from", col),
                ("to", literal(action.value, String)),
                ("rule", literal(rule.name, String)),
            ],
        )
        changed = _audit_select(
            session,
            f"rule:{rule.name}",
            "field.set",
            select(Account.id, detail).where(*where),
            platform="rules",
        )
        if changed:
            session.execute(
                update(Account)
                .where(*where)
                .values({col.key: action.value})
                .execution_options(synchronize_session=False)
            )
            stats["fields_set"] += changed
        return
    if col is not None:
        changed = session.execute(
            select(Account.id, col).where(
                Account.id.in_(_current(rule.id)), (col.is_(None)) | (col != action.value)
            )
        ).all()
        if not changed:
            return
        session.execute(
            update(Account)
            .where(Account.id.in_(_current(rule.id)), (col.is_(None)) | (col != action.value))
            .values({col.key: action.value})
            .execution_options(synchronize_session=False)
        )
        by_prev: dict[Any, list[int]] = defaultdict(list)
        for acc_id, prev in changed:
            by_prev[prev].append(acc_id)
        for prev, acc_ids in by_prev.items():
            audit.record_many(
                session,
                f"rule:{rule.name}",
                "field.set",
                acc_ids,
                platform="rules",
                detail={"field": action.field, "from": prev, "to": action.value, "rule": rule.name},
            )
        stats["fields_set"] += len(changed)
        return
    n = 0
    for acc_id in session.scalars(_current(rule.id)).all():
        if set_value(session, acc_id, cf, action.value, source="rule", actor=f"rule:{rule.name}"):
            n += 1
    stats["fields_set"] += n


def _cleanup_disabled(session: Session, rule: Rule) -> None:
    """A disabled rule's tags leave and its fields go back."""
    if session.scalar(select(func.count()).where(RuleMatch.rule_id == rule.id)) == 0:
        return
    rd = rule_def(rule)
    ended = session.execute(
        select(RuleMatch.account_id, RuleMatch.previous).where(RuleMatch.rule_id == rule.id)
    ).all()
    set_actions = _set_fields(rd)
    field_cols = {a.field: _field_column(session, a.field or "") for a in set_actions}
    _revert_fields(session, rule, set_actions, field_cols, ended)
    session.execute(delete(RuleMatch).where(RuleMatch.rule_id == rule.id))
    session.execute(
        delete(AccountTag).where(AccountTag.rule_id == rule.id, AccountTag.source == "rule")
    )


@after_refresh
def apply_state_actions(session: Session, as_of: dt.date) -> dict[str, int]:
    """Set and clear the tags and fields that enabled rules own (no messages)."""
    stats = {"rules": 0, "matched": 0, "tagged": 0, "untagged": 0, "fields_set": 0}
    for rule in list_rules(session):
        if not rule.enabled:
            _cleanup_disabled(session, rule)
            continue
        try:
            with session.begin_nested():
                rd = rule_def(rule)
                sync_matches(session, rule, rd, as_of)
                for action in rd.actions:
                    if action.type == "tag":
                        _apply_tag(session, rule, action, as_of, stats)
                    elif action.type == "untag":
                        _apply_untag(session, rule, action, stats)
                    elif action.type == "set_field":
                        _apply_set_field(session, rule, action, stats)
                stats["rules"] += 1
                stats["matched"] += (
                    session.scalar(select(func.count()).where(RuleMatch.rule_id == rule.id)) or 0
                )
        except Exception:
            log.exception("rule %s (%s) failed; other rules go on", rule.id, rule.name)
    session.expire_all()
    return stats


# --------------------------------------------------------------------------- preview and why


def preview(
    session: Session, rd: RuleDef, as_of: dt.date, scope: Scope | None = None, limit: int = 20
) -> tuple[int, list[dict[str, Any]]]:
    """How many accounts match now and the first few with the values that would fire it."""
    validate_rule(session, rd, as_of)
    show = [f.field for f in reason_fields(rd.condition) if f.field not in EVENT_MEASURES][:4]
    sort = [Sort(field="arr", desc=True)]
    result = run(
        session,
        Spec(where=rd.condition, show=show, sort=sort, limit=limit),
        scope or Scope.everything(),
        as_of,
    )
    rows = [
        {
            "id": r.id,
            "account_id": r.account_id,
            "name": r.name,
            "owner": r.owner,
            "values": {k: v for k, v in r.values.items()},
        }
        for r in result.rows
    ]
    return result.total, rows


def why(session: Session, account_id: int, tag: str | None = None) -> list[dict[str, Any]]:
    """Why an account has its rule-set tags: rule, values that fired it, since when."""
    stmt = select(AccountTag).where(AccountTag.account_id == account_id)
    if tag:
        stmt = stmt.where(func.lower(AccountTag.tag) == tag.lower())
    out = []
    for t in session.scalars(stmt.order_by(AccountTag.tag)):
        out.append(
            {
                "tag": t.tag,
                "source": t.source,
                "rule": (t.reason or {}).get("rule"),
                "values": (t.reason or {}).get("values"),
                "set_by": t.set_by,
                "set_at": t.set_at,
            }
        )
    return out


# --------------------------------------------------------------------------- messaging actions


def _people(session: Session) -> People:
    """Every user, indexed by every spelling an owner/csm cell may hold (the one resolver)."""
    return People.load(session)


def run_rules(
    session: Session,
    as_of: dt.date,
    now: dt.datetime,
    rule_ref: str | None = None,
) -> dict[str, int]:
    """Evaluate enabled rules as of a date: state actions, then alerts, to-dos, DMs, webhooks."""
    outbox.write_lock(session)
    refreshed = ensure_fresh(session, as_of)
    stats = {
        "rules": 0,
        "alerts_opened": 0,
        "alerts_updated": 0,
        "alerts_closed": 0,
        "messages": 0,
        "refreshed": int(refreshed),
    }
    people = _people(session)
    for rule in list_rules(session):
        if not rule.enabled or (rule_ref and get_rule(session, rule_ref) is not rule):
            continue
        rd = rule_def(rule)
        msg_actions = [a for a in rd.actions if a.type in MESSAGE_ACTIONS]
        try:
            with session.begin_nested():
                if not refreshed:
                    # figures were already fresh; make sure the matches are (a rule may be new)
                    sync_matches(session, rule, rd, as_of)
                # alerts and to-dos are written set-wise; only DMs and webhooks need the rows
                needs_rows = any(a.type in ("dm", "webhook") for a in msg_actions)
                rows = match_rows(session, rule) if needs_rows else None
                kinds = {a.type for a in msg_actions if a.type in ("alert", "todo")}
                for action in msg_actions:
                    if action.type in ("alert", "todo"):
                        o, u = alerts.open_for_rule(session, rule, action, rows, people, as_of, now)
                        stats["alerts_opened"] += o
                        stats["alerts_updated"] += u
                    elif action.type == "dm":
                        msgs = []
                        for acc_id, name, _ext, owner, csm, since in rows:
                            meant = action.to or "owner"
                            to, why = recipient_or_fallback(people, meant, owner, csm)
                            payload = {
                                "kind": "rule_dm",
                                "rule": rule.name,
                                "rule_id": rule.id,
                                "account_id": acc_id,
                                "account": name,
                                "title": action.title,
                            }
                            if why:
                                cell = {"owner": owner, "csm": csm}.get(meant)
                                payload["fallback"] = {
                                    "meant_for": cell or None,
                                    "role": meant,
                                    "why": why,
                                }
                            msgs.append(
                                outbox.message(
                                    f"rule:{rule.id}:{acc_id}:dm:{to or '-'}:{since.isoformat()}",
                                    "dm",
                                    to,
                                    payload,
                                    now,
                                )
                            )
                        stats["messages"] += outbox.enqueue_many(session, msgs)
                    elif action.type == "webhook":
                        msgs = [
                            outbox.message(
                                f"rule:{rule.id}:{acc_id}:webhook:{since.isoformat()}",
                                "webhook",
                                action.url,
                                {
                                    "kind": "webhook",
                                    "body": {
                                        "event": "rule.matched",
                                        "rule": rule.name,
                                        "account": {"id": acc_id, "account_id": ext, "name": name},
                                        "since": since.isoformat(),
                                        "as_of": as_of.isoformat(),
                                    },
                                },
                                now,
                            )
                            for acc_id, name, ext, _o, _c, since in rows
                        ]
                        stats["messages"] += outbox.enqueue_many(session, msgs)
                stats["alerts_closed"] += alerts.close_ended(session, rule, kinds, now)
                rule.last_run_at = now
                stats["rules"] += 1
        except Exception:
            log.exception("rule %s (%s) failed; other rules go on", rule.id, rule.name)
    stats["messages"] += alerts.notify_new(session, now)
    return stats
