"""RFM as the R package `rfm` computes it: the README's published table, reproduced.

Fixture: tests/fixtures/rfm (from shared/realdata/rfm_reference, rsquaredacademy/rfm, MIT).
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from sqlalchemy import insert, select

from store import figures, rfm
from store.models import Account, AccountFigures, Event
from tests.conftest import FIXTURES

ANALYSIS_DATE = dt.date(2006, 12, 31)
EXPECTED = json.loads((FIXTURES / "rfm" / "expected_results.json").read_text())
PUBLISHED = EXPECTED["expected_rows_published_in_README"]


def load_orders() -> list[tuple[str, dt.date, float]]:
    with (FIXTURES / "rfm" / "rfm_data_orders.csv").open(encoding="utf-8") as f:
        return [
            (r["customer_id"], dt.date.fromisoformat(r["order_date"]), float(r["revenue"]))
            for r in csv.DictReader(f)
        ]


@pytest.fixture(scope="module")
def table() -> dict:
    return rfm.score_orders(load_orders(), ANALYSIS_DATE)


def test_customer_count(table):
    assert len(table) == EXPECTED["n_customers"]


@pytest.mark.parametrize("row", PUBLISHED, ids=[r["customer_id"] for r in PUBLISHED])
def test_published_rows_reproduced(table, row):
    got = table[row["customer_id"]]
    assert got.recency_days == row["recency_days"]
    assert got.frequency == row["transaction_count"]
    assert got.monetary == row["amount"]
    assert got.r == row["recency_score"]
    assert got.score == row["rfm_score"]
    assert got.score == 100 * got.r + 10 * got.f + got.m
    assert got.segment == row["segment"]


def test_cut_points_match_published_thresholds(table):
    published = EXPECTED["published_custom_thresholds_example (R/rfm-table-transaction.R roxygen)"]
    rows = list(table.values())
    for values, key in (
        ([r.recency_days for r in rows], "recency_bins"),
        ([r.frequency for r in rows], "frequency_bins"),
        ([r.monetary for r in rows], "monetary_bins"),
    ):
        assert [round(c) for c in rfm.cut_points(values)] == published[key]


def test_r_quantile_is_type_7():
    xs = [1, 2, 3, 4, 10]
    assert rfm.r_quantile(xs, 0.0) == 1
    assert rfm.r_quantile(xs, 1.0) == 10
    assert rfm.r_quantile(xs, 0.5) == 3
    assert rfm.r_quantile(xs, 0.9) == pytest.approx(7.6)  # 4 + 0.6 * (10 - 4)


def test_segment_rules_first_match_wins():
    rules = EXPECTED[
        "segment_rules (README order; first matching rule wins, unmatched -> 'Others')"
    ]
    names = rules["segment_names"]
    assert [r[0] for r in rfm.SEGMENT_RULES] == names
    for i in range(len(names)):
        bounds = tuple(
            rules[k][i]
            for k in (
                "recency_lower",
                "recency_upper",
                "frequency_lower",
                "frequency_upper",
                "monetary_lower",
                "monetary_upper",
            )
        )
        assert rfm.SEGMENT_RULES[i][1:] == bounds
    # 5/5/5 matches Champions and Potential Loyalist; the first listed wins
    assert rfm.segment_of(5, 5, 5) == "Champions"
    # R=2, F=1, M=5 matches no rule
    assert rfm.segment_of(2, 1, 5) == "Others"
    assert rfm.segment_of(None, 3, 3) == "Others"


def test_every_segment_has_a_chinese_name():
    for name in rfm.SEGMENTS:
        zh = rfm.segment_label(name, "zh")
        assert zh and zh != name
    assert rfm.segment_label("Champions", "en") == "Champions"


def test_orders_after_analysis_date_are_ignored(table):
    orders = load_orders()
    later = [("Abbey O'Reilly", dt.date(2007, 1, 5), 999.0)]
    again = rfm.score_orders(orders + later, ANALYSIS_DATE)
    assert again["Abbey O'Reilly"] == table["Abbey O'Reilly"]


def test_end_to_end_from_purchase_events(session_factory, table):
    """The orders loaded as purchase events give the same RFM in account_figures."""
    orders = load_orders()
    customers = sorted({c for c, _, _ in orders})
    with session_factory.begin() as s:
        s.execute(
            insert(Account),
            [{"name": c, "name_norm": c.lower(), "external_id": c} for c in customers],
        )
        s.execute(insert(Account), [{"name": "No Orders Ltd", "name_norm": "no orders"}])
        ids = dict(s.execute(select(Account.external_id, Account.id)).all())
        rows = [
            {
                "account_id": ids[c],
                "ts": dt.datetime.combine(d, dt.time(10, 30)),
                "type": "purchase",
                "amount": amount,
                "event_key": f"o{i}",
            }
            for i, (c, d, amount) in enumerate(orders)
        ]
        # a purchase after the analysis date must not count
        rows.append(
            {
                "account_id": ids["Abbey O'Reilly"],
                "ts": dt.datetime(2007, 1, 1, 0, 0),
                "type": "purchase",
                "amount": 5000.0,
                "event_key": "late",
            }
        )
        s.execute(insert(Event), rows)
        figures.refresh(s, ANALYSIS_DATE)
    with session_factory() as s:
        got = {f.account_id: f for f in s.scalars(select(AccountFigures))}
        by_name = {c: got[ids[c]] for c in customers}
        for row in PUBLISHED:
            f = by_name[row["customer_id"]]
            assert f.rfm_recency_days == row["recency_days"]
            assert f.rfm_frequency == row["transaction_count"]
            assert f.rfm_monetary == row["amount"]
            assert f.rfm_r == row["recency_score"]
            assert f.rfm_score == row["rfm_score"]
            assert f.rfm_segment == row["segment"]
        for c in customers:
            want, f = table[c], by_name[c]
            assert (f.rfm_r, f.rfm_f, f.rfm_m, f.rfm_score, f.rfm_segment) == (
                want.r,
                want.f,
                want.m,
                want.score,
                want.segment,
            ), c
        no_orders = got[ids[None]] if None in ids else None
        assert no_orders is not None
        assert no_orders.rfm_score is None and no_orders.rfm_segment is None
        assert no_orders.purchase_count_total == 0
