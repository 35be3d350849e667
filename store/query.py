"""Compile a query spec to SQL, always inside the asker's visibility scope, and run it.

Questions read `accounts` joined to `account_figures` (one row per account); they never scan the
events table, except for an event measure over a window the figures table does not hold, which is
a correlated lookup on the (account_id, type, ts) index.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from store import people as people_mod
from store import vocab
from store.fields import EVENT_MEASURES, WINDOWS, FieldDef, catalogue, custom_field_def
from store.identity import normalise_domain, normalise_name
from store.lang import events as lang_events
from store.lang.classes import tag_key
from store.models import (
    ALERT_OPEN_STATUSES,
    Account,
    AccountAlias,
    AccountFigures,
    AccountNote,
    AccountTag,
    Alert,
    Contact,
    CustomField,
    CustomValue,
    Event,
    NpsResponse,
    SavedSegment,
    User,
)
from store.segments import segment_key
from store.spec import Aggregate, Condition, Filter, RelativeDate, Sort, Spec, period_bounds

DEFAULT_LIMIT = 20
LOCAL_OPERATOR = "local"  # the terminal user when no --as is given: sees every account


def _tag_key(col: ColumnElement[Any]) -> ColumnElement[str]:
    """A stored tag as store.lang.classes.tag_key spells it: churn-risk = Churn Risk = churn_risk."""
    return func.replace(func.replace(func.lower(func.trim(col)), "-", "_"), " ", "_")


def like_escape(text: str) -> str:
    """Make user text literal inside a LIKE pattern (%, _ and the escape itself)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# marks that separate words in a stored text ("CTO, Asia", "VP/Finance", "Head-of-IT")
_WORD_SEPARATORS = (",", "/", "-", "(", ")", ".", "&", ";", ":", "|")


def text_matches(col: ColumnElement[Any], op: str, values: list[Any]) -> ColumnElement[bool]:
    """`contains` (a substring) or `has_word` (a whole word or phrase; a Chinese phrase anywhere),
    any case, any of the values."""
    low = func.lower(col)
    if op == "contains":
        return or_(*[low.like(f"%{like_escape(str(v).lower())}%", escape="\\") for v in values])
    spaced = low
    for mark in _WORD_SEPARATORS:
        spaced = func.replace(spaced, mark, " ")
    spaced = literal(" ").concat(spaced).concat(" ")
    parts = []
    for v in values:
        w = " ".join(str(v).lower().split())
        if not w.isascii():
            parts.append(low.like(f"%{like_escape(w)}%", escape="\\"))
        else:
            parts.append(spaced.like(f"% {like_escape(w)} %", escape="\\"))
    return or_(*parts)


class SpecError(ValueError):
    """A spec names a field or value the store cannot answer; the message says which."""


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """Which accounts an asker may see: all, none, or those owned/served by given identifiers."""

    kind: str  # all | none | ids
    identifiers: frozenset[str] = frozenset()  # owner/csm values visible
    own: frozenset[str] = frozenset()  # the asker's own identifiers ("my accounts")
    user: str | None = None
    role: str | None = None

    @classmethod
    def everything(cls, user: str | None = None) -> Scope:
        return cls("all", user=user, role="admin")

    @classmethod
    def nothing(cls, user: str | None = None) -> Scope:
        return cls("none", user=user)

    def clause(self) -> ColumnElement[bool]:
        if self.kind == "all":
            return true()
        if self.kind == "none" or not self.identifiers:
            return false()
        return owned_by(self.identifiers)

    def mine_clause(self) -> ColumnElement[bool]:
        ids = sorted(self.own or self.identifiers)
        if self.role == "manager" and self.identifiers:
            ids = sorted(self.identifiers)
        return owned_by(ids)


def owner_column(col: Any) -> ColumnElement[Any]:
    """An owner/csm column in the resolver's comparable form (trimmed, lower-case)."""
    return func.lower(func.trim(col))


def owned_by(ids: set[str] | frozenset[str]) -> ColumnElement[bool]:
    """Accounts whose owner or CSM cell holds one of these person spellings."""
    keys = sorted({k for k in (people_mod.person_key(i) for i in ids) if k})
    if not keys:
        return false()
    return or_(owner_column(Account.owner).in_(keys), owner_column(Account.csm).in_(keys))


def user_identifiers(user: User) -> set[str]:
    """The strings an account's owner/csm column may hold for this user.

    Spreadsheets name owners by handle, by email, or by the person's name (负责人: 张三), and
    accounts are often imported before their owners are added as users — so every spelling the
    identity resolver knows counts (store/people.py).
    """
    return people_mod.identifiers(user)


def find_user(session: Session, who: str | None) -> User | None:
    """An active user by handle, email, Slack id, WeCom id or unique display name (any case,
    spacing or width) — the one identity resolver."""
    key = people_mod.person_key(who)
    if not key:
        return None
    # the precise spellings by index first; the whole directory only for a display name
    user = session.scalars(
        select(User)
        .where(
            User.active.is_(True),
            or_(*(func.lower(getattr(User, a)) == key for a in people_mod.PRECISE)),
        )
        .order_by(User.id)
    ).first()
    return user or people_mod.People.load(session).resolve(who)


def team_of(session: Session, manager: User) -> list[User]:
    """The manager and everyone who reports to them, directly or not."""
    team = [manager]
    frontier = [manager.id]
    seen = {manager.id}
    while frontier:
        reports = session.scalars(select(User).where(User.manager_id.in_(frontier))).all()
        frontier = [u.id for u in reports if u.id not in seen]
        seen.update(frontier)
        team.extend(u for u in reports if u.id in frontier)
    return team


