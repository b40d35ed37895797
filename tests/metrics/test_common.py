"""Common checks run on every pure metric function (scikit-learn's test_common style).

Each metric is registered once with a valid argument set; every check below runs
on all of them, so a new metric that is not registered makes
``test_every_public_metric_is_registered`` fail.
"""

from __future__ import annotations

import inspect
import math
import random
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import retention_kpis
from retention_kpis import InvalidInputError, UndefinedKPIWarning


@dataclass(frozen=True)
class Metric:
    """A registered metric: the function, a valid call and how to make it undefined."""

    func: Callable[..., float]
    kwargs: dict[str, Any]
    model: Callable[..., Any]
    zero_kwargs: dict[str, Any] | None = None  # arguments with a zero denominator
    scores: str | None = None  # name of the survey-answers argument, if any
    options: dict[str, Any] = field(default_factory=dict)  # numeric keyword options


METRICS = [
    Metric(
        retention_kpis.conversion_rate,
        {"conversions": 30, "visitors": 1_000},
        retention_kpis.ConversionRate.from_counts,
        {"conversions": 0, "visitors": 0},
    ),
    Metric(
        retention_kpis.cost_per_acquisition,
        {"cost": 1_500.0, "acquisitions": 60},
        retention_kpis.CostPerAcquisition.from_totals,
        {"cost": 10.0, "acquisitions": 0},
    ),
    Metric(
        retention_kpis.customer_acquisition_cost,
        {"cost": 12_000.0, "new_customers": 80},
        retention_kpis.CustomerAcquisitionCost.from_totals,
        {"cost": 10.0, "new_customers": 0},
    ),
    Metric(
        retention_kpis.return_on_ad_spend,
        {"revenue": 20_000.0, "ad_spend": 5_000.0},
        retention_kpis.ReturnOnAdSpend.from_totals,
        {"revenue": 10.0, "ad_spend": 0.0},
    ),
    Metric(
        retention_kpis.customer_lifetime_value,
        {"average_order_value": 50.0, "purchase_frequency": 4.0, "customer_lifespan": 3.0},
        retention_kpis.CustomerLifetimeValue.from_parts,
        options={"gross_margin": 0.5, "discount_rate": 0.1},
    ),
    Metric(
        retention_kpis.customer_satisfaction_score,
        {"scores": [5, 4, 4, 3, 1]},
        retention_kpis.CustomerSatisfactionScore.from_scores,
        {"scores": []},
        scores="scores",
        options={"satisfied_threshold": 4},
    ),
    Metric(
        retention_kpis.net_promoter_score,
        {"scores": [10, 9, 8, 7, 6, 0, 9]},
        retention_kpis.NetPromoterScore.from_scores,
        {"scores": []},
        scores="scores",
    ),
    Metric(
        retention_kpis.churn_rate,
        {"customers_at_start": 200, "customers_lost": 14},
        retention_kpis.ChurnRate.from_counts,
        {"customers_at_start": 0, "customers_lost": 0},
    ),
    Metric(
        retention_kpis.retention_rate,
        {"customers_at_start": 200, "customers_at_end": 210, "new_customers": 30},
        retention_kpis.RetentionRate.from_counts,
        {"customers_at_start": 0, "customers_at_end": 4, "new_customers": 4},
    ),
    Metric(
        retention_kpis.average_order_value,
        {"revenue": 4_500.0, "orders": 90},
        retention_kpis.AverageOrderValue.from_totals,
        {"revenue": 0.0, "orders": 0},
    ),
    Metric(
        retention_kpis.purchase_frequency,
        {"orders": 300, "customers": 120},
        retention_kpis.PurchaseFrequency.from_counts,
        {"orders": 0, "customers": 0},
    ),
    Metric(
        retention_kpis.repeat_purchase_rate,
        {"repeat_customers": 45, "customers": 150},
        retention_kpis.RepeatPurchaseRate.from_counts,
        {"repeat_customers": 0, "customers": 0},
    ),
    Metric(
        retention_kpis.customer_effort_score,
        {"scores": [7, 6, 5, 2, 6]},
        retention_kpis.CustomerEffortScore.from_scores,
        {"scores": []},
        scores="scores",
    ),
    Metric(
        retention_kpis.cart_abandonment_rate,
        {"carts_created": 200, "carts_converted": 60},
        retention_kpis.CartAbandonmentRate.from_counts,
        {"carts_created": 0, "carts_converted": 0},
    ),
    Metric(
        retention_kpis.checkout_conversion_rate,
        {"checkouts_completed": 45, "checkouts_started": 60},
        retention_kpis.CheckoutConversionRate.from_counts,
        {"checkouts_completed": 0, "checkouts_started": 0},
    ),
    Metric(
        retention_kpis.referral_rate,
        {"referrals": 30, "customers": 600},
        retention_kpis.ReferralRate.from_counts,
        {"referrals": 4, "customers": 0},
    ),
    Metric(
        retention_kpis.referred_customer_share,
        {"referred_customers": 45, "customers": 600},
        retention_kpis.ReferredCustomerShare.from_counts,
        {"referred_customers": 0, "customers": 0},
    ),
    Metric(
        retention_kpis.email_open_rate,
        {"opens": 200, "delivered": 1_000},
        retention_kpis.EmailOpenRate.from_counts,
        {"opens": 0, "delivered": 0},
    ),
    Metric(
        retention_kpis.email_click_through_rate,
        {"clicks": 30, "delivered": 1_000},
        retention_kpis.EmailClickThroughRate.from_counts,
        {"clicks": 0, "delivered": 0},
    ),
    Metric(
        retention_kpis.email_click_to_open_rate,
        {"clicks": 30, "opens": 200},
        retention_kpis.EmailClickToOpenRate.from_counts,
        {"clicks": 0, "opens": 0},
    ),
    Metric(
        retention_kpis.email_unsubscribe_rate,
        {"unsubscribes": 3, "delivered": 1_000},
        retention_kpis.EmailUnsubscribeRate.from_counts,
        {"unsubscribes": 0, "delivered": 0},
    ),
    Metric(
        retention_kpis.pareto_share,
        {"revenue_per_customer": [100.0, 50.0, 20.0, 10.0, 10.0, 5.0, 5.0, 0.0, 0.0, 0.0]},
        retention_kpis.ParetoShare.from_revenue,
        {"revenue_per_customer": []},
        scores="revenue_per_customer",
        options={"top_fraction": 0.2},
    ),
]
IDS = [m.func.__name__ for m in METRICS]
WITH_ZERO_DIVISION = [m for m in METRICS if m.zero_kwargs is not None]
SCORE_METRICS = [m for m in METRICS if m.scores is not None]


