"""The whole customer profile as SQLAlchemy 2.0 models.

Four dimensions of a B2B profile live here: firmographic columns on `Account`, behavioural
`Event` rows, attitudinal `NpsResponse` rows and interview fields, transactional contract columns
and purchase events. Figures computed from them live in `AccountFigures`, one row per account.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# BigInteger primary keys autoincrement on SQLite only when rendered as INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    """The current UTC time, naive (stored as UTC everywhere)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


USER_ROLES = ("sales", "csm", "manager", "admin")
BUYING_ROLES = ("EB", "TB", "UB")
ATTITUDES = ("supporter", "neutral", "blocker")


class User(Base):
    """A person who talks to the bot; their role decides which accounts they see."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(20), default="sales")
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    slack_id: Mapped[str | None] = mapped_column(String(64), index=True)
    wecom_id: Mapped[str | None] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    manager: Mapped[User | None] = relationship(remote_side="User.id")


class Account(Base):
    """A customer company: firmographic, transactional and attitudinal columns."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_norm: Mapped[str] = mapped_column(String(300), index=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    # firmographic
    industry: Mapped[str | None] = mapped_column(String(100), index=True)
    employees: Mapped[int | None] = mapped_column(Integer)
    annual_revenue: Mapped[float | None] = mapped_column(Float)
    city: Mapped[str | None] = mapped_column(String(100), index=True)
    province: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(100))
    founded: Mapped[int | None] = mapped_column(Integer)
    parent: Mapped[str | None] = mapped_column(String(300))
    # ownership: a user's handle or email, lower-cased
    owner: Mapped[str | None] = mapped_column(String(200), index=True)
    csm: Mapped[str | None] = mapped_column(String(200), index=True)
    # transactional
    plan: Mapped[str | None] = mapped_column(String(100))
    arr: Mapped[float | None] = mapped_column(Float)
    contract_start: Mapped[dt.date | None] = mapped_column(Date)
    contract_end: Mapped[dt.date | None] = mapped_column(Date, index=True)
    stage: Mapped[str | None] = mapped_column(String(100))
    # attitudinal / interview
    price_sensitivity: Mapped[str | None] = mapped_column(String(50))
    pains: Mapped[str | None] = mapped_column(Text)
    decision_process: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # labels set by rules or by hand
    tier: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(50))

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="Contact.id"
    )
    tags: Mapped[list[AccountTag]] = relationship(
        back_populates="account", cascade="all, delete-orphan", order_by="AccountTag.tag"
    )
    figures: Mapped[AccountFigures | None] = relationship(
        back_populates="account", cascade="all, delete-orphan", uselist=False
    )