def scope_for(session: Session, who: str | None) -> Scope:
    """The visibility of a user: admin all, manager team, sales own, CSM served, unknown none.

    The terminal's local operator (LOCAL_OPERATOR, used when no --as is given) sees everything,
    unless an admin created a real user with that handle.
    """
    user = find_user(session, who)
    if user is None and who == LOCAL_OPERATOR:
        return Scope.everything(LOCAL_OPERATOR)
    if user is None:
        return Scope.nothing(who)
    own = frozenset(user_identifiers(user))
    if user.role == "admin":
        return Scope("all", own=own, user=user.handle, role="admin")
    if user.role == "manager":
        ids: set[str] = set()
        for member in team_of(session, user):
            ids |= user_identifiers(member)
        return Scope("ids", frozenset(ids), own, user.handle, "manager")
    return Scope("ids", own, own, user.handle, user.role)


# --------------------------------------------------------------------------- fields


def load_catalogue(session: Session) -> dict[str, FieldDef]:
    """Built-in fields plus the custom fields defined in this database."""
    return catalogue([custom_field_def(r) for r in session.scalars(select(CustomField))])


def stored_event_types(session: Session) -> list[str]:
    """The event types this database holds (data, like values: a CRM's meeting, email, …)."""
    rows = session.scalars(select(Event.type).distinct().limit(200))
    return sorted({str(t) for t in rows if t})


def _parse_date(value: Any, as_of: dt.date) -> dt.date:
    if isinstance(value, RelativeDate):
        return value.resolve(as_of)
    if isinstance(value, dict):
        return RelativeDate.model_validate(value).resolve(as_of)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError as exc:
            raise SpecError(f"'{value}' is not a date (use YYYY-MM-DD)") from exc
    raise SpecError(f"{value!r} is not a date")


def _month_day(value: Any) -> str | None:
    """The "MM-DD" of a date said without its year, else None."""
    if isinstance(value, dict):
        value = RelativeDate.model_validate(value)
    return value.month_day if isinstance(value, RelativeDate) else None