def _numeric_arguments(metric: Metric) -> list[tuple[str, dict[str, Any]]]:
    """Every scalar numeric argument (data and keyword options) with the full call it belongs to."""
    call = {**metric.kwargs, **metric.options}
    return [
        (name, call)
        for name, value in call.items()
        if name != metric.scores and not isinstance(value, list)
    ]


# (function, argument, value) that is valid by design, documented in the function.
INF_ALLOWED = {("customer_lifetime_value", "customer_lifespan", math.inf)}
NUMERIC_CASES = [(m, name, call) for m in METRICS for name, call in _numeric_arguments(m)]
NUMERIC_IDS = [f"{m.func.__name__}-{name}" for m, name, _ in NUMERIC_CASES]


def test_every_public_metric_is_registered():
    public = {
        name
        for name in retention_kpis.__all__
        if inspect.isfunction(obj := getattr(retention_kpis, name))
        and obj.__module__.startswith("retention_kpis.metrics.")
    }
    assert public == set(IDS)


@pytest.mark.parametrize("metric", METRICS, ids=IDS)
def test_metric_returns_a_python_float(metric):
    assert type(metric.func(**metric.kwargs, **metric.options)) is float


@pytest.mark.parametrize("metric", METRICS, ids=IDS)
def test_metric_options_are_keyword_only_and_documented_with_examples(metric):
    data_args = set(metric.kwargs)
    for name, parameter in inspect.signature(metric.func).parameters.items():
        if name in data_args:
            assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        else:
            assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
    doc = inspect.getdoc(metric.func) or ""
    for section in ("Parameters", "Returns", "Raises", "Examples"):
        assert f"\n{section}\n" in doc


@pytest.mark.parametrize("metric", METRICS, ids=IDS)
def test_model_value_equals_function_value_and_round_trips_json(metric):
    expected = metric.func(**metric.kwargs, **metric.options)
    result = metric.model(**metric.kwargs, **metric.options)
    assert result.value == expected
    assert type(result).model_validate_json(result.model_dump_json()) == result
    with pytest.raises(ValueError, match="frozen"):
        result.value = 0.0
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        type(result).model_validate({**result.model_dump(), "surprise": 1})


@pytest.mark.parametrize(
    "metric", WITH_ZERO_DIVISION, ids=[m.func.__name__ for m in WITH_ZERO_DIVISION]
)
def test_zero_denominator_warns_and_returns_nan(metric):
    with pytest.warns(UndefinedKPIWarning, match=f"{metric.func.__name__} is undefined because"):
        value = metric.func(**metric.zero_kwargs)
    assert type(value) is float
    assert math.isnan(value)


