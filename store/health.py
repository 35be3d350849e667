"""Customer health score 0-100 with its components, weights and bands.

Conventions follow shared/realdata/health_score_reference (GitLab handbook / Gainsight): the overall
score is the weighted average of component scores (each 0-100); a component whose input is missing
(N/A) does not count as zero — its weight is redistributed over the others in proportion to theirs;
bands are green 75-100, yellow 50-74, red 0-49. No input at all: no score.

Components (each 0-100, higher is healthier):

- usage — 50% recency of the last login (≤7 days 100, ≤14 70, ≤30 40, ≤60 10, older or never 0)
  + 50% login volume (logins in the last 30 days against USAGE_FULL_LOGINS_30D, capped at 100).
  Missing when the account has no behavioural events at all (nothing imported to judge by).
- engagement_trend — logins in the last 30 days against the 30 before: steady or rising 100, fallen
  by half or more 0, linear in between; the previous 30 days empty and the last 30 not: 100.
  Missing when both are empty (no trend to read).
- support_load — support tickets in the last 30 days (GitLab: green 1-5 a month, yellow 5-15,
  red > 15): 0-5 → 100, 6-15 → 74 down to 50, above 15 → 49 falling 5 a ticket to 0.
  Missing when the account has no behavioural events at all.
- nps — the latest NPS answer: promoters and passives score × 10 (7 → 70 … 10 → 100), detractors
  score × 7.5 (6 → 45, 0 → 0, so a detractor is always red). Missing without an answer.
- renewal — days to contract end: > 90 days 100, 90 → 30 days 100 → 60, 30 → 0 days 60 → 30,
  expired 0. Missing without a contract end date.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_WEIGHTS: dict[str, float] = {
    "usage": 0.30,
    "engagement_trend": 0.20,
    "support_load": 0.15,
    "nps": 0.15,
    "renewal": 0.20,
}
COMPONENTS: tuple[str, ...] = tuple(DEFAULT_WEIGHTS)
GREEN, YELLOW = 75.0, 50.0
USAGE_FULL_LOGINS_30D = 20

LABELS: dict[str, tuple[str, str]] = {
    "usage": ("Usage", "使用情况"),
    "engagement_trend": ("Engagement trend", "活跃趋势"),
    "support_load": ("Support load", "工单压力"),
    "nps": ("NPS", "NPS"),
    "renewal": ("Renewal proximity", "续约临近度"),
}


def band(score: float | None) -> str | None:
    """green ≥ 75, yellow 50-74, red < 50 (Gainsight)."""
    if score is None:
        return None
    return "green" if score >= GREEN else "yellow" if score >= YELLOW else "red"


def _clamp(x: float) -> float:
    return max(0.0, min(100.0, x))


def usage_score(days_since_login: int | None, logins_30d: int, has_events: bool) -> float | None:
    if not has_events:
        return None
    d = days_since_login
    if d is None:
        recency = 0.0
    elif d <= 7:
        recency = 100.0
    elif d <= 14:
        recency = 70.0
    elif d <= 30:
        recency = 40.0
    elif d <= 60:
        recency = 10.0
    else:
        recency = 0.0
    volume = _clamp(100.0 * logins_30d / USAGE_FULL_LOGINS_30D)
    return 0.5 * recency + 0.5 * volume


def trend_score(logins_30d: int, logins_prev_30d: int) -> float | None:
    if logins_prev_30d == 0:
        return None if logins_30d == 0 else 100.0
    ratio = logins_30d / logins_prev_30d
    return _clamp((ratio - 0.5) / 0.5 * 100.0)


def support_score(tickets_30d: int, has_events: bool) -> float | None:
    if not has_events:
        return None
    t = tickets_30d
    if t <= 5:
        return 100.0
    if t <= 15:
        return 74.0 - (t - 6) * 24.0 / 9.0
    return max(0.0, 49.0 - (t - 16) * 5.0)


def nps_score(nps: int | None) -> float | None:
    if nps is None:
        return None
    return float(nps) * 10.0 if nps >= 7 else float(nps) * 7.5


def renewal_score(days_to_renewal: int | None) -> float | None:
    d = days_to_renewal
    if d is None:
        return None
    if d < 0:
        return 0.0
    if d > 90:
        return 100.0
    if d >= 30:
        return 60.0 + (d - 30) * 40.0 / 60.0
    return 30.0 + d * 30.0 / 30.0


def compute(
    *,
    days_since_login: int | None,
    logins_30d: int,
    logins_prev_30d: int,
    tickets_30d: int,
    nps_latest: int | None,
    days_to_renewal: int | None,
    has_events: bool,
    weights: Mapping[str, float] | None = None,
) -> tuple[float | None, str | None, dict[str, Any]]:
    """(score, band, components) for one account; missing inputs redistribute their weight.

    components: {name: {"score": 0-100 or None, "weight": the share it carried}} — the shares
    of the present components add up to 1; a missing one carries 0.
    """
    w = DEFAULT_WEIGHTS if weights is None else {**DEFAULT_WEIGHTS, **weights}
    scores = (
        usage_score(days_since_login, logins_30d, has_events),
        trend_score(logins_30d, logins_prev_30d),
        support_score(tickets_30d, has_events),
        nps_score(nps_latest),
        renewal_score(days_to_renewal),
    )
    present = 0.0
    for key, sc in zip(COMPONENTS, scores, strict=True):
        if sc is not None:
            present += w[key]
    total = 0.0
    components: dict[str, Any] = {}
    for key, sc in zip(COMPONENTS, scores, strict=True):
        if sc is None or present <= 0:
            components[key] = {"score": None, "weight": 0.0}
            continue
        eff = w[key] / present
        total += sc * eff
        components[key] = {"score": round(sc, 1), "weight": round(eff, 4)}
    if present <= 0:
        return None, None, components
    score = round(total, 1)
    return score, band(score), components


@dataclass
class HealthColumns:
    """Health of many accounts, column by column (what `compute` gives for one, for each)."""

    score: list[float | None]
    band: list[str | None]
    component_score: dict[str, list[float | None]]
    component_weight: dict[str, list[float]]

    def components(self, i: int) -> dict[str, Any]:
        """Account i's components, the dict `compute` returns."""
        return {
            k: {"score": self.component_score[k][i], "weight": self.component_weight[k][i]}
            for k in COMPONENTS
        }

    def components_json(self) -> list[str]:
        """Every account's components as JSON text (equal to json.dumps of `components(i)`)."""
        parts: list[list[str]] = []
        for k in COMPONENTS:
            memo: dict[tuple[Any, float], str] = {}
            frags = []
            for pair in zip(self.component_score[k], self.component_weight[k], strict=True):
                frag = memo.get(pair)
                if frag is None:
                    frag = memo[pair] = json.dumps({k: {"score": pair[0], "weight": pair[1]}})[1:-1]
                frags.append(frag)
            parts.append(frags)
        return ["{" + ", ".join(row) + "}" for row in zip(*parts, strict=True)]


