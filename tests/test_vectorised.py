"""The column-wise health and RFM scoring used by the figures refresh gives exactly the numbers of
the per-account functions (the definitions), for every input combination that matters."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from store import health, rfm

DAYS = [None, 0, 7, 8, 14, 15, 30, 31, 60, 61, 400]
LOGINS = [0, 1, 3, 10, 19, 20, 21, 57]
TICKETS = [0, 5, 6, 11, 15, 16, 20, 40]
NPS = [None, 0, 3, 6, 7, 8, 10]
RENEWAL = [None, -30, -1, 0, 1, 29, 30, 31, 59, 90, 91, 365]


def _grid() -> list[dict]:
    rows = []
    for d, l30, lp, t, n, r, ev in itertools.product(
        DAYS, LOGINS, LOGINS, TICKETS[::3], NPS[::2], RENEWAL[::2], (True, False)
    ):
        rows.append(
            dict(
                days_since_login=d,
                logins_30d=l30,
                logins_prev_30d=lp,
                tickets_30d=t,
                nps_latest=n,
                days_to_renewal=r,
                has_events=ev,
            )
        )
    rnd = random.Random(7)
    for _ in range(3000):
        rows.append(
            dict(
                days_since_login=rnd.choice([None, rnd.randint(0, 500)]),
                logins_30d=rnd.randint(0, 300),
                logins_prev_30d=rnd.randint(0, 300),
                tickets_30d=rnd.choice(TICKETS + [rnd.randint(0, 60)]),
                nps_latest=rnd.choice(NPS),
                days_to_renewal=rnd.choice([None, rnd.randint(-400, 800)]),
                has_events=rnd.random() < 0.9,
            )
        )
    return rows


@pytest.mark.parametrize(
    "weights", [None, {"nps": 3.0}, {"usage": 1, "renewal": 0.7, "support_load": 0.0}]
)
def test_health_columns_equal_per_account_scores(weights) -> None:
    rows = _grid()
    cols = health.compute_many(**{k: [r[k] for r in rows] for k in rows[0]}, weights=weights)
    texts = cols.components_json()
    for i, r in enumerate(rows):
        score, band, comps = health.compute(**r, weights=weights)
        assert (cols.score[i], cols.band[i], cols.components(i)) == (score, band, comps), r
        assert type(cols.score[i]) is type(score)
        assert json.loads(texts[i]) == comps and texts[i] == json.dumps(comps)


def test_health_columns_of_nothing() -> None:
    empty = health.compute_many(
        days_since_login=[],
        logins_30d=[],
        logins_prev_30d=[],
        tickets_30d=[],
        nps_latest=[],
        days_to_renewal=[],
        has_events=[],
    )
    assert empty.score == [] and empty.components_json() == []


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6, 11, 50, 997])
def test_rfm_columns_equal_score_table(n: int) -> None:
    rnd = random.Random(n)
    measures = {
        i: (
            rnd.choice([0, 1, rnd.randint(0, 30), rnd.randint(0, 700)]),
            rnd.choice([1, 1, 2, rnd.randint(1, 60)]),
            rnd.choice([0.0, 100.0, 500.0, round(rnd.uniform(1, 90000), 2)]),
        )
        for i in range(n)
    }
    table = rfm.score_table(measures)
    keys = list(measures)
    cols = rfm.score_columns(*([measures[k][j] for k in keys] for j in range(3)))
    got = list(zip(cols.r, cols.f, cols.m, cols.score, cols.segment, strict=True))
    want = [(table[k].r, table[k].f, table[k].m, table[k].score, table[k].segment) for k in keys]
    assert got == want
    assert rfm.score_columns([], [], []).segment == []