def _window_bounds(as_of: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """The datetime range of the window (as-of − N days, as-of]: N whole days ending on as-of."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    return end - dt.timedelta(days=days), end


@dataclass
class Compiler:
    """Turns spec parts into SQLAlchemy expressions for one as-of and catalogue."""

    as_of: dt.date
    fields: dict[str, FieldDef]
    session: Session | None = None
    _user_cache: dict[str, set[str]] = field(default_factory=dict)
    _stored: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    _expanding: set[str] = field(default_factory=set)

    # ---- field expressions
    def field_def(self, key: str) -> FieldDef:
        f = self.fields.get(key)
        if f is None:
            raise SpecError(f"unknown field '{key}'")
        return f

    def window_of(self, flt: Filter | Sort | Aggregate) -> tuple[dt.datetime, dt.datetime] | None:
        """The datetime range [start, end) of a filter's calendar or absolute window (None: a
        rolling window of window_days); never past as-of."""
        since = getattr(flt, "since", None)
        until = getattr(flt, "until", None)
        period = getattr(flt, "period", None)
        if since is None and until is None and period is None:
            return None
        last = self.as_of
        if period is not None:
            first, last = period_bounds(period, self.as_of)
            if first > self.as_of and re.fullmatch(r"[mqh]\d+", period):
                # events "in December" asked in November: the last December, not one to come
                first, last = period_bounds(f"last_year_{period}", self.as_of)
        else:
            first = _parse_date(since, self.as_of) if since is not None else dt.date(1970, 1, 1)
            if until is not None:
                last = _parse_date(until, self.as_of)
            if first > last and _month_day(since) and _month_day(until):
                # "between Dec 1 and Jan 31" said in December: the December before that January
                first = dt.date(
                    first.year - 1, first.month, min(first.day, 28 if first.month == 2 else 31)
                )
        last = min(last, self.as_of)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time())
        return dt.datetime.combine(first, dt.time()), end

    def measure_for(self, flt: Filter | Sort | Aggregate) -> ColumnElement[Any]:
        """An event measure as a filter or sort asks for it: its window, feature and type."""
        bounds = self.window_of(flt)
        if flt.field == "events" and bounds is None and flt.window_days is None:
            bounds = self.all_time()  # "no meetings" / "开过会": every such event up to as-of
        return self.measure_expr(
            flt.field,
            flt.window_days or 30,
            bounds=bounds,
            feature=getattr(flt, "feature", None),
            event_type=flt.event_type,
        )

    def aggregate_expr(self, agg: Aggregate) -> ColumnElement[Any]:
        """What a total or average adds up: an event measure over the window said with it (30
        days when none), any other field as it is."""
        key = agg.field or ""
        if key in EVENT_MEASURES:
            return self.measure_for(agg)
        return self.expr(key)

    def all_time(self) -> tuple[dt.datetime, dt.datetime]:
        """Every day up to as-of, as a window."""
        end = dt.datetime.combine(self.as_of + dt.timedelta(days=1), dt.time())
        return dt.datetime(1970, 1, 1), end

    def measure_expr(
        self,
        name: str,
        days: int,
        *,
        bounds: tuple[dt.datetime, dt.datetime] | None = None,
        feature: str | None = None,
        event_type: str | None = None,
    ) -> ColumnElement[Any]:
        """An event measure over any window: figures column when stored, else an indexed lookup.

        `events` counts the events of `event_type` (of any type when None)."""
        if (
            bounds is None
            and feature is None
            and days in WINDOWS
            and f"{name}_{days}d" in self.fields
        ):
            return func.coalesce(getattr(AccountFigures, f"{name}_{days}d"), 0)
        etype, how = EVENT_MEASURES[name]
        start, end = bounds or _window_bounds(self.as_of, days)
        conds = [Event.account_id == Account.id, Event.ts >= start, Event.ts < end]
        if etype == "?" and event_type:  # one type, in any spelling the book stores it
            conds.append(Event.type.in_(lang_events.spellings(event_type)))
        elif etype not in ("*", "?"):
            conds.append(Event.type == etype)
        if feature:
            conds.append(func.lower(Event.feature) == feature.strip().lower())
        if how == "count":
            agg = func.count()
        elif how == "sum":
            agg = func.coalesce(func.sum(Event.amount), 0.0)
        else:
            agg = func.count(func.distinct(Event.actor))
        return select(agg).where(*conds).scalar_subquery()

    def expr(self, key: str, window_days: int | None = None) -> ColumnElement[Any]:
        """The SQL expression for a field's value on an account row."""
        if key in EVENT_MEASURES:
            return self.measure_expr(key, window_days or 30)
        f = self.field_def(key)
        if f.source == "account":
            return getattr(Account, f.column or f.key)
        if f.source == "figure":
            return getattr(AccountFigures, f.column or f.key)
        if f.source == "custom":
            col = {"number": CustomValue.value_num, "date": CustomValue.value_date}.get(
                f.type, CustomValue.value_text
            )
            return (
                select(col)
                .where(CustomValue.account_id == Account.id, CustomValue.field_id == f.custom_id)
                .scalar_subquery()
            )
        if f.source == "alert":
            return (
                select(func.count(Alert.id))
                .where(Alert.account_id == Account.id, Alert.status.in_(ALERT_OPEN_STATUSES))
                .scalar_subquery()
            )
        raise SpecError(f"field '{key}' cannot be shown or sorted on")

    # ---- filters
    def condition(self, cond: Condition) -> ColumnElement[bool]:
        if cond.on == "contact":
            e = exists().where(Contact.account_id == Account.id, self._contact_row(cond))
            return not_(e) if cond.negate else e
        parts_all = [self.item(x) for x in cond.all]
        parts_any = [self.item(x) for x in cond.any]
        clauses: list[ColumnElement[bool]] = []
        if parts_all:
            clauses.append(and_(*parts_all))
        if parts_any:
            clauses.append(or_(*parts_any))
        out = and_(*clauses) if clauses else true()
        return not_(out) if cond.negate else out

    def item(self, x: Filter | Condition) -> ColumnElement[bool]:
        return self.filter(x) if isinstance(x, Filter) else self.condition(x)

    def filter(self, flt: Filter) -> ColumnElement[bool]:
        key = flt.field
        if key == "tag":
            return self._tag_filter(flt)
        if key == "segment":
            return self._segment_filter(flt)
        if key.startswith("contact_"):
            return self._contact_filter(flt)
        if key == "note_text":
            return self._note_filter(flt)
        if key == "nps_comment":
            return self._nps_comment_filter(flt)
        if key in ("owner", "csm") and flt.op in ("eq", "ne", "in", "not_in"):
            return self._person_filter(flt)
        if key in EVENT_MEASURES:
            f = FieldDef(key, key, key, "number", "event")
            return self._compare(f, self.measure_for(flt), flt)
        f = self.field_def(key)
        col = self.expr(key, flt.window_days)
        return self._compare(f, col, flt)

    def _values(self, f: FieldDef, flt: Filter) -> list[Any]:
        raw = flt.value if isinstance(flt.value, list) else [flt.value]
        return [self._coerce(f, v) for v in raw]

    def _coerce(self, f: FieldDef, v: Any) -> Any:
        if v is None:
            return None
        if f.temporal:
            d = _parse_date(v, self.as_of)
            return dt.datetime.combine(d, dt.time()) if f.type == "datetime" else d
        if f.numeric:
            if f.unit == "year" and isinstance(v, RelativeDate | dict):
                # a year relative to as-of ("founded more than 10 years ago")
                return _parse_date(v, self.as_of).year
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, int | float):
                return v
            try:
                return float(str(v).replace(",", ""))
            except ValueError as exc:
                raise SpecError(f"{f.key} needs a number, not '{v}'") from exc
        return str(v)

    def _compare(self, f: FieldDef, col: ColumnElement[Any], flt: Filter) -> ColumnElement[bool]:
        op = flt.op
        if op == "empty":
            return or_(col.is_(None), col == "") if f.type in ("text", "choice") else col.is_(None)
        if op == "not_empty":
            return (
                and_(col.is_not(None), col != "")
                if f.type in ("text", "choice")
                else col.is_not(None)
            )
        if op == "in_period":
            start, end = period_bounds(str(flt.value), self.as_of)
            if f.type == "datetime":
                return and_(
                    col >= dt.datetime.combine(start, dt.time()),
                    col < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
                )
            return and_(col >= start, col <= end)
        vals = self._values(f, flt)
        if f.type in ("text", "choice") and not f.numeric:
            return self._text_compare(f, col, op, vals)
        # "no login ever counts as inactive": NULL days_since_login is larger than any N
        null_is_infinite = f.key == "days_since_login"
        if op == "between":
            lo, hi = sorted(vals, key=lambda v: (v is None, v))
            out = and_(col >= lo, col <= hi)
        elif op in ("eq", "ne") and vals[0] is None:
            return col.is_(None) if op == "eq" else col.is_not(None)
        elif op == "in":
            out = col.in_(vals)
        elif op == "not_in":
            return or_(col.is_(None), col.not_in(vals))
        else:
            v = vals[0]
            out = {
                "eq": col == v,
                "ne": col != v,
                "lt": col < v,
                "le": col <= v,
                "gt": col > v,
                "ge": col >= v,
                "contains": col == v,
                "has_word": col == v,
            }[op]
        if null_is_infinite and op in ("gt", "ge"):
            return or_(out, col.is_(None))
        if op == "ne":
            return or_(out, col.is_(None))
        return out

    def _text_compare(
        self, f: FieldDef, col: ColumnElement[Any], op: str, vals: list[Any]
    ) -> ColumnElement[bool]:
        low = func.lower(col)
        if op in ("contains", "has_word"):
            return text_matches(col, op, vals)
        expanded: set[str] = set()
        for v in vals:
            expanded |= vocab.variants(f.key, str(v))
        expanded |= self.stored_spellings(f, vals)
        if f.key == "parent":
            expanded |= self.stored_companies(vals)
        if op in ("eq", "in"):
            return low.in_(sorted(expanded))
        if op in ("ne", "not_in"):
            return or_(col.is_(None), low.not_in(sorted(expanded)))
        v = str(vals[0]).lower()
        return {"lt": low < v, "le": low <= v, "gt": low > v, "ge": low >= v}.get(op, low == v)

    def stored_spellings(self, f: FieldDef, vals: list[Any]) -> set[str]:
        """The book's own spellings of these values (`生物科技` for biotech, `Growth plan`)."""
        if self.session is None or f.source != "account" or f.key not in vocab.FIELDS:
            return set()
        stored = self._stored.get(f.key)
        if stored is None:
            col = getattr(Account, f.column or f.key)
            stored = {}
            for v in self.session.scalars(select(col).where(col.is_not(None)).distinct()):
                if isinstance(v, str) and v.strip():
                    stored.setdefault(vocab.key(f.key, v), set()).add(v.strip().lower())
            self._stored[f.key] = stored
        out: set[str] = set()
        for v in vals:
            if v is not None:
                out |= stored.get(vocab.key(f.key, str(v)), set())
        return out

    def stored_companies(self, vals: list[Any]) -> set[str]:
        """Parent values naming the same company (`Acme Corp` = `Acme Corporation`, 某某科技有限公司)."""
        if self.session is None:
            return set()
        stored = self._stored.get("parent")
        if stored is None:
            stored = {}
            col = Account.parent
            for v in self.session.scalars(select(col).where(col.is_not(None)).distinct()):
                if isinstance(v, str) and v.strip():
                    stored.setdefault(normalise_name(v), set()).add(v.strip().lower())
            self._stored["parent"] = stored
        out: set[str] = set()
        for v in vals:
            if v is not None and normalise_name(str(v)):
                out |= stored.get(normalise_name(str(v)), set())
        return out

    def _tag_filter(self, flt: Filter) -> ColumnElement[bool]:
        def has(tags: list[str]) -> ColumnElement[bool]:
            return exists().where(
                AccountTag.account_id == Account.id,
                _tag_key(AccountTag.tag).in_([tag_key(t) for t in tags]),
            )

        if flt.op in ("empty", "not_empty"):
            any_tag = exists().where(AccountTag.account_id == Account.id)
            return not_(any_tag) if flt.op == "empty" else any_tag
        tags = [str(v) for v in (flt.value if isinstance(flt.value, list) else [flt.value])]
        if flt.op in ("contains", "has_word"):
            return exists().where(
                AccountTag.account_id == Account.id, text_matches(AccountTag.tag, flt.op, tags)
            )
        if flt.op in ("ne", "not_in"):
            return not_(has(tags))
        return has(tags)

    def _nps_comment_filter(self, flt: Filter) -> ColumnElement[bool]:
        """Accounts with an NPS comment (up to as-of) mentioning any of the words."""
        base = [NpsResponse.account_id == Account.id, NpsResponse.date <= self.as_of]
        if flt.op in ("empty", "not_empty"):
            e = exists().where(*base, NpsResponse.comment.is_not(None), NpsResponse.comment != "")
            return not_(e) if flt.op == "empty" else e
        vals = [str(v).lower() for v in (flt.value if isinstance(flt.value, list) else [flt.value])]
        low = func.lower(NpsResponse.comment)
        e = exists().where(
            *base, or_(*[low.like(f"%{like_escape(v)}%", escape="\\") for v in vals])
        )
        return not_(e) if flt.op in ("ne", "not_in") else e

    def _contact_row(self, cond: Condition) -> ColumnElement[bool]:
        """What one contact row must satisfy (inside an EXISTS over the account's contacts)."""
        parts_all = [
            self._contact_pred(x) if isinstance(x, Filter) else self._contact_row(x)
            for x in cond.all
        ]
        parts_any = [
            self._contact_pred(x) if isinstance(x, Filter) else self._contact_row(x)
            for x in cond.any
        ]
        clauses = []
        if parts_all:
            clauses.append(and_(*parts_all))
        if parts_any:
            clauses.append(or_(*parts_any))
        out = and_(*clauses) if clauses else true()
        return out if cond.on is not None or not cond.negate else not_(out)

    def _contact_pred(self, flt: Filter) -> ColumnElement[bool]:
        attr = flt.field.removeprefix("contact_")
        col = getattr(Contact, attr, None)
        if col is None:
            raise SpecError(f"unknown field '{flt.field}'")
        if flt.op in ("empty", "not_empty"):
            return col.is_(None) if flt.op == "empty" else col.is_not(None)
        vals = [str(v).lower() for v in (flt.value if isinstance(flt.value, list) else [flt.value])]
        low = func.lower(col)
        if flt.op in ("contains", "has_word"):
            return text_matches(col, flt.op, vals)
        if flt.op in ("ne", "not_in"):
            return or_(col.is_(None), low.not_in(vals))
        return low.in_(vals)

    def _segment_filter(self, flt: Filter) -> ColumnElement[bool]:
        """Membership of saved segments: their saved conditions, compiled here (one level deep
        at a time; a segment naming itself is refused)."""
        if self.session is None:
            raise SpecError("a saved segment needs the database")
        if flt.op not in ("eq", "ne", "in", "not_in"):
            raise SpecError("a saved segment is matched by name (= or in)")
        names = flt.value if isinstance(flt.value, list) else [flt.value]
        parts: list[ColumnElement[bool]] = []
        for name in names:
            key = segment_key(str(name or ""))
            row = self.session.scalars(
                select(SavedSegment).where(SavedSegment.name_norm == key)
            ).first()
            if row is None:
                raise SpecError(f"no saved segment named '{name}'")
            if key in self._expanding:
                raise SpecError(f"segment '{name}' refers to itself")
            saved = Spec.model_validate(row.spec)
            self._expanding.add(key)
            try:
                clauses = [self.condition(saved.where)]
                if saved.owner:
                    clauses.append(
                        self._person_filter(Filter(field="owner", op="eq", value=saved.owner))
                    )
                if saved.team:
                    clauses.append(self.team_clause(saved.team))
            finally:
                self._expanding.discard(key)
            parts.append(and_(*clauses))
        out = or_(*parts) if parts else false()
        return not_(out) if flt.op in ("ne", "not_in") else out

    def _contact_filter(self, flt: Filter) -> ColumnElement[bool]:
        attr = flt.field.removeprefix("contact_")
        col = getattr(Contact, attr)
        if flt.op in ("empty", "not_empty"):
            e = exists().where(Contact.account_id == Account.id, col.is_not(None))
            return not_(e) if flt.op == "empty" else e
        vals = [str(v).lower() for v in (flt.value if isinstance(flt.value, list) else [flt.value])]
        low = func.lower(col)
        if flt.op in ("contains", "has_word"):
            match = text_matches(col, flt.op, vals)
        else:
            match = low.in_(vals)
        e = exists().where(Contact.account_id == Account.id, match)
        return not_(e) if flt.op in ("ne", "not_in") else e

    def _note_filter(self, flt: Filter) -> ColumnElement[bool]:
        """Accounts whose quick notes, interview answers filed on the card or key people's notes
        contain any of the values (any case)."""
        if flt.op in ("empty", "not_empty"):
            e = or_(
                exists().where(AccountNote.account_id == Account.id), Account.notes.is_not(None)
            )
            return not_(e) if flt.op == "empty" else e
        vals = [str(v).lower() for v in (flt.value if isinstance(flt.value, list) else [flt.value])]
        pats = [f"%{like_escape(v)}%" for v in vals]
        in_notes = exists().where(
            AccountNote.account_id == Account.id,
            or_(*[func.lower(AccountNote.text).like(p, escape="\\") for p in pats]),
        )
        on_card = or_(
            *[func.lower(func.coalesce(Account.notes, "")).like(p, escape="\\") for p in pats]
        )
        on_people = exists().where(
            Contact.account_id == Account.id,
            or_(*[func.lower(Contact.notes).like(p, escape="\\") for p in pats]),
        )
        e = or_(in_notes, on_card, on_people)
        return not_(e) if flt.op in ("ne", "not_in") else e

    def person_identifiers(self, who: str) -> set[str]:
        """A person named in a question -> the owner/csm strings that mean them."""
        w = who.strip().lower()
        if w in self._user_cache:
            return self._user_cache[w]
        ids = {w}
        for u in self.people_named(w):
            ids |= user_identifiers(u)
        self._user_cache[w] = ids
        return ids

    def people_named(self, who: str) -> list[User]:
        """The users a question's name means (handle, email, full name or first name)."""
        if self.session is None:
            return []
        w = who.strip().lower()
        found = list(
            self.session.scalars(
                select(User)
                .where(
                    or_(
                        func.lower(User.handle) == w,
                        func.lower(User.email) == w,
                        func.lower(User.name) == w,
                        func.lower(User.name).like(f"{like_escape(w)} %", escape="\\"),
                        func.lower(User.email).like(f"{like_escape(w)}@%", escape="\\"),
                    )
                )
                .order_by(User.id)
            ).all()
        )
        exact = people_mod.People.load(self.session).resolve(who, active_only=False)
        if exact is not None and all(u.id != exact.id for u in found):
            found.append(exact)
        return found

    def team_identifiers(self, who: str) -> set[str]:
        """The owner/csm strings of a manager's team: the manager and every report, recursively.

        A person nobody reports to, who has a manager, names the team they belong to ("Anna's
        team" for a sales rep = her manager's team); a name that is no user stands for itself.
        """
        assert self.session is not None
        ids = {who.strip().lower()}
        for u in self.people_named(who):
            head = u
            has_reports = self.session.scalar(
                select(func.count()).select_from(User).where(User.manager_id == u.id)
            )
            if not has_reports and u.manager_id is not None:
                head = self.session.get(User, u.manager_id) or u
            for member in team_of(self.session, head):
                ids |= user_identifiers(member)
        return ids

    def team_clause(self, who: str) -> ColumnElement[bool]:
        """Accounts owned or served by anyone in this person's team."""
        return owned_by(self.team_identifiers(who) if self.session is not None else {who})

    def _person_filter(self, flt: Filter) -> ColumnElement[bool]:
        col = owner_column(getattr(Account, flt.field))
        ids: set[str] = set()
        for v in flt.value if isinstance(flt.value, list) else [flt.value]:
            if v is not None:
                ids |= {people_mod.person_key(i) for i in self.person_identifiers(str(v))}
        if flt.op in ("eq", "in"):
            return col.in_(sorted(ids)) if ids else col.is_(None)
        return or_(col.is_(None), col.not_in(sorted(ids)))

    # ---- sorting
    def sort_key(self, srt: Sort) -> list[ColumnElement[Any]]:
        """ORDER BY terms for one sort: an event measure over its window and feature."""
        key, desc = srt.field, srt.desc
        col = self.measure_for(srt) if key in EVENT_MEASURES else self.expr(key, srt.window_days)
        if key == "days_since_login":
            # never logged in sorts as the most inactive
            col = func.coalesce(col, 1_000_000)
        nulls_last = case((col.is_(None), 1), else_=0)
        return [nulls_last, col.desc() if desc else col.asc()]