def _rounded(values: np.ndarray, present: np.ndarray, digits: int, missing: Any) -> list[Any]:
    """Python's round(v, digits) of each present value (exactly as `compute` rounds), else missing.

    numpy's own rounding scales by 10^digits and can differ from Python's in the last place, so
    the distinct values (few: scores take a handful of levels) go through Python's round.
    """
    uniq, inverse = np.unique(np.where(present, values, 0.0), return_inverse=True)
    table = np.array([*(round(v, digits) for v in uniq.tolist()), missing], dtype=object)
    return table[np.where(present, inverse.reshape(-1), len(uniq))].tolist()


def compute_many(
    *,
    days_since_login: Sequence[int | None],
    logins_30d: Sequence[int],
    logins_prev_30d: Sequence[int],
    tickets_30d: Sequence[int],
    nps_latest: Sequence[int | None],
    days_to_renewal: Sequence[int | None],
    has_events: Sequence[bool],
    weights: Mapping[str, float] | None = None,
) -> HealthColumns:
    """`compute` for many accounts at once, vectorised; the same numbers, bit for bit.

    Every component is the same IEEE operations in the same order as its scalar function
    (numpy float64 = Python float); a missing component adds 0.0 where `compute` skips it, which
    changes no sum. Rounding is Python's, on the results.
    """
    w = DEFAULT_WEIGHTS if weights is None else {**DEFAULT_WEIGHTS, **weights}
    n = len(logins_30d)
    if n == 0:
        return HealthColumns([], [], {k: [] for k in COMPONENTS}, {k: [] for k in COMPONENTS})
    dsl_known = np.fromiter((d is not None for d in days_since_login), bool, n)
    dsl = np.fromiter((d if d is not None else 0 for d in days_since_login), np.int64, n)
    l30 = np.fromiter(logins_30d, np.int64, n)
    lp = np.fromiter(logins_prev_30d, np.int64, n)
    t30 = np.fromiter(tickets_30d, np.int64, n)
    nps_known = np.fromiter((v is not None for v in nps_latest), bool, n)
    nps = np.fromiter((v if v is not None else 0 for v in nps_latest), np.int64, n)
    dtr_known = np.fromiter((v is not None for v in days_to_renewal), bool, n)
    dtr = np.fromiter((v if v is not None else 0 for v in days_to_renewal), np.int64, n)
    has = np.fromiter(has_events, bool, n)

    with np.errstate(divide="ignore", invalid="ignore"):
        recency = np.select(
            [~dsl_known, dsl <= 7, dsl <= 14, dsl <= 30, dsl <= 60],
            [0.0, 100.0, 70.0, 40.0, 10.0],
            default=0.0,
        )
        volume = np.clip(100.0 * l30 / USAGE_FULL_LOGINS_30D, 0.0, 100.0)
        usage = 0.5 * recency + 0.5 * volume
        ratio = l30 / np.where(lp == 0, 1, lp)
        trend = np.where(lp == 0, 100.0, np.clip((ratio - 0.5) / 0.5 * 100.0, 0.0, 100.0))
        support = np.where(
            t30 <= 5,
            100.0,
            np.where(
                t30 <= 15,
                74.0 - (t30 - 6) * 24.0 / 9.0,
                np.maximum(0.0, 49.0 - (t30 - 16) * 5.0),
            ),
        )
        nps_sc = np.where(nps >= 7, nps.astype(np.float64) * 10.0, nps.astype(np.float64) * 7.5)
        renewal = np.where(
            dtr < 0,
            0.0,
            np.where(
                dtr > 90,
                100.0,
                np.where(dtr >= 30, 60.0 + (dtr - 30) * 40.0 / 60.0, 30.0 + dtr * 30.0 / 30.0),
            ),
        )
        scores = {
            "usage": (usage, has),
            "engagement_trend": (trend, ~((lp == 0) & (l30 == 0))),
            "support_load": (support, has),
            "nps": (nps_sc, nps_known),
            "renewal": (renewal, dtr_known),
        }
        present = np.zeros(n)
        for key in COMPONENTS:
            present = present + np.where(scores[key][1], float(w[key]), 0.0)
        scored = present > 0
        total = np.zeros(n)
        comp_score: dict[str, list[float | None]] = {}
        comp_weight: dict[str, list[float]] = {}
        for key in COMPONENTS:
            sc, is_present = scores[key]
            eff = w[key] / present
            counted = is_present & scored
            total = total + np.where(counted, sc * eff, 0.0)
            comp_score[key] = _rounded(sc, counted, 1, None)
            comp_weight[key] = _rounded(eff, counted, 4, 0.0)
    score = _rounded(total, scored, 1, None)
    return HealthColumns(score, [band(s) for s in score], comp_score, comp_weight)


