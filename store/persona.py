"""Segment comparison (personas, 提取共同特征): how a segment's accounts differ from a baseline.

Both groups come in as SELECTs of account ids built by the spec compiler inside the asker's scope
(store/query.py), so this module never decides who may see what. For every account of either group
it reads, set-wise, one row of profile columns and derived figures, its tags, key people, the
features it used in the last 90 days and the words of its NPS comments, notes and interview
answers; each becomes a binary trait ("industry = 零售", "ARR 50k–150k", "no EB supporter",
"uses workflow", "mentions 价格"). Per trait: the count and share in each group, lift, and a
two-proportion z test; traits below a minimum support are dropped and the rest are kept only when
they survive a Benjamini–Hochberg false-discovery cut over every trait tested, so a field with no
real difference (a decoy) does not show up just because many fields were compared.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from store import vocab
from store.models import (
    Account,
    AccountFigures,
    AccountTag,
    Contact,
    CustomField,
    CustomValue,
    Event,
    InterviewSession,
    NpsResponse,
)

SMALL_GROUP = 20  # a group smaller than this is flagged as a small sample
SMALL_COUNT = 5  # a trait seen in fewer segment accounts than this is flagged
MIN_SUPPORT = 3  # a trait needs at least this many accounts in the segment (or the baseline)
FDR = 0.05  # Benjamini–Hochberg false-discovery rate over every trait tested
MIN_GAP = 0.05  # and a difference of shares of at least 5 points, to matter
FEATURE_WINDOW_DAYS = 90
TEXT_WINDOW_DAYS = 365

CATEGORICAL = (
    "industry",
    "city",
    "province",
    "country",
    "plan",
    "stage",
    "price_sensitivity",
    "tier",
    "status",
    "owner",
)
FIGURE_CHOICES = ("health_band", "rfm_segment", "nps_class")
# field -> ((upper bound exclusive, band code), ...); the last band has no bound
BANDS: dict[str, tuple[tuple[float | None, str], ...]] = {
    "employees": ((50, "<50"), (200, "50-199"), (1000, "200-999"), (None, "1000+")),
    "arr": ((50_000, "<50k"), (150_000, "50k-150k"), (500_000, "150k-500k"), (None, "500k+")),
    "annual_revenue": ((10e6, "<10M"), (100e6, "10M-100M"), (None, "100M+")),
    "login_trend": ((-0.5, "falling_sharply"), (-0.1, "falling"), (0.1, "flat"), (None, "rising")),
    "days_since_login": ((8, "<=7"), (31, "8-30"), (91, "31-90"), (None, ">90")),
    "days_to_renewal": ((0, "expired"), (91, "<=90"), (181, "91-180"), (None, ">180")),
    "tickets_90d": ((1, "0"), (3, "1-2"), (None, "3+")),
}
# binary traits whose absence is as telling as their presence: both sides are tested, only the
# side more common in the segment is reported
BINARY = ("eb_supporter",)

_EN_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "us",
        "get",
        "got",
        "lot",
        "lots",
        "bit",
        "really",
        "much",
        "many",
        "use",
        "used",
        "using",
        "still",
        "one",
        "two",
        "even",
        "well",
        "like",
        "since",
        "way",
        "thing",
        "things",
        "make",
        "made",
        "need",
        "needs",
        "want",
        "wants",
        "going",
        "team",
        "they're",
        "it's",
        "we're",
        "don't",
        "can't",
        "isn't",
    ]
)
_ZH_STOP = frozenset(
    [
        "我们",
        "你们",
        "他们",
        "它们",
        "这个",
        "那个",
        "这些",
        "那些",
        "就是",
        "还是",
        "但是",
        "而且",
        "因为",
        "所以",
        "如果",
        "已经",
        "可以",
        "没有",
        "不是",
        "一个",
        "一些",
        "什么",
        "怎么",
        "这样",
        "那样",
        "比较",
        "非常",
        "有点",
        "还有",
        "觉得",
        "现在",
        "目前",
        "时候",
        "问题",
        "其他",
        "其它",
        "进行",
        "需要",
        "希望",
        "主要",
        "以及",
        "或者",
        "然后",
        "之后",
        "之前",
        "自己",
        "大家",
        "一直",
        "一下",
        "这种",
        "那种",
        "很多",
        "不过",
        "虽然",
        "还可以",
        "可能",
        "的话",
        "只是",
        "到底",
        "一般",
        "方面",
        "情况",
        "有些",
        "这边",
        "那边",
        "客户",
        "公司",
    ]
)
_EN_WORD = re.compile(r"[a-z][a-z'\-]{2,}")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


@dataclass
class Trait:
    """One binary trait and how common it is in each group."""

    field: str
    value: str
    segment_count: int
    baseline_count: int
    segment_share: float
    baseline_share: float
    lift: float | None
    z: float
    p: float
    small: bool
    kind: str  # field | band | tag | people | feature | words | custom
    spellings: dict[str, int] = field(default_factory=dict)

    @property
    def over(self) -> bool:
        """More common in the segment than in the baseline."""
        return self.segment_share > self.baseline_share

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "segment_share": round(self.segment_share, 4),
            "baseline_share": round(self.baseline_share, 4),
            "lift": round(self.lift, 3) if self.lift is not None else None,
            "segment_count": self.segment_count,
            "baseline_count": self.baseline_count,
            "z": round(self.z, 2),
            "p": float(f"{self.p:.3g}"),
            "small": self.small,
            "kind": self.kind,
        }


@dataclass
class Comparison:
    """A segment against its baseline: sizes, overlap and the traits that differ, strongest first."""

    segment_size: int
    baseline_size: int
    overlap: int
    traits: list[Trait]
    tested: int
    common: list[Trait]  # traits most segment accounts share (≥ 60%), whether or not they differ

    @property
    def small(self) -> bool:
        return self.segment_size < SMALL_GROUP or self.baseline_size < SMALL_GROUP


def band_of(key: str, v: Any) -> str | None:
    """The band code of a value (\"50k-150k\"), or None."""
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    for bound, code in BANDS[key]:
        if bound is None or x < bound:
            return code
    return None


@lru_cache(maxsize=100_000)
def _value_key(field_key: str, v: Any) -> str | None:
    """The grouping key of a stored value (金融科技 = Fintech), or None when empty."""
    if v is None:
        return None
    text = str(v).strip()
    if not text:
        return None
    if field_key in vocab.FIELDS:
        return vocab.key(field_key, text)
    return re.sub(r"\s+", " ", text.lower())


@lru_cache(maxsize=1)
def _jieba():  # noqa: ANN202
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


@lru_cache(maxsize=50_000)
def words_of(text: str) -> frozenset[str]:
    """The content words of a text: Chinese segmented with jieba, English words without stopwords."""
    out: set[str] = set()
    low = (text or "").lower()
    for w in _EN_WORD.findall(low):
        w = w.strip("'-")
        if len(w) < 3 or w in _EN_STOP:
            continue
        if w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
            w = w[:-1]
        out.add(w)
    if _CJK_RUN.search(low):
        jieba = _jieba()
        for run in _CJK_RUN.findall(low):
            for w in jieba.lcut(run):
                if len(w) >= 2 and w not in _ZH_STOP:
                    out.add(w)
    return frozenset(out)


def _z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Two-proportion z test with a pooled proportion: (z, two-sided p)."""
    if n1 == 0 or n2 == 0:
        return 0.0, 1.0
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def _ids(session: Session, stmt: Select) -> set[int]:
    return set(session.scalars(stmt))


def _collect(
    session: Session, ids: set[int], as_of: dt.date, exclude: set[str]
) -> tuple[dict[tuple[str, str, str], set[int]], dict[tuple[str, str], Counter]]:
    """(kind, field, value) -> accounts having that trait; and the spellings seen per value."""
    members: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    spell: dict[tuple[str, str], Counter] = defaultdict(Counter)
    if not ids:
        return members, spell
    id_list = sorted(ids)

    def chunks() -> Iterable[list[int]]:
        for i in range(0, len(id_list), 5000):
            yield id_list[i : i + 5000]

    def add(kind: str, fkey: str, raw: Any, acc: int, key: str | None = None) -> None:
        k = key if key is not None else _value_key(fkey, raw)
        if k is None:
            return
        members[(kind, fkey, k)].add(acc)
        spell[(fkey, k)][str(raw)] += 1

    cats = [c for c in CATEGORICAL if c not in exclude]
    figs = [c for c in FIGURE_CHOICES if c not in exclude]
    banded = [c for c in BANDS if c not in exclude]
    acc_cols = [getattr(Account, c) for c in cats]
    fig_cols = [getattr(AccountFigures, c) for c in figs]
    band_cols = [
        getattr(Account, c) if hasattr(Account, c) else getattr(AccountFigures, c) for c in banded
    ]
    text_cols = [Account.pains, Account.notes, Account.decision_process, Account.budget]
    texts: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks():
        stmt = (
            select(Account.id, *acc_cols, *fig_cols, *band_cols, *text_cols)
            .select_from(Account)
            .outerjoin(AccountFigures, AccountFigures.account_id == Account.id)
            .where(Account.id.in_(chunk))
        )
        for row in session.execute(stmt):
            acc = row[0]
            i = 1
            for c in cats:
                add("field", c, row[i], acc)
                i += 1
            for c in figs:
                v = row[i]
                if c == "nps_class" and v is None:
                    add("band", c, "none", acc, "none")
                else:
                    add("band", c, v, acc)
                i += 1
            for c in banded:
                band = band_of(c, row[i])
                if band is None and c == "days_since_login":
                    band = ">90"  # never logged in counts as inactive
                if band is not None:
                    add("band", c, band, acc, band)
                i += 1
            for t in row[i:]:
                if t:
                    texts[acc].append(t)

        if "tag" not in exclude:
            for acc, tag in session.execute(
                select(AccountTag.account_id, AccountTag.tag).where(
                    AccountTag.account_id.in_(chunk)
                )
            ):
                add("tag", "tag", tag, acc, str(tag).strip().lower())

        has_eb_supporter: set[int] = set()
        for acc, role, title, attitude in session.execute(
            select(Contact.account_id, Contact.role, Contact.title, Contact.attitude).where(
                Contact.account_id.in_(chunk)
            )
        ):
            role_u = (role or "").strip().upper()
            if role_u:
                add("people", "contact_role", role_u, acc, role_u)
            if attitude:
                add("people", "contact_attitude", attitude, acc)
            if role_u == "EB":
                if title:
                    add("people", "eb_title", title, acc)
                if (attitude or "").strip().lower() == "supporter":
                    has_eb_supporter.add(acc)
        for acc in chunk:
            yes = acc in has_eb_supporter
            add("people", "eb_supporter", "yes" if yes else "no", acc, "yes" if yes else "no")

        start = dt.datetime.combine(as_of, dt.time()) - dt.timedelta(days=FEATURE_WINDOW_DAYS - 1)
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
        for acc, feat in session.execute(
            select(Event.account_id, Event.feature)
            .where(
                Event.account_id.in_(chunk),
                Event.type == "feature_use",
                Event.ts >= start,
                Event.ts < end,
                Event.feature.is_not(None),
            )
            .group_by(Event.account_id, Event.feature)
        ):
            add("feature", "feature", feat, acc)

        since = as_of - dt.timedelta(days=TEXT_WINDOW_DAYS)
        for acc, comment in session.execute(
            select(NpsResponse.account_id, NpsResponse.comment).where(
                NpsResponse.account_id.in_(chunk),
                NpsResponse.comment.is_not(None),
                NpsResponse.date > since,
                NpsResponse.date <= as_of,
            )
        ):
            texts[acc].append(comment)
        for acc, answers in session.execute(
            select(InterviewSession.account_id, InterviewSession.answers).where(
                InterviewSession.account_id.in_(chunk)
            )
        ):
            texts[acc].extend(_strings(answers))

        fields = {r.id: r for r in session.scalars(select(CustomField)) if r.key not in exclude}
        custom_num: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for acc, fid, vt, vn in session.execute(
            select(
                CustomValue.account_id,
                CustomValue.field_id,
                CustomValue.value_text,
                CustomValue.value_num,
            ).where(CustomValue.account_id.in_(chunk))
        ):
            cf = fields.get(fid)
            if cf is None:
                continue
            if cf.type == "number" and vn is not None:
                custom_num[fid].append((acc, float(vn)))
            elif cf.type in ("choice", "region") or (vt and len(str(vt)) <= 40):
                add("custom", cf.key, vt, acc)
            elif vt:
                texts[acc].append(str(vt))
        for fid, vals in custom_num.items():
            _bands_by_tertile(fields[fid].key, vals, add)

    for acc, parts in texts.items():
        seen: set[str] = set()
        for t in parts:
            seen |= words_of(str(t))
        for w in seen:
            members[("words", "words", w)].add(acc)
            spell[("words", w)][w] += 1
    return members, spell


def _strings(obj: Any) -> list[str]:
    """Every string inside a JSON value (interview answers)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def _bands_by_tertile(key: str, vals: list[tuple[int, float]], add) -> None:  # noqa: ANN001
    """A numeric custom field in three bands cut at its tertiles over both groups."""
    xs = sorted(v for _a, v in vals)
    if len(xs) < 3:
        return
    lo, hi = xs[len(xs) // 3], xs[2 * len(xs) // 3]
    for acc, v in vals:
        band = f"<{lo:g}" if v < lo else (f"{lo:g}-{hi:g}" if v < hi else f">={hi:g}")
        add("custom", key, band, acc, band)


def compare(
    session: Session,
    segment: Select,
    baseline: Select,
    as_of: dt.date,
    *,
    exclude: Iterable[str] = (),
    min_support: int = MIN_SUPPORT,
    fdr: float = FDR,
) -> Comparison:
    """Compare the accounts of `segment` with those of `baseline` that are not in the segment.

    `exclude` names fields that define the segment (comparing on them says nothing new).
    """
    seg = _ids(session, segment)
    base_all = _ids(session, baseline)
    overlap = len(seg & base_all)
    base = base_all - seg
    n1, n2 = len(seg), len(base)
    members, spell = _collect(session, seg | base, as_of, set(exclude))
    candidates: list[Trait] = []
    common: list[Trait] = []
    for (kind, fkey, value), accs in members.items():
        x1 = len(accs & seg) if n1 else 0
        x2 = len(accs) - x1
        if max(x1, x2) < min_support:
            continue
        p1 = x1 / n1 if n1 else 0.0
        p2 = x2 / n2 if n2 else 0.0
        z, p = _z_test(x1, n1, x2, n2)
        trait = Trait(
            field=fkey,
            value=value,
            segment_count=x1,
            baseline_count=x2,
            segment_share=p1,
            baseline_share=p2,
            lift=(p1 / p2) if p2 > 0 else None,
            z=z,
            p=p,
            small=x1 < SMALL_COUNT or n1 < SMALL_GROUP,
            kind=kind,
            spellings=dict(spell.get((fkey, value), {})),
        )
        if fkey in BINARY and not trait.over:
            continue
        if kind != "words" and p1 >= 0.6 and x1 >= min_support:
            common.append(trait)
        candidates.append(trait)
    tested = len(candidates)
    # Benjamini–Hochberg: keep the k smallest p-values where p_(k) <= k/m · q
    ranked = sorted(candidates, key=lambda t: t.p)
    cut = 0
    for k, t in enumerate(ranked, 1):
        if t.p <= k / max(tested, 1) * fdr:
            cut = k
    significant = [
        t
        for t in ranked[:cut]
        if abs(t.segment_share - t.baseline_share) >= MIN_GAP
        and (t.segment_count >= min_support if t.over else t.baseline_count >= min_support)
    ]
    significant.sort(key=lambda t: (-abs(t.z), t.field, t.value))
    common.sort(key=lambda t: (-t.segment_share, t.field, t.value))
    return Comparison(
        segment_size=n1,
        baseline_size=n2,
        overlap=overlap,
        traits=significant,
        tested=tested,
        common=common[:8],
    )