# --------------------------------------------------------------------------- running


@dataclass
class ResultRow:
    """One matching account with the values the answer displays."""

    id: int
    account_id: str | None
    name: str
    owner: str | None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class QueryResult:
    """What a spec returned: accounts (paged), their total, or a value, or a breakdown."""

    spec: Spec
    as_of: dt.date
    rows: list[ResultRow] = field(default_factory=list)
    total: int = 0
    value: float | int | None = None
    groups: list[dict[str, Any]] = field(default_factory=list)


def base_select(comp: Compiler, spec: Spec, scope: Scope) -> Select:
    """accounts ⟕ figures, filtered by the spec and the scope."""
    stmt = (
        select(Account.id)
        .select_from(Account)
        .outerjoin(AccountFigures, AccountFigures.account_id == Account.id)
    )
    clauses = [scope.clause(), comp.condition(spec.where)]
    if spec.mine:
        clauses.append(scope.mine_clause())
    if spec.owner:
        clauses.append(comp._person_filter(Filter(field="owner", op="eq", value=spec.owner)))
    if spec.team:
        clauses.append(comp.team_clause(spec.team))
    if spec.within is not None:  # the accounts that answer showed, in its order and limit
        inner = spec.within
        order: list[ColumnElement[Any]] = []
        for s in inner.sort:
            order.extend(comp.sort_key(s))
        shown = base_select(comp, inner, scope).order_by(*order, Account.name.asc(), Account.id)
        if inner.limit:
            shown = shown.offset(inner.offset).limit(inner.limit)
        clauses.append(Account.id.in_(select(shown.subquery().c.id)))
    return stmt.where(*clauses)