def inputs(figures: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The figures a component reads, from an account_figures row (as a mapping)."""
    names = {
        "usage": ("days_since_login", "logins_30d"),
        "engagement_trend": ("logins_30d", "logins_prev_30d"),
        "support_load": ("tickets_30d",),
        "nps": ("nps_latest",),
        "renewal": ("days_to_renewal",),
    }[key]
    return {n: figures.get(n) for n in names}


def explain(key: str, score: float | None, i: Mapping[str, Any], lang: str = "en") -> str:
    """One line saying why a component scored what it did (i: its inputs), in the language."""
    zh = lang == "zh"
    s = score
    if s is None:
        what = {
            "usage": ("no usage data imported", "暂无使用数据"),
            "engagement_trend": (
                "no logins in the last 60 days to compare",
                "近60天无登录，无法比较",
            ),
            "support_load": ("no usage data imported", "暂无使用数据"),
            "nps": ("no NPS answer yet", "尚无NPS评分"),
            "renewal": ("no contract end date", "缺少合同到期日"),
        }[key]
        return (what[1] + "，权重已分配给其他项") if zh else (what[0] + " — weight redistributed")
    if key == "usage":
        d = i.get("days_since_login")
        n = i.get("logins_30d", 0)
        if zh:
            last = "从未登录" if d is None else f"{d}天前最后登录"
            return f"{last}，近30天登录{n}次"
        last = "never logged in" if d is None else f"last login {d} days ago"
        return f"{last}, {n} logins in 30 days"
    if key == "engagement_trend":
        a, b = i.get("logins_30d", 0), i.get("logins_prev_30d", 0)
        return f"近30天登录{a}次，前30天{b}次" if zh else f"{a} logins in 30 days vs {b} before"
    if key == "support_load":
        t = i.get("tickets_30d", 0)
        return f"近30天工单{t}个" if zh else f"{t} tickets in 30 days"
    if key == "nps":
        return f"最新NPS {i.get('nps_latest')}" if zh else f"latest NPS {i.get('nps_latest')}"
    d = i.get("days_to_renewal")
    if d is not None and d < 0:
        return f"合同已过期{-d}天" if zh else f"contract expired {-d} days ago"
    return f"距合同到期{d}天" if zh else f"{d} days to contract end"


def label(key: str, lang: str = "en") -> str:
    en, zh = LABELS.get(key, (key, key))
    return zh if lang == "zh" else en
