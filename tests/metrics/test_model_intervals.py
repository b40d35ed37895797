"""Result models carry ci_low / ci_high / confidence / interval_method.

Shares are checked against statsmodels' proportion_confint (wilson, jeffreys), means and
ratios against numpy computations of the delta method written here, the Pareto share's
bootstrap against scipy.stats.bootstrap's percentile interval.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import pkgutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import bootstrap, norm
from statsmodels.stats.proportion import proportion_confint

import retention_kpis.metrics as metrics_package
from retention_kpis import (
    AverageOrderValue,
    CartAbandonmentRate,
    CheckoutConversionRate,
    ChurnRate,
    ConversionRate,
    CustomerAcquisitionCost,
    CustomerEffortScore,
    CustomerLifetimeValue,
    CustomerSatisfactionScore,
    EmailClickThroughRate,
    EmailClickToOpenRate,
    EmailOpenRate,
    EmailUnsubscribeRate,
    InvalidInputError,
    NetPromoterScore,
    ParetoShare,
    PurchaseFrequency,
    ReferralRate,
    ReferredCustomerShare,
    RepeatPurchaseRate,
    RetentionRate,
)
from retention_kpis.metrics._base import KPIResult, RatioKPI

# (model, constructor arguments, successes, trials) of every share model.
SHARES = [
    (ConversionRate, (30, 1_000), 30, 1_000),
    (ChurnRate, (200, 14), 14, 200),
    (RetentionRate, (200, 210, 30), 180, 200),
    (RepeatPurchaseRate, (12, 80), 12, 80),
    (EmailOpenRate, (45, 300), 45, 300),
    (EmailClickThroughRate, (9, 300), 9, 300),
    (EmailClickToOpenRate, (9, 45), 9, 45),
    (EmailUnsubscribeRate, (0, 300), 0, 300),
    (ReferredCustomerShare, (7, 7), 7, 7),
    (CartAbandonmentRate, (200, 60), 140, 200),
    (CheckoutConversionRate, (45, 60), 45, 60),
]


def _mean_bounds(values, confidence=0.95):
    """Normal interval of a mean: the delta method with denominators 1 (s / sqrt(n))."""
    y = np.asarray(values, dtype=float)
    z = norm.ppf(0.5 + confidence / 2)
    half = z * y.std(ddof=1) / math.sqrt(y.size)
    return max(0.0, y.mean() - half), y.mean() + half


@pytest.mark.parametrize("method", ["wilson", "jeffreys"])
@pytest.mark.parametrize(("model", "args", "successes", "trials"), SHARES)
def test_share_models_match_statsmodels(model, args, successes, trials, method):
    result = model.from_counts(*args, confidence=0.9, interval_method=method)
    expected = proportion_confint(successes, trials, alpha=0.1, method=method)
    if method == "jeffreys":  # statsmodels' jeffreys is not exact at the edges
        expected = (
            0.0 if successes == 0 else expected[0],
            1.0 if successes == trials else expected[1],
        )
    assert (result.ci_low, result.ci_high) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert result.confidence == 0.9
    assert result.interval_method == method
    assert result.ci_low <= result.value <= result.ci_high


@pytest.mark.parametrize(("model", "args", "successes", "trials"), SHARES)
def test_without_confidence_the_json_is_unchanged(model, args, successes, trials):
    plain = model.from_counts(*args)
    assert math.isnan(plain.ci_low)
    assert plain.confidence is None
    data = json.loads(plain.model_dump_json())
    assert not {"ci_low", "ci_high", "confidence", "interval_method"} & set(data)
    with_interval = model.from_counts(*args, confidence=0.95)
    again = model.model_validate_json(with_interval.model_dump_json())
    assert again == with_interval


def test_csat_model_matches_statsmodels():
    result = CustomerSatisfactionScore.from_scores([5, 4, 4, 3, 1, 5, 2], confidence=0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        proportion_confint(4, 7, alpha=0.05, method="wilson")
    )


def test_nps_model_wald_matches_the_trinomial_variance():
    scores = [10] * 50 + [8] * 30 + [3] * 20
    result = NetPromoterScore.from_scores(scores, confidence=0.95, interval_method="wald")
    p, d = 0.5, 0.2
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / 100)
    z = norm.ppf(0.975)
    assert (result.ci_low, result.ci_high) == pytest.approx((30 - z * se, 30 + z * se))


def test_ces_model_is_the_normal_interval_of_the_mean_within_the_scale():
    scores = [7, 6, 5, 2, 6, 6, 7, 4]
    result = CustomerEffortScore.from_scores(scores, confidence=0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx(_mean_bounds(scores))
    clipped = CustomerEffortScore.from_scores([7, 6, 5, 2], confidence=0.95)
    assert clipped.ci_high == 7.0  # the mean's normal bound 6.88 + ... is cut at the scale


def test_ratio_models_from_customers_match_a_numpy_delta_method():
    revenue = np.array([10.0, 50.0, 20.0, 35.0, 80.0])
    orders = np.array([1, 2, 1, 1, 3])
    aov = AverageOrderValue.from_customers(revenue, orders, confidence=0.9)
    ratio = revenue.sum() / orders.sum()
    n = revenue.size
    variance = n / (n - 1) * ((revenue - ratio * orders) ** 2).sum() / orders.sum() ** 2
    half = norm.ppf(0.95) * math.sqrt(variance)
    assert aov.value == pytest.approx(ratio)
    assert (aov.ci_low, aov.ci_high) == pytest.approx((ratio - half, ratio + half))
    frequency = PurchaseFrequency.from_customers(orders)
    assert frequency.value == pytest.approx(orders.mean())
    assert (frequency.ci_low, frequency.ci_high) == pytest.approx(_mean_bounds(orders))
    referrals = [0, 0, 3, 1, 0, 2]
    rate = ReferralRate.from_customers(referrals)
    assert (rate.ci_low, rate.ci_high) == pytest.approx(_mean_bounds(referrals))


def test_cac_model_is_the_poisson_count_interval():
    result = CustomerAcquisitionCost.from_totals(12_000.0, 80, confidence=0.95)
    spread = norm.ppf(0.975) / math.sqrt(80)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (150 * math.exp(-spread), 150 * math.exp(spread))
    )
    with pytest.raises(InvalidInputError, match=r"needs whole new_customers"):
        CustomerAcquisitionCost.from_totals(100.0, 2.5, fractional=True, confidence=0.95)


def test_clv_model_from_customers_matches_the_log_scale_delta_method():
    revenue, orders = np.array([40.0, 60.0, 20.0, 90.0]), [1, 2, 1, 3]
    result = CustomerLifetimeValue.from_customers(revenue, orders, 50, 10, confidence=0.9)
    mean, churn = revenue.mean(), 10 / 50
    relative = math.hypot(
        revenue.std(ddof=1) / math.sqrt(4) / mean, math.sqrt(churn * (1 - churn) / 50) / churn
    )
    z = norm.ppf(0.95)
    assert result.value == pytest.approx(mean / churn)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (mean / churn * math.exp(-z * relative), mean / churn * math.exp(z * relative))
    )
    with pytest.raises(InvalidInputError, match=r"'customers_lost' parameter .* must be > 0"):
        CustomerLifetimeValue.from_customers(revenue, orders, 50, 0)


def test_pareto_bootstrap_is_close_to_scipy_percentile_bootstrap():
    revenue = np.random.default_rng(3).lognormal(3.0, 1.2, size=200)
    result = ParetoShare.from_revenue(revenue, confidence=0.95, n_resamples=4_000, seed=1)

    def share(sample, axis=-1):
        ranked = -np.sort(-sample, axis=axis)
        return ranked[..., :40].sum(axis=axis) / ranked.sum(axis=axis)

    reference = bootstrap(
        (revenue,), share, n_resamples=4_000, method="percentile", random_state=2
    ).confidence_interval
    assert result.ci_low == pytest.approx(reference.low, abs=0.015)
    assert result.ci_high == pytest.approx(reference.high, abs=0.015)
    same = ParetoShare.from_revenue(revenue, confidence=0.95, n_resamples=4_000, seed=1)
    assert same == result  # seeded


def test_every_result_model_can_carry_an_interval():
    models = {
        obj
        for info in pkgutil.iter_modules(metrics_package.__path__)
        for obj in vars(importlib.import_module(f"retention_kpis.metrics.{info.name}")).values()
        if inspect.isclass(obj) and issubclass(obj, KPIResult) and obj not in {KPIResult, RatioKPI}
    }
    assert len(models) >= 20
    for model in models:
        assert {"ci_low", "ci_high", "confidence", "interval_method"} <= set(model.model_fields)
        constructors = [getattr(model, name) for name in dir(model) if name.startswith("from_")]
        assert any(
            "confidence" in inspect.signature(method).parameters for method in constructors
        ), model.__name__


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, 2, "0.9"])
def test_share_models_reject_a_confidence_outside_0_1(bad):
    with pytest.raises(InvalidInputError, match=r"^The 'confidence' parameter of"):
        ConversionRate.from_counts(3, 10, confidence=bad)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 500), st.data(), st.integers(2, 8))
def test_share_interval_holds_the_value_and_narrows_with_more_trials(trials, data, factor):
    successes = data.draw(st.integers(0, trials))
    small = ConversionRate.from_counts(successes, trials, confidence=0.95)
    large = ConversionRate.from_counts(successes * factor, trials * factor, confidence=0.95)
    assert small.ci_low <= small.value <= small.ci_high
    assert large.ci_high - large.ci_low < small.ci_high - small.ci_low