class AccountAlias(Base):
    """Another identity an account is known by (a merged twin's name, domain or id)."""

    __tablename__ = "account_aliases"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_account_alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # external_id | domain | name
    value: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Contact(Base):
    """A key person (关键人) at an account, with a buying role."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(4))  # EB | TB | UB
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    influence: Mapped[str | None] = mapped_column(String(20))  # high | medium | low
    attitude: Mapped[str | None] = mapped_column(String(20))  # supporter | neutral | blocker
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship(back_populates="contacts")


class Event(Base):
    """A behavioural or transactional fact: login, feature_use, ticket, purchase, or any word."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_account_type_ts", "account_id", "type", "ts"),
        Index("ix_events_type_ts", "type", "ts"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    ts: Mapped[dt.datetime] = mapped_column(DateTime)
    type: Mapped[str] = mapped_column(String(50))
    actor: Mapped[str | None] = mapped_column(String(200))
    feature: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[float | None] = mapped_column(Float)
    # event_id when given, else a hash of the row: re-sending or re-importing adds nothing
    event_key: Mapped[str] = mapped_column(String(80), unique=True)
    batch_id: Mapped[int | None] = mapped_column(Integer)


class NpsResponse(Base):
    """One NPS survey answer (0-10) with its comment."""

    __tablename__ = "nps_responses"
    __table_args__ = (Index("ix_nps_account_date", "account_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    respondent: Mapped[str | None] = mapped_column(String(200))
    response_key: Mapped[str] = mapped_column(String(80), unique=True)
    batch_id: Mapped[int | None] = mapped_column(Integer)


class AccountTag(Base):
    """A living label on an account, with who or which rule set it and why."""

    __tablename__ = "account_tags"
    __table_args__ = (
        UniqueConstraint("account_id", "tag", name="uq_account_tag"),
        Index("ix_account_tags_tag", "tag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(
        String(20), default="person"
    )  # rule|person|import|interview
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    reason: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    set_by: Mapped[str | None] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="tags")


class CustomField(Base):
    """An admin-defined profile field (text, number, date, choice, region)."""

    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    label_en: Mapped[str] = mapped_column(String(200))
    label_zh: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))  # text|number|date|choice|region
    choices: Mapped[list[Any] | None] = mapped_column(JSON)
    aliases: Mapped[list[Any] | None] = mapped_column(JSON)
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CustomValue(Base):
    """One account's value of one custom field."""

    __tablename__ = "custom_values"
    __table_args__ = (Index("ix_custom_values_field", "field_id"),)

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True
    )
    value_text: Mapped[str | None] = mapped_column(Text)
    value_num: Mapped[float | None] = mapped_column(Float)
    value_date: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(20))
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AccountFigures(Base):
    """Derived figures per account as of `as_of`; see store/figures.py for each definition."""

    __tablename__ = "account_figures"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[dt.date] = mapped_column(Date)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    days_since_login: Mapped[int | None] = mapped_column(Integer, index=True)
    logins_7d: Mapped[int] = mapped_column(Integer, default=0)
    logins_30d: Mapped[int] = mapped_column(Integer, default=0)
    logins_90d: Mapped[int] = mapped_column(Integer, default=0)
    logins_prev_30d: Mapped[int] = mapped_column(Integer, default=0)
    login_trend: Mapped[float | None] = mapped_column(Float)
    active_users_7d: Mapped[int] = mapped_column(Integer, default=0)
    active_users_30d: Mapped[int] = mapped_column(Integer, default=0)
    active_users_90d: Mapped[int] = mapped_column(Integer, default=0)
    feature_uses_7d: Mapped[int] = mapped_column(Integer, default=0)
    feature_uses_30d: Mapped[int] = mapped_column(Integer, default=0)
    feature_uses_90d: Mapped[int] = mapped_column(Integer, default=0)
    tickets_7d: Mapped[int] = mapped_column(Integer, default=0)
    tickets_30d: Mapped[int] = mapped_column(Integer, default=0)
    tickets_90d: Mapped[int] = mapped_column(Integer, default=0)
    purchase_amount_7d: Mapped[float] = mapped_column(Float, default=0)
    purchase_amount_30d: Mapped[float] = mapped_column(Float, default=0)
    purchase_amount_90d: Mapped[float] = mapped_column(Float, default=0)
    purchase_count_7d: Mapped[int] = mapped_column(Integer, default=0)
    purchase_count_30d: Mapped[int] = mapped_column(Integer, default=0)
    purchase_count_90d: Mapped[int] = mapped_column(Integer, default=0)
    purchase_amount_total: Mapped[float] = mapped_column(Float, default=0)
    purchase_count_total: Mapped[int] = mapped_column(Integer, default=0)
    last_purchase_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    nps_latest: Mapped[int | None] = mapped_column(Integer)
    nps_date: Mapped[dt.date | None] = mapped_column(Date)
    nps_class: Mapped[str | None] = mapped_column(String(20))
    days_to_renewal: Mapped[int | None] = mapped_column(Integer)
    ltv: Mapped[float | None] = mapped_column(Float)
    rfm_recency_days: Mapped[int | None] = mapped_column(Integer)
    rfm_frequency: Mapped[int | None] = mapped_column(Integer)
    rfm_monetary: Mapped[float | None] = mapped_column(Float)
    rfm_r: Mapped[int | None] = mapped_column(Integer)
    rfm_f: Mapped[int | None] = mapped_column(Integer)
    rfm_m: Mapped[int | None] = mapped_column(Integer)
    rfm_score: Mapped[int | None] = mapped_column(Integer)
    rfm_segment: Mapped[str | None] = mapped_column(String(50))
    health_score: Mapped[float | None] = mapped_column(Float)
    health_band: Mapped[str | None] = mapped_column(String(10))
    health_components: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    completeness_key: Mapped[float | None] = mapped_column(Float)
    completeness_all: Mapped[float | None] = mapped_column(Float)

    account: Mapped[Account] = relationship(back_populates="figures")