def display_fields(spec: Spec) -> list[str]:
    """Fields an answer shows besides name and owner: those asked about, then ARR."""
    out: list[str] = []
    for key in [
        *spec.show,
        *(f.field for f in spec.where.filters()),
        *(s.field for s in spec.sort),
    ]:
        skip = ("tag", "segment", "owner", "name", "account_id", "note_text", "nps_comment")
        if key in skip or key.startswith("contact_"):
            continue
        if key not in out:
            out.append(key)
    if "arr" not in out:
        out.append("arr")
    return out[:4]


def _show_expr(comp: Compiler, spec: Spec, key: str) -> ColumnElement[Any]:
    if key in EVENT_MEASURES:  # shown over the window (and feature) it was asked about
        flt = next((f for f in spec.where.filters() if f.field == key), None)
        flt = flt or next((s for s in spec.sort if s.field == key), None)
        if flt is not None:
            return comp.measure_for(flt)
    window = next((f.window_days for f in spec.where.filters() if f.field == key), None)
    window = window or next((s.window_days for s in spec.sort if s.field == key), None)
    return comp.expr(key, window)


def run(
    session: Session, spec: Spec, scope: Scope, as_of: dt.date, *, language: str | None = None
) -> QueryResult:
    """Answer a spec inside a scope as of a date (figures must be fresh for that date).

    `language` ('en'/'zh') picks a breakdown row's label among the spellings the book holds.
    """
    comp = Compiler(as_of, load_catalogue(session), session)
    result = QueryResult(spec=spec, as_of=as_of)
    filtered = base_select(comp, spec, scope)

    if spec.group_by:
        result.groups = _breakdown(session, comp, spec, filtered, language)
        result.total = sum(g["count"] for g in result.groups)
        return result
    if spec.aggregate is not None and spec.aggregate.func != "count":
        if not spec.aggregate.field:
            raise SpecError(f"'{spec.aggregate.func}' needs a field")
        col = comp.aggregate_expr(spec.aggregate)
        agg = getattr(func, spec.aggregate.func)(col)
        ids = filtered.subquery()
        stmt = (
            select(agg, func.count())
            .select_from(Account)
            .outerjoin(AccountFigures, AccountFigures.account_id == Account.id)
            .where(Account.id.in_(select(ids.c.id)))
        )
        value, count = session.execute(stmt).one()
        result.value = round(float(value), 2) if value is not None else None
        result.total = count
        return result

    total = session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
    result.total = total
    if spec.aggregate is not None:  # count
        result.value = total
        return result

    shown = display_fields(spec)
    cols = [Account.id, Account.external_id, Account.name, Account.owner]
    show_cols = [_show_expr(comp, spec, k).label(f"v_{i}") for i, k in enumerate(shown)]
    stmt = filtered.with_only_columns(*cols, *show_cols)
    order: list[ColumnElement[Any]] = []
    for s in spec.sort:
        order.extend(comp.sort_key(s))
    order.append(Account.name.asc())
    order.append(Account.id.asc())
    stmt = stmt.order_by(*order).offset(spec.offset).limit(spec.limit or DEFAULT_LIMIT)
    for row in session.execute(stmt):
        values = {k: row[4 + i] for i, k in enumerate(shown)}
        result.rows.append(ResultRow(row[0], row[1], row[2], row[3], values))
    return result


