"""Health score: components, weight redistribution for missing inputs, Gainsight bands."""

from __future__ import annotations

import pytest

from store import health

FULL = dict(
    days_since_login=2,
    logins_30d=30,
    logins_prev_30d=30,
    tickets_30d=1,
    nps_latest=10,
    days_to_renewal=200,
    has_events=True,
)


def test_all_healthy_is_green_100():
    score, band, comps = health.compute(**FULL)
    assert (score, band) == (100.0, "green")
    assert sum(c["weight"] for c in comps.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("score", "band"),
    [(75, "green"), (74.9, "yellow"), (50, "yellow"), (49.9, "red"), (0, "red"), (None, None)],
)
def test_bands(score, band):
    assert health.band(score) == band


def test_missing_input_redistributes_weight_not_zero():
    with_nps = health.compute(**FULL)
    no_nps, _, comps = health.compute(**{**FULL, "nps_latest": None})
    assert comps["nps"] == {"score": None, "weight": 0.0}
    assert no_nps == 100.0 == with_nps[0]  # not dragged down as a zero would
    w = health.DEFAULT_WEIGHTS
    present = 1 - w["nps"]
    assert comps["usage"]["weight"] == pytest.approx(w["usage"] / present, abs=1e-4)


def test_weighted_average_by_hand():
    args = {**FULL, "nps_latest": 5, "days_to_renewal": -3}  # detractor, expired
    score, band, comps = health.compute(**args)
    w = health.DEFAULT_WEIGHTS
    expected = 100 * (w["usage"] + w["engagement_trend"] + w["support_load"]) + 37.5 * w["nps"]
    assert score == pytest.approx(round(expected, 1))
    assert comps["renewal"]["score"] == 0.0
    assert band == health.band(score)


def test_configurable_weights():
    args = {**FULL, "nps_latest": 0}
    default, _, _ = health.compute(**args)
    heavy, _, comps = health.compute(**args, weights={"nps": 3.0})
    assert heavy < default
    assert comps["nps"]["weight"] == pytest.approx(3.0 / (3.0 + 0.85), abs=1e-4)


def test_no_inputs_no_score():
    score, band, _ = health.compute(
        days_since_login=None,
        logins_30d=0,
        logins_prev_30d=0,
        tickets_30d=0,
        nps_latest=None,
        days_to_renewal=None,
        has_events=False,
    )
    assert score is None and band is None


def test_components_monotone():
    assert (
        health.usage_score(3, 20, True)
        > health.usage_score(20, 20, True)
        > health.usage_score(None, 0, True)
    )
    assert health.trend_score(10, 20) == 0.0  # fell by half
    assert health.trend_score(20, 20) == 100.0
    assert health.trend_score(5, 0) == 100.0 and health.trend_score(0, 0) is None
    assert health.support_score(3, True) == 100 > health.support_score(10, True) > 49
    assert health.support_score(20, True) < 50
    assert health.nps_score(6) < 50 <= health.nps_score(7)
    assert health.renewal_score(120) == 100 > health.renewal_score(60) > health.renewal_score(10)


def test_explanations_in_both_languages():
    _, _, comps = health.compute(**{**FULL, "nps_latest": None})
    inputs = {"nps_latest": None}
    assert "redistributed" in health.explain("nps", comps["nps"]["score"], inputs, "en")
    assert "权重" in health.explain("nps", comps["nps"]["score"], inputs, "zh")
    line = health.explain("usage", 90.0, {"days_since_login": 3, "logins_30d": 12}, "zh")
    assert "3天前" in line and "12次" in line
