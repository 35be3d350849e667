"""RFM scores and segments exactly as the R package `rfm` (rfm_table_order + rfm_segment) does.

Per customer: recency_days = analysis date − date of the latest purchase (whole days), frequency =
number of purchases, monetary = sum of their amounts, all over purchases up to the analysis date.

Binning (R/utils.R `bins`, `bins_lower`, `bins_upper`): the cut points are R's type-7 quantiles of
the values at probabilities seq(0, 1, length.out = n + 1), minus the first and last, PLUS ONE.
Bucket i is [lower_i, upper_i) with lower = (min, cuts...) and upper = (cuts..., max + 1).
Recency bucket i scores n + 1 − i (the most recent score 5); frequency and monetary bucket i
score i (the most score 5). A value in no bucket (tied cut points leave a bucket empty; R leaves NA)
gets no score. rfm_score = 100·R + 10·F + M.

Segments (R/rfm-segment.R with the README's ten rules): the first rule whose R, F and M ranges
(inclusive) all hold wins; no match is "Others". Accounts with no purchase have no RFM at all.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from store.vocab import shown

N_BINS = 5

# (name, recency lower/upper, frequency lower/upper, monetary lower/upper), README order.
SEGMENT_RULES: tuple[tuple[str, int, int, int, int, int, int], ...] = (
    ("Champions", 5, 5, 5, 5, 5, 5),
    ("Potential Loyalist", 3, 5, 3, 5, 2, 5),
    ("Loyal Customers", 2, 4, 2, 4, 2, 4),
    ("Promising", 3, 4, 1, 3, 3, 5),
    ("New Customers", 4, 5, 1, 3, 1, 5),
    ("Can't Lose Them", 1, 2, 3, 4, 4, 5),
    ("At Risk", 1, 2, 2, 5, 4, 5),
    ("Need Attention", 1, 3, 3, 5, 3, 5),
    ("About To Sleep", 2, 3, 1, 3, 1, 4),
    ("Lost", 1, 1, 1, 5, 1, 5),
)
OTHERS = "Others"
SEGMENTS: tuple[str, ...] = (*(r[0] for r in SEGMENT_RULES), OTHERS)


def segment_label(segment: str | None, lang: str) -> str | None:
    """A segment name in the asker's language."""
    if segment is None:
        return None
    return shown("rfm_segment", segment, lang)


def r_quantile(values: Sequence[float], p: float) -> float:
    """R's `quantile(x, p, type = 7)`: (1 − h)·x[lo] + h·x[hi] on the sorted values."""
    xs = sorted(values)
    n = len(xs)
    index = 1 + max(n - 1, 0) * p  # 1-based, as in R
    lo = math.floor(index)
    hi = math.ceil(index)
    q = xs[lo - 1]
    if index > lo and xs[hi - 1] != q:
        h = index - lo
        q = (1 - h) * q + h * xs[hi - 1]
    return q


def cut_points(values: Sequence[float], n_bins: int = N_BINS) -> list[float]:
    """The inner cut points R's `bins()` makes: inner type-7 quantiles, plus one."""
    probs = [i * (1 / n_bins) for i in range(n_bins + 1)]  # seq(0, 1, length.out = n + 1)
    return [r_quantile(values, p) + 1 for p in probs[1:-1]]


@dataclass(frozen=True)
class Bins:
    """Bucket bounds [lower_i, upper_i) for one measure."""

    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float], n_bins: int = N_BINS) -> Bins:
        cuts = cut_points(values, n_bins)
        return cls((min(values), *cuts), (*cuts, max(values) + 1))

    def bucket(self, x: float) -> int | None:
        """1-based bucket of x, or None when it falls in none (R's NA).

        The bounds never decrease (quantiles are monotone), so the buckets are disjoint and the
        first upper bound above x names the only one that can hold it — as R's loop finds.
        """
        i = bisect.bisect_right(self.upper, x)
        if i < len(self.upper) and self.lower[i] <= x:
            return i + 1
        return None


@dataclass(frozen=True)
class RfmRow:
    """One customer's RFM: measures, scores, score and segment."""

    recency_days: int
    frequency: int
    monetary: float
    r: int | None
    f: int | None
    m: int | None
    score: int | None
    segment: str


def segment_of(r: int | None, f: int | None, m: int | None) -> str:
    """The first README rule whose R, F, M ranges all hold; 'Others' when none does."""
    if r is None or f is None or m is None:
        return OTHERS
    for name, rl, ru, fl, fu, ml, mu in SEGMENT_RULES:
        if rl <= r <= ru and fl <= f <= fu and ml <= m <= mu:
            return name
    return OTHERS