def _breakdown(
    session: Session, comp: Compiler, spec: Spec, filtered: Select, language: str | None = None
) -> list[dict]:
    key = spec.group_by or ""
    ids = filtered.subquery()
    if key == "tag":
        group_col: ColumnElement[Any] = AccountTag.tag
        stmt = (
            select(group_col, func.count(func.distinct(Account.id)))
            .select_from(Account)
            .join(AccountTag, AccountTag.account_id == Account.id)
        )
    elif key in ("owner", "csm") or (key in EVENT_MEASURES):
        group_col = comp.expr(key)
        stmt = (
            select(group_col, func.count())
            .select_from(Account)
            .outerjoin(AccountFigures, AccountFigures.account_id == Account.id)
        )
    else:
        group_col = comp.expr(key)
        stmt = (
            select(group_col, func.count())
            .select_from(Account)
            .outerjoin(AccountFigures, AccountFigures.account_id == Account.id)
        )
    agg = spec.aggregate
    measured = agg is not None and agg.func != "count" and bool(agg.field)
    if measured:
        col = comp.aggregate_expr(agg)
        if agg.func == "avg":
            stmt = stmt.add_columns(func.sum(col), func.count(col))
        else:
            stmt = stmt.add_columns(getattr(func, agg.func)(col), literal(None))
    else:
        stmt = stmt.add_columns(literal(None), literal(None))
    stmt = stmt.where(Account.id.in_(select(ids.c.id))).group_by(group_col)
    # values that mean the same (金融科技 = Fintech, growth = 成长版; an owner's email = their
    # handle) form one group, shown under the spelling most of its accounts use in the asker's
    # language (a person under their name)
    people = people_mod.People.load(session) if key in ("owner", "csm") else None
    merged: dict[Any, dict[str, Any]] = {}
    for g, n, value, n_value in session.execute(stmt):
        if isinstance(g, dt.date):
            g = g.isoformat()
        person = people.resolve(g, active_only=False) if isinstance(g, str) and people else None
        if person is not None:
            mkey: Any = ("user", person.handle)
        elif isinstance(g, str):
            mkey = vocab.key(key, g) if key in vocab.FIELDS else g.strip().lower()
        else:
            mkey = g
        cur = merged.setdefault(
            mkey, {"labels": {}, "count": 0, "value": None, "n_value": 0, "func": None}
        )
        if person is not None:
            cur["handle"] = person.handle
            g = person.name or person.handle
        cur["labels"][g] = cur["labels"].get(g, 0) + n
        cur["count"] += n
        if measured and value is not None:
            v = float(value)
            if agg.func in ("sum", "avg"):
                cur["value"] = (cur["value"] or 0.0) + v
                cur["n_value"] += int(n_value or 0)
            elif agg.func == "max":
                cur["value"] = v if cur["value"] is None else max(cur["value"], v)
            else:
                cur["value"] = v if cur["value"] is None else min(cur["value"], v)
    groups = []
    for cur in merged.values():
        labels = cur["labels"]
        if language and len(labels) > 1:
            own = {k: c for k, c in labels.items() if vocab.is_zh(k) == (language == "zh")}
            labels = own or labels
        label = max(labels.items(), key=lambda kv: (kv[1], str(kv[0])))[0]
        value = cur["value"]
        if measured and agg.func == "avg":
            value = value / cur["n_value"] if cur["n_value"] else None
        row = {
            "key": label,
            "count": cur["count"],
            "value": round(float(value), 2) if value is not None else None,
        }
        if "handle" in cur:
            row["handle"] = cur["handle"]
        groups.append(row)
    by = "value" if measured else "count"
    desc = spec.sort[0].desc if spec.sort else True
    groups.sort(
        key=lambda r: (r[by] is None, -(r[by] or 0) if desc else (r[by] or 0), str(r["key"]))
    )
    if spec.limit:
        groups = groups[: spec.limit]
    return groups


