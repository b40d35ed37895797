"""A nan revenue is a missing revenue in every pandas float dtype (numpy, nullable, pyarrow).

``validate_events`` skips the nan-to-null conversion for pandas' numpy floats, where nan is
already the missing value; nullable ``Float64`` and ``double[pyarrow]`` keep nan apart from
null and still need it. Either way a purchase without revenue is the same clear error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention_kpis import compute_kpis
from retention_kpis.exceptions import InvalidInputError

pa = pytest.importorskip("pyarrow")


@pytest.mark.parametrize("dtype", ["float64", "float32", "Float64", "double[pyarrow]"])
def test_nan_revenue_on_a_purchase_is_a_missing_revenue_in_every_pandas_float_dtype(dtype):
    values = [float("nan"), float("nan"), 5.0]
    if dtype == "Float64":  # a real nan, not NA (pd.array would turn nan into NA)
        revenue = pd.arrays.FloatingArray(np.array(values), np.zeros(3, dtype=bool))
    elif dtype == "double[pyarrow]":
        revenue = pd.arrays.ArrowExtensionArray(pa.array(values))
    else:
        revenue = np.array(values, dtype=dtype)
    assert not pd.isna(revenue[2])
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07"]),
            "event_type": ["visit", "purchase", "purchase"],
            "revenue": revenue,
        }
    )
    with pytest.raises(
        InvalidInputError, match=r"'revenue' of events must not be null on purchases\. Got 1 row"
    ):
        compute_kpis(events)


@pytest.mark.parametrize("dtype", ["float64", "Float64", "double[pyarrow]"])
def test_revenue_sums_alike_in_every_pandas_float_dtype(dtype):
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07"]),
            "event_type": ["visit", "purchase", "purchase"],
            "revenue": pd.array([None, 20.0, 5.5], dtype=dtype),
        }
    )
    (row,) = compute_kpis(events).rows
    assert row.revenue == 25.5  # 20.0 + 5.5, by hand
