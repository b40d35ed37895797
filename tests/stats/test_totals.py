"""total_interval and log_product_interval: hand values, a Poisson bootstrap, properties.

The reference for the variance of a total is an independent Poisson bootstrap written
here (each customer drawn Poisson(1) times; Hanley & MacGibbon 2006, "Creating
non-parametric bootstrap samples using Poisson frequencies"), whose variance of the
resampled total is the sum of squared customer totals.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import (
    AverageOrderValue,
    CostPerAcquisition,
    InvalidInputError,
    ReturnOnAdSpend,
    log_product_interval,
    total_interval,
)

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def test_total_interval_by_hand():
    # Revenue 10, 50, 20: Y = 80, sum of squares 3,000, log-scale half width
    # 1.96 * sqrt(3000) / 80 = 1.3420; bounds 80 * exp(-+1.3420).
    low, high = total_interval(80.0, sum_squares=3_000.0)
    assert low == pytest.approx(80 * math.exp(-Z95 * math.sqrt(3000) / 80))
    assert high == pytest.approx(80 * math.exp(Z95 * math.sqrt(3000) / 80))
    assert (round(low, 2), round(high, 2)) == (20.91, 306.10)


def test_total_standard_error_matches_a_poisson_bootstrap():
    rng = np.random.default_rng(5)
    revenue = rng.gamma(2.0, 40.0, size=400) * (1 + rng.poisson(1.0, size=400))
    weights = rng.poisson(1.0, size=(20_000, revenue.size))
    bootstrap_se = float((weights @ revenue).std(ddof=1))
    low, high = total_interval(float(revenue.sum()), sum_squares=float(revenue @ revenue))
    implied_se = math.log(high / low) / (2 * Z95) * revenue.sum()  # log scale back to level
    assert implied_se == pytest.approx(bootstrap_se, rel=0.03)
    assert math.sqrt(revenue @ revenue) == pytest.approx(bootstrap_se, rel=0.03)


def test_zero_total_has_no_interval():
    assert all(math.isnan(b) for b in total_interval(0.0, sum_squares=0.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": -1.0, "sum_squares": 1.0}, r"^The 'total' parameter of total_interval must"),
        ({"total": 1.0, "sum_squares": -1.0}, r"^The 'sum_squares' parameter of total_interval"),
        ({"total": 0.0, "sum_squares": 4.0}, r"must be 0 when 'total' is 0"),
        ({"total": math.nan, "sum_squares": 1.0}, r"^The 'total' parameter of total_interval"),
        (
            {"total": 1.0, "sum_squares": 1.0, "confidence": 1.0},
            r"^The 'confidence' parameter of total_interval must be in \(0, 1\)",
        ),
    ],
)
def test_total_interval_rejects_bad_input(kwargs, message):
    total = kwargs.pop("total")
    with pytest.raises(InvalidInputError, match=message):
        total_interval(total, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.01, 1e4), min_size=1, max_size=40),
    st.integers(2, 6),
    st.floats(0.5, 0.995),
)
def test_total_interval_holds_the_total_and_narrows_with_more_customers(values, copies, level):
    y = np.array(values)
    low, high = total_interval(float(y.sum()), sum_squares=float(y @ y), confidence=level)
    assert 0 < low <= y.sum() <= high
    more = np.tile(y, copies)
    low2, high2 = total_interval(
        float(more.sum()), sum_squares=float(more @ more), confidence=level
    )
    # Relative width on the log scale shrinks by sqrt(copies).
    assert math.log(high2 / low2) == pytest.approx(math.log(high / low) / math.sqrt(copies))


def test_log_product_interval_by_hand():
    # CLV = 40 / 0.25 = 160; relative se sqrt((4/40)^2 + (0.05/0.25)^2) = sqrt(0.05).
    low, high = log_product_interval([(40.0, 4.0, 1.0), (0.25, 0.05, -1.0)])
    spread = Z95 * math.sqrt(0.05)
    assert (low, high) == pytest.approx((160 * math.exp(-spread), 160 * math.exp(spread)))


def test_log_product_interval_is_nan_for_a_non_positive_value():
    assert all(math.isnan(b) for b in log_product_interval([(0.0, 1.0, 1.0)]))
    assert all(math.isnan(b) for b in log_product_interval([(2.0, math.nan, 1.0)]))


@pytest.mark.parametrize("parts", [[], "abc", [(1.0, 2.0)], [("a", 1.0, 1.0)], 5])
def test_log_product_interval_rejects_bad_parts(parts):
    with pytest.raises(InvalidInputError, match=r"^The 'parts' parameter of log_product_interval"):
        log_product_interval(parts)


def test_models_from_customers_use_the_spend_fixed_interval():
    revenue = [10.0, 50.0, 20.0]
    roas = ReturnOnAdSpend.from_customers(revenue, 40.0)
    assert roas.value == 2.0
    assert (roas.ci_low, roas.ci_high) == pytest.approx(
        (20.907982563474125 / 40, 306.103182388371 / 40)
    )
    assert roas.interval_method == "poisson_total"
    cpa = CostPerAcquisition.from_customers(100.0, [1, 2, 1, 1])
    spread = Z95 * math.sqrt(7) / 5
    assert (cpa.ci_low, cpa.ci_high) == pytest.approx(
        (20 * math.exp(-spread), 20 * math.exp(spread))
    )
    with pytest.raises(
        InvalidInputError, match=r"^The 'revenue' parameter of ReturnOnAdSpend.from_customers"
    ):
        ReturnOnAdSpend.from_customers([1.0, -2.0], 10.0)
    with pytest.raises(InvalidInputError, match=r"^The 'confidence' parameter"):
        AverageOrderValue.from_customers([1.0, 2.0], [1, 1], confidence=0.0)