class FiguresState(Base):
    """Which as-of date the figures table holds and whether imports made it stale."""

    __tablename__ = "figures_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    stale: Mapped[bool] = mapped_column(Boolean, default=True)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    data_version: Mapped[int] = mapped_column(Integer, default=0)


class Rule(Base):
    """An if-then rule: a query spec as the condition, a list of actions, a schedule."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    source_text: Mapped[str | None] = mapped_column(Text)
    condition: Mapped[dict[str, Any]] = mapped_column(JSON)
    actions: Mapped[list[Any]] = mapped_column(JSON)
    schedule: Mapped[str] = mapped_column(String(100), default="daily")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(String(200))
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


ALERT_OPEN_STATUSES = ("open", "acknowledged", "snoozed")  # not yet resolved


class Alert(Base):
    """An alert or to-do for a person about an account, with its lifecycle."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_assignee_status", "assignee", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="alert")  # alert | todo
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("rules.id", ondelete="SET NULL"))
    # (rule, account, kind) while open; cleared to NULL when resolved so a new one may open
    open_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    assignee: Mapped[str | None] = mapped_column(String(200))  # user handle
    status: Mapped[str] = mapped_column(String(20), default="open")
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    snooze_reason: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    history: Mapped[list[Any] | None] = mapped_column(JSON)
    message_refs: Mapped[list[Any] | None] = mapped_column(JSON)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    escalated_to: Mapped[str | None] = mapped_column(String(200))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """A message to send, keyed so that it is sent exactly once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # job:rule:account:user:period
    channel: Mapped[str] = mapped_column(String(20))  # slack | wecom | terminal | webhook
    recipient: Mapped[str | None] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class InterviewSession(Base):
    """One interview's state, keyed by user and account, versioned for concurrent edits."""

    __tablename__ = "interview_sessions"
    __table_args__ = (Index("ix_interview_user_status", "user_handle", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_handle: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    template: Mapped[str] = mapped_column(String(100), default="default")
    status: Mapped[str] = mapped_column(
        String(20), default="active"
    )  # active|paused|done|cancelled
    language: Mapped[str] = mapped_column(String(8), default="en")
    current: Mapped[str | None] = mapped_column(String(100))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skipped: Mapped[list[Any]] = mapped_column(JSON, default=list)
    trail: Mapped[list[Any]] = mapped_column(JSON, default=list)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    completeness_before: Mapped[float | None] = mapped_column(Float)
    platform: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __mapper_args__ = {"version_id_col": version}


class AccountNote(Base):
    """A quick note on an account's timeline: who wrote what, when, and the facts it carried."""

    __tablename__ = "account_notes"
    __table_args__ = (Index("ix_account_notes_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="en")
    text: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what it carried
    filed: Mapped[bool] = mapped_column(Boolean, default=False)  # facts written to the profile
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """Who changed or saw what, through which platform, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(String(200), index=True)
    platform: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    account_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportBatch(Base):
    """One import run (file, chat upload or API push) and its report."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(500))
    file_hash: Mapped[str | None] = mapped_column(String(80))
    actor: Mapped[str | None] = mapped_column(String(200))
    platform: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class SeenMessage(Base):
    """A chat message id already handled (WeCom and Slack retries are not answered twice)."""

    __tablename__ = "seen_messages"
    __table_args__ = (UniqueConstraint("platform", "message_id", name="uq_seen_message"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ChatState(Base):
    """Small per-user conversational state (pending confirmations, last answer for paging)."""

    __tablename__ = "chat_state"

    user_handle: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class RuleMatch(Base):
    """An account a rule currently matches, since when, and the field values it replaced.

    Rows come and go set-wise with each evaluation: `since` names the matching episode (messages
    are keyed by it, so a DM or webhook goes once per episode), `previous` lets a set-field action
    put the old value back when the rule stops matching.
    """

    __tablename__ = "rule_matches"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    since: Mapped[dt.date] = mapped_column(Date)
    previous: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class InterviewTemplate(Base):
    """An admin-edited interview template (YAML text), shared by every bot instance."""

    __tablename__ = "interview_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SavedSegment(Base):
    """A named segment ("at-risk fintech"): a query spec, usable in questions, rules and digests."""

    __tablename__ = "saved_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_norm: Mapped[str] = mapped_column(String(200), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_text: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