def score_table(
    measures: dict[object, tuple[int, int, float]], n_bins: int = N_BINS
) -> dict[object, RfmRow]:
    """RFM rows for customers given (recency_days, frequency, monetary) each."""
    if not measures:
        return {}
    recs = [v[0] for v in measures.values()]
    freqs = [v[1] for v in measures.values()]
    mons = [v[2] for v in measures.values()]
    rb, fb, mb = Bins.of(recs, n_bins), Bins.of(freqs, n_bins), Bins.of(mons, n_bins)
    out: dict[object, RfmRow] = {}
    for key, (rec, freq, mon) in measures.items():
        ri, f, m = rb.bucket(rec), fb.bucket(freq), mb.bucket(mon)
        r = n_bins + 1 - ri if ri is not None else None
        score = 100 * r + 10 * f + m if None not in (r, f, m) else None
        out[key] = RfmRow(rec, freq, mon, r, f, m, score, segment_of(r, f, m))
    return out


_SEGMENT_TABLE: dict[tuple[int, int, int], str] = {}


def _segment_cached(r: int | None, f: int | None, m: int | None) -> str:
    """`segment_of`, remembered (there are only n_bins³ score triples)."""
    if r is None or f is None or m is None:
        return OTHERS
    key = (r, f, m)
    seg = _SEGMENT_TABLE.get(key)
    if seg is None:
        seg = _SEGMENT_TABLE[key] = segment_of(r, f, m)
    return seg


def _buckets(bins: Bins, values: np.ndarray) -> list[int | None]:
    """`Bins.bucket` of every value: bisect_right on the upper bounds, then the lower check."""
    upper = np.asarray(bins.upper, dtype=np.float64)
    lower = np.asarray(bins.lower, dtype=np.float64)
    i = np.searchsorted(upper, values, side="right")
    inside = i < len(upper)
    ok = inside & (lower[np.minimum(i, len(lower) - 1)] <= values)
    return [b + 1 if good else None for b, good in zip(i.tolist(), ok.tolist(), strict=True)]


@dataclass
class RfmColumns:
    """RFM of many customers, column by column (what `score_table` gives, per position)."""

    r: list[int | None]
    f: list[int | None]
    m: list[int | None]
    score: list[int | None]
    segment: list[str]


def score_columns(
    recency_days: Sequence[int],
    frequency: Sequence[int],
    monetary: Sequence[float],
    n_bins: int = N_BINS,
) -> RfmColumns:
    """`score_table` over parallel columns (one position per customer), vectorised."""
    if not recency_days:
        return RfmColumns([], [], [], [], [])
    rb, fb, mb = (
        Bins.of(recency_days, n_bins),
        Bins.of(frequency, n_bins),
        Bins.of(monetary, n_bins),
    )
    # int64 → float64 is exact for these magnitudes, so comparisons match Python's int/float ones
    ri = _buckets(rb, np.asarray(recency_days, dtype=np.float64))
    fs = _buckets(fb, np.asarray(frequency, dtype=np.float64))
    ms = _buckets(mb, np.asarray(monetary, dtype=np.float64))
    rs = [n_bins + 1 - x if x is not None else None for x in ri]
    scores = [
        100 * r + 10 * f + m if r is not None and f is not None and m is not None else None
        for r, f, m in zip(rs, fs, ms, strict=True)
    ]
    segs = [_segment_cached(r, f, m) for r, f, m in zip(rs, fs, ms, strict=True)]
    return RfmColumns(rs, fs, ms, scores, segs)


def score_orders(orders, analysis_date, n_bins: int = N_BINS) -> dict[object, RfmRow]:  # noqa: ANN001
    """RFM from (customer, order date, revenue) rows as R's rfm_table_order + rfm_segment."""
    last: dict[object, object] = {}
    count: dict[object, int] = {}
    amount: dict[object, float] = {}
    for cust, day, revenue in orders:
        if day > analysis_date:
            continue
        if cust not in last or day > last[cust]:
            last[cust] = day
        count[cust] = count.get(cust, 0) + 1
        amount[cust] = amount.get(cust, 0.0) + float(revenue or 0)
    measures = {c: ((analysis_date - last[c]).days, count[c], amount[c]) for c in last}
    return score_table(measures, n_bins)
