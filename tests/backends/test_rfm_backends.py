"""rfm_summary and calibration_holdout_split on every backend: the pandas answer, in kind.

Synthetic purchases from ``make_events`` (seeded); the pandas result is the reference,
integers exactly and floats to 1e-9 relative. The hand-calculated cases live in
tests/clv/test_rfm.py (also run on every backend through the ``constructor`` fixture).
"""

from __future__ import annotations

import math

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest

from retention_kpis.clv import calibration_holdout_split, rfm_segments, rfm_summary
from retention_kpis.datasets import make_events


def as_sorted_dict(result):
    frame = nw.from_native(result)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.sort("customer_id").to_dict(as_series=False)


def same(left, right):
    assert left.keys() == right.keys()
    for column in left:
        assert len(left[column]) == len(right[column]), column
        for a, b in zip(left[column], right[column], strict=True):
            if isinstance(a, float) or isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (column, a, b)
            else:
                assert a == b, (column, a, b)


@pytest.fixture(scope="module")
def transactions():
    events = make_events(80, seed=3)
    purchases = events.loc[events["event_type"] == "purchase", ["customer_id", "timestamp"]]
    purchases = purchases.assign(revenue=events.loc[purchases.index, "revenue"])
    return purchases.reset_index(drop=True).astype({"customer_id": "int64"})


@pytest.mark.parametrize(("time_unit", "scaler"), [("D", 1.0), ("W", 1.0), ("h", 24.0)])
def test_rfm_summary_gives_the_pandas_answer_on_every_backend(
    constructor, transactions, time_unit, scaler
):
    options = {
        "customer_id": "customer_id",
        "timestamp": "timestamp",
        "monetary_value": "revenue",
        "time_unit": time_unit,
        "time_scaler": scaler,
    }
    expected = as_sorted_dict(rfm_summary(transactions, **options))
    got = rfm_summary(constructor(transactions), **options)
    same(as_sorted_dict(got), expected)
    assert len(expected["customer_id"]) == transactions["customer_id"].nunique()


def test_calibration_holdout_split_gives_the_pandas_answer_on_every_backend(
    constructor, transactions
):
    options = {
        "customer_id": "customer_id",
        "timestamp": "timestamp",
        "monetary_value": "revenue",
        "calibration_end": "2024-12-31",
        "observation_end": "2025-12-31",
    }
    expected = as_sorted_dict(calibration_holdout_split(transactions, **options))
    got = calibration_holdout_split(constructor(transactions), **options)
    same(as_sorted_dict(got), expected)


def test_rfm_segments_gives_the_pandas_answer_on_every_backend(constructor, transactions):
    # From the transaction log (summarised in the engine), with many ties in frequency.
    options = {
        "customer_id": "customer_id",
        "timestamp": "timestamp",
        "monetary_value": "revenue",
        "time_scaler": 7.0,
    }
    expected = as_sorted_dict(rfm_segments(transactions, **options))
    got = rfm_segments(constructor(transactions), **options)
    same(as_sorted_dict(got), expected)
    assert set(expected["recency_score"]) == {1, 2, 3, 4, 5}
    assert len(set(expected["segment"])) > 3


def test_int32_customer_ids_and_amounts_on_every_backend(constructor):
    # One customer, int32 id at its maximum; three days of 2e9 (int32) each:
    # frequency 2 (repeat days Jan 2 and Jan 3), monetary mean of repeats 2e9, recency 2, T 2.
    transactions = pd.DataFrame(
        {
            "customer_id": np.array([2_147_483_647] * 3, dtype=np.int32),
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "revenue": np.array([2_000_000_000] * 3, dtype=np.int32),
        }
    )
    summary = as_sorted_dict(
        rfm_summary(
            constructor(transactions),
            customer_id="customer_id",
            timestamp="timestamp",
            monetary_value="revenue",
        )
    )
    assert summary["customer_id"] == [2_147_483_647]
    assert summary["frequency"] == [2]
    assert summary["recency"] == [2.0]
    assert summary["T"] == [2.0]
    assert summary["monetary_value"] == [2e9]