def sees(session: Session, scope: Scope, account_id: int) -> bool:
    """Whether one account is inside the scope (a card, an interview step, a button)."""
    return (
        session.scalar(select(Account.id).where(Account.id == account_id, scope.clause()))
        is not None
    )


ROW_COLUMNS = ("id", "account_id", "name", "owner", "csm")


def account_rows(
    session: Session,
    spec: Spec,
    scope: Scope,
    as_of: dt.date,
    fields: list[str] | tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Every account a spec matches inside the scope (all of them unless the spec has a limit),
    as dicts of id, account_id, name, owner, csm and the given fields, in the spec's order.

    For the doors that act on accounts rather than answer with a page of them: reminders,
    inactivity, digests, the App Home.
    """
    comp = Compiler(as_of, load_catalogue(session), session)
    filtered = base_select(comp, spec, scope)
    cols = [Account.id, Account.external_id, Account.name, Account.owner, Account.csm]
    extra = [_show_expr(comp, spec, k).label(f"f_{i}") for i, k in enumerate(fields)]
    order: list[ColumnElement[Any]] = []
    for srt in spec.sort:
        order.extend(comp.sort_key(srt))
    order.append(Account.id.asc())
    stmt = filtered.with_only_columns(*cols, *extra).order_by(*order).offset(spec.offset)
    if spec.limit:
        stmt = stmt.limit(spec.limit)
    out = []
    for row in session.execute(stmt):
        item = dict(zip(ROW_COLUMNS, row[:5], strict=True))
        item.update({k: row[5 + i] for i, k in enumerate(fields)})
        out.append(item)
    return out


def count(session: Session, spec: Spec, scope: Scope, as_of: dt.date) -> int:
    """How many accounts match (ignoring paging)."""
    comp = Compiler(as_of, load_catalogue(session), session)
    return (
        session.scalar(select(func.count()).select_from(base_select(comp, spec, scope).subquery()))
        or 0
    )


def matching_ids(session: Session, where: Condition, scope: Scope, as_of: dt.date) -> Select:
    """A SELECT of the ids of accounts matching a condition (for set-based rule evaluation)."""
    comp = Compiler(as_of, load_catalogue(session), session)
    return base_select(comp, Spec(where=where), scope)


def spec_ids(session: Session, spec: Spec, scope: Scope, as_of: dt.date) -> Select:
    """A SELECT of the ids of accounts a whole spec (filters, owner, team, mine) matches."""
    comp = Compiler(as_of, load_catalogue(session), session)
    return base_select(comp, spec, scope)


def measure_by_week(
    session: Session,
    spec: Spec,
    scope: Scope,
    as_of: dt.date,
    measure: str = "logins",
    weeks: int = 12,
) -> list[tuple[dt.date, float]]:
    """An event measure per week for the accounts a spec matches inside a scope, oldest first.

    Weeks are the 7-day windows ending on as-of (the last is (as-of − 7 days, as-of]), labelled by
    their first day; one GROUP BY over the (type, ts) index range, never a scan per account.
    """
    if measure not in EVENT_MEASURES:
        raise SpecError(f"'{measure}' is not an event measure")
    if not 1 <= weeks <= 260:
        raise SpecError("weeks must be between 1 and 260")
    comp = Compiler(as_of, load_catalogue(session), session)
    ids = base_select(comp, spec, scope).subquery()
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    bounds = [end - dt.timedelta(weeks=weeks - i) for i in range(weeks + 1)]
    bucket = case(
        *((Event.ts < bounds[i + 1], literal(i)) for i in range(weeks - 1)),
        else_=literal(weeks - 1),
    )
    etype, how = EVENT_MEASURES[measure]
    etype = "*" if etype == "?" else etype
    agg: Any
    if how == "count":
        agg = func.count()
    elif how == "sum":
        agg = func.coalesce(func.sum(Event.amount), 0.0)
    else:
        agg = func.count(func.distinct(Event.actor))
    conds = [Event.ts >= bounds[0], Event.ts < end, Event.account_id.in_(select(ids.c.id))]
    if etype != "*":
        conds.append(Event.type == etype)
    b = bucket.label("b")
    got = {
        int(k): float(v or 0) for k, v in session.execute(select(b, agg).where(*conds).group_by(b))
    }
    return [(bounds[i].date(), got.get(i, 0.0)) for i in range(weeks)]


# --------------------------------------------------------------------------- accounts by name


def _named_exactly(session: Session, ref: str, visible: ColumnElement[bool]) -> Account | None:
    """The visible account a reference names exactly: external id, id, domain, normalised name,
    then an alias."""
    candidates: list[ColumnElement[bool]] = [Account.external_id == ref]
    if ref.isdigit():
        candidates.append(Account.id == int(ref))
    dom = normalise_domain(ref) if "." in ref else None
    if dom:
        candidates.append(Account.domain == dom)
    norm = normalise_name(ref)
    if norm:
        candidates.append(Account.name_norm == norm)
    for cand in candidates:
        acc = session.scalars(select(Account).where(cand, visible).order_by(Account.id)).first()
        if acc is not None:
            return acc
    alias_vals = [v for v in (ref, dom, norm) if v]
    return session.scalars(
        select(Account)
        .join(AccountAlias, AccountAlias.account_id == Account.id)
        .where(AccountAlias.value.in_(alias_vals), visible)
        .order_by(Account.id)
    ).first()


def find_account(session: Session, ref: str, scope: Scope | None = None) -> Account | None:
    """An account by external id, domain, name or alias (normalised), inside the scope."""
    scope = scope or Scope.everything()
    ref = (ref or "").strip()
    if not ref:
        return None
    visible = scope.clause()
    acc = _named_exactly(session, ref, visible)
    if acc is not None:
        return acc
    norm = normalise_name(ref)
    if norm and len(norm) >= 2:
        return session.scalars(
            select(Account)
            .where(Account.name_norm.like(f"%{like_escape(norm)}%", escape="\\"), visible)
            .order_by(func.length(Account.name_norm), Account.id)
        ).first()
    return None


def account_candidates(
    session: Session, ref: str, scope: Scope | None = None, limit: int = 20
) -> list[Account]:
    """Every visible account a reference may mean: the one it names exactly (id, domain, name,
    alias), else all whose normalised name holds it ("acme" -> Acme Games, Acme Energy Co)."""
    scope = scope or Scope.everything()
    ref = (ref or "").strip()
    if not ref:
        return []
    visible = scope.clause()
    acc = _named_exactly(session, ref, visible)
    norm = normalise_name(ref)
    stem_only = (
        acc is not None
        and norm == acc.name_norm
        and _folded(ref) == _folded(norm)  # typed just the stem ("Acme"), no legal form
        and _folded(acc.name) != _folded(norm)  # while the account's name says more
    )
    if acc is not None and not stem_only:
        return [acc]
    if not norm or len(norm) < 2:
        return [acc] if acc is not None else []
    # "Acme" names Acme Corporation only once its legal suffix is dropped: when Acme Logistics
    # Ltd is visible too, both are candidates (the one named first) and the asker chooses
    others = session.scalars(
        select(Account)
        .where(Account.name_norm.like(f"%{like_escape(norm)}%", escape="\\"), visible)
        .order_by(func.length(Account.name_norm), Account.name, Account.id)
        .limit(limit)
    )
    found = [acc] if acc is not None else []
    found += [a for a in others if acc is None or a.id != acc.id]
    return found[:limit]


def _folded(text: str | None) -> str:
    """A name as typed, folded for comparison only (case, width, spaces, punctuation)."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text or "").lower())


__all__ = [
    "Compiler",
    "account_rows",
    "owned_by",
    "QueryResult",
    "ResultRow",
    "Scope",
    "SpecError",
    "account_candidates",
    "count",
    "display_fields",
    "find_account",
    "find_user",
    "load_catalogue",
    "stored_event_types",
    "matching_ids",
    "measure_by_week",
    "spec_ids",
    "run",
    "scope_for",
    "sees",
    "team_of",
]
