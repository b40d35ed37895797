"""Tests of retention_kpis.stats.ratios: delta method and customer bootstrap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from retention_kpis import (
    InvalidInputError,
    RatioEstimate,
    ratio_interval,
    ratio_interval_from_sums,
)


def _customers(n, seed):
    rng = np.random.default_rng(seed)
    orders = 1 + rng.poisson(1.5, n)
    revenue = np.array([rng.gamma(2.0, 25.0, k).sum() for k in orders])
    return revenue, orders.astype(float)


def test_delta_matches_hand_calculation():
    # (orders, revenue) = (1, 10), (2, 50), (1, 20): R = 20, residuals -10, 10, 0,
    # Var = 200 / (3 * 2 * (4/3)^2) = 18.75, half = 1.959964 * 4.330127 = 8.486893.
    low, high = ratio_interval([10.0, 50.0, 20.0], [1, 2, 1])
    assert low == pytest.approx(20 - 8.486893, abs=1e-6)
    assert high == pytest.approx(20 + 8.486893, abs=1e-6)


def test_delta_of_a_mean_is_the_t_free_normal_interval_of_the_mean():
    # With x = 1 the ratio is a mean: Var = s^2 / n with s the sample (n - 1) deviation.
    values = np.array([0.0, 1.0, 1.0, 2.0, 5.0, 3.0])
    half = stats.norm.ppf(0.975) * values.std(ddof=1) / math.sqrt(values.size)
    expected = (max(0.0, values.mean() - half), values.mean() + half)
    assert ratio_interval(values, np.ones(values.size)) == pytest.approx(expected, abs=1e-12)


def test_delta_from_sums_equals_delta_from_arrays():
    revenue, orders = _customers(300, 1)
    expected = ratio_interval(revenue, orders)
    got = ratio_interval_from_sums(
        300,
        sum_x=orders.sum(),
        sum_y=revenue.sum(),
        sum_xx=(orders**2).sum(),
        sum_yy=(revenue**2).sum(),
        sum_xy=(orders * revenue).sum(),
    )
    assert got == pytest.approx(expected, rel=1e-10)


def test_bootstrap_matches_scipy_percentile_bootstrap():
    revenue, orders = _customers(400, 2)
    reference = stats.bootstrap(
        (revenue, orders),
        lambda y, x, axis: y.sum(axis=axis) / x.sum(axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=20_000,
        method="percentile",
        rng=np.random.default_rng(7),
    ).confidence_interval
    got = ratio_interval(revenue, orders, method="bootstrap", n_resamples=20_000, seed=3)
    width = reference.high - reference.low
    # Two independent resampling streams: Monte Carlo error of a 2.5 % quantile with
    # 20,000 resamples is about 1 % of the width; allow 4 %.
    assert got[0] == pytest.approx(reference.low, abs=0.04 * width)
    assert got[1] == pytest.approx(reference.high, abs=0.04 * width)


def test_bootstrap_and_delta_agree_on_a_large_sample():
    revenue, orders = _customers(2_000, 3)
    delta = ratio_interval(revenue, orders)
    boot = ratio_interval(revenue, orders, method="bootstrap", n_resamples=4_000)
    width = delta[1] - delta[0]
    assert boot == pytest.approx(delta, abs=0.08 * width)


def test_bootstrap_is_seeded():
    revenue, orders = _customers(50, 4)
    first = ratio_interval(revenue, orders, method="bootstrap", seed=11)
    assert ratio_interval(revenue, orders, method="bootstrap", seed=11) == first
    assert ratio_interval(revenue, orders, method="bootstrap", seed=12) != first


def test_fewer_than_two_customers_or_no_denominator_gives_nan():
    assert all(math.isnan(b) for b in ratio_interval([5.0], [1.0]))
    assert all(math.isnan(b) for b in ratio_interval([0.0, 0.0], [0.0, 0.0]))


def test_model_value_is_the_ratio_of_totals():
    estimate = RatioEstimate.from_customers([10.0, 50.0, 20.0], [1, 2, 1])
    assert estimate.value == 20.0
    assert (estimate.numerator, estimate.denominator, estimate.customers) == (80.0, 4.0, 3)
    assert RatioEstimate.model_validate_json(estimate.model_dump_json()) == estimate


def test_errors_name_the_parameter():
    with pytest.raises(
        InvalidInputError,
        match=r"'denominators' parameter of ratio_interval must have one value per customer, as 'numerators' \(2\)\. Got 3 values instead\.",
    ):
        ratio_interval([1.0, 2.0], [1, 1, 1])
    with pytest.raises(
        InvalidInputError, match=r"'numerators' parameter of ratio_interval must be >= 0"
    ):
        ratio_interval([-1.0, 2.0], [1, 1])
    with pytest.raises(
        InvalidInputError,
        match=r"^The 'n_resamples' parameter of ratio_interval must be >= 1\. Got 0 instead\.$",
    ):
        ratio_interval([1.0, 2.0], [1, 1], n_resamples=0)


def test_roas_with_fixed_spend_is_the_total_over_spend():
    # ROAS = sum(y) / spend with customers iid: Var = n * s_y^2 / spend^2 (s_y with n - 1).
    revenue = np.array([120.0, 0.0, 45.0, 300.0, 80.0])
    spend = 200.0
    half = stats.norm.ppf(0.975) * math.sqrt(revenue.size * revenue.var(ddof=1)) / spend
    expected = (max(0.0, revenue.sum() / spend - half), revenue.sum() / spend + half)
    got = ratio_interval(revenue, np.full(revenue.size, spend / revenue.size))
    assert got == pytest.approx(expected)