@pytest.mark.parametrize(
    "metric", WITH_ZERO_DIVISION, ids=[m.func.__name__ for m in WITH_ZERO_DIVISION]
)
def test_zero_denominator_with_value_returns_it_silently(metric):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = metric.func(**metric.zero_kwargs, zero_division=0.0)
    assert value == 0.0
    assert type(value) is float


@pytest.mark.parametrize(
    "metric", WITH_ZERO_DIVISION, ids=[m.func.__name__ for m in WITH_ZERO_DIVISION]
)
def test_zero_division_policy_is_validated(metric):
    for bad in ("nan-please", True, None):
        with pytest.raises(
            InvalidInputError,
            match=r"The 'zero_division' parameter of \w+ must be \"warn\" or a float\.",
        ):
            metric.func(**metric.kwargs, zero_division=bad)


@pytest.mark.parametrize(("metric", "name", "call"), NUMERIC_CASES, ids=NUMERIC_IDS)
@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, -math.inf, np.float64("nan")], ids=["nan", "inf", "-inf", "np-nan"]
)
def test_nan_or_inf_in_a_numeric_argument_raises(metric, name, call, bad):
    if (metric.func.__name__, name, bad) in INF_ALLOWED:
        # Documented exception: an infinite lifespan (zero churn) is finite once discounted ...
        assert math.isfinite(metric.func(**{**call, name: bad}))
        # ... and raises without discounting.
        call = {**call, "discount_rate": 0.0}
    with pytest.raises(
        InvalidInputError, match=f"The '{name}' parameter of {metric.func.__name__}"
    ):
        metric.func(**{**call, name: bad})


@pytest.mark.parametrize(("metric", "name", "call"), NUMERIC_CASES, ids=NUMERIC_IDS)
@pytest.mark.parametrize("bad", [True, False, np.bool_(True)], ids=["True", "False", "np-True"])
def test_bool_in_a_numeric_argument_is_rejected(metric, name, call, bad):
    with pytest.raises(
        InvalidInputError, match=f"The '{name}' parameter of {metric.func.__name__}"
    ):
        metric.func(**{**call, name: bad})


@pytest.mark.parametrize("metric", SCORE_METRICS, ids=[m.func.__name__ for m in SCORE_METRICS])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_or_inf_among_scores_raises(metric, bad):
    scores = [*metric.kwargs[metric.scores], bad]
    with pytest.raises(
        InvalidInputError, match=r"must hold only finite numbers\. Got 1 nan or inf value instead\."
    ):
        metric.func(scores)


@pytest.mark.parametrize("metric", SCORE_METRICS, ids=[m.func.__name__ for m in SCORE_METRICS])
@pytest.mark.parametrize(
    "bad",
    [[True, False], np.array([True, False]), pd.Series([True, False])],
    ids=["list", "numpy", "pandas"],
)
def test_bool_scores_are_rejected(metric, bad):
    with pytest.raises(InvalidInputError, match="must hold only numbers"):
        metric.func(bad)


@pytest.mark.parametrize("metric", SCORE_METRICS, ids=[m.func.__name__ for m in SCORE_METRICS])
@pytest.mark.parametrize(
    "container",
    [
        tuple,
        np.array,
        pd.Series,
        pl.Series,
        lambda v: pd.Series(v, dtype="Int64"),
        lambda v: np.array(v, dtype=np.int8),
    ],
    ids=["tuple", "numpy", "pandas", "polars", "pandas-Int64", "numpy-int8"],
)
def test_scores_give_the_same_value_in_every_container(metric, container):
    answers = metric.kwargs[metric.scores]
    assert metric.func(container(answers)) == metric.func(list(answers))


@pytest.mark.parametrize("metric", SCORE_METRICS, ids=[m.func.__name__ for m in SCORE_METRICS])
@pytest.mark.parametrize("seed", range(5))
def test_score_metrics_are_invariant_to_answer_order(metric, seed):
    answers = list(metric.kwargs[metric.scores])
    random.Random(seed).shuffle(answers)  # noqa: S311 - a reproducible shuffle, not cryptography
    assert metric.func(answers) == pytest.approx(
        metric.func(metric.kwargs[metric.scores]), rel=1e-15
    )


SCALED = [m for m in SCORE_METRICS if "scale" in inspect.signature(m.func).parameters]


@pytest.mark.parametrize("metric", SCALED, ids=[m.func.__name__ for m in SCALED])
@pytest.mark.parametrize("bad", [math.nan, math.inf, True], ids=["nan", "inf", "bool"])
def test_nan_inf_or_bool_in_the_scale_raises(metric, bad):
    with pytest.raises(
        InvalidInputError, match=f"The 'scale' parameter of {metric.func.__name__} must be a"
    ):
        metric.func(metric.kwargs[metric.scores], scale=(1, bad))
