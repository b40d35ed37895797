"""Properties of customer_table: row order does not matter, the input is never modified.

customer_table fits BG/NBD and Gamma-Gamma by maximum likelihood, so a different row order
may move the optimum in the last digits only: predictions are compared to 1e-6 relative.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_kpis.clv import customer_table
from retention_kpis.datasets import make_events


@pytest.fixture(scope="module")
def events():
    return make_events(n_customers=300, seed=11)


@pytest.fixture(scope="module")
def expected(events):
    return customer_table(events).sort_values("customer_id").reset_index(drop=True)


def _shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


def _assert_close(got: pd.DataFrame, want: pd.DataFrame) -> None:
    got = got.sort_values("customer_id").reset_index(drop=True)
    assert list(got.columns) == list(want.columns)
    assert got["customer_id"].tolist() == want["customer_id"].tolist()
    for column in want.columns.drop("customer_id"):
        for a, b in zip(got[column], want[column], strict=True):
            assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9), (column, a, b)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_customer_table_ignores_row_order_and_leaves_the_input_alone(events, expected, seed):
    frame = _shuffled(events, seed)
    before = frame.copy(deep=True)
    _assert_close(customer_table(frame), expected)
    pd.testing.assert_frame_equal(frame, before)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_customer_table_on_polars_equals_pandas(events, expected, seed):
    frame = pl.from_pandas(_shuffled(events, seed))
    _assert_close(customer_table(frame).to_pandas(), expected)
