"""Catalogue rows of issue #16 for the wings (metrics, CLV, cohorts, attribution, specs).

One test per row of the section "Issue #16: the wings" of ``docs/errors.md``. Expected values
are worked out by hand in the comments, or come from an independent implementation written
here (the Markov removal effects by one linear solve per channel, the definition).
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import polars as pl
import pytest

from retention_kpis import (
    InvalidInputError,
    conversion_rate,
    customer_effort_score,
    customer_satisfaction_score,
    net_promoter_score,
)
from retention_kpis.attribution.markov import (
    MAX_MARKOV_CHANNELS,
    absorption,
    markov_removal_effects,
    transition_counts,
)
from retention_kpis.clv import BetaGeoModel, GammaGammaModel, customer_lifetime_value
from retention_kpis.clv.value import MAX_HORIZON_MONTHS
from retention_kpis.cohorts import cohort_retention
from retention_kpis.cohorts._options import MAX_BRACKETS
from retention_kpis.metrics.roas import ReturnOnAdSpend

# --- item 8: infinite KPIs in strict JSON -----------------------------------------------------


def test_an_infinite_kpi_round_trips_through_strict_json():
    # ROAS of revenue 10 on zero spend with zero_division=inf is +inf by the caller's policy.
    result = ReturnOnAdSpend.from_totals(10.0, 0.0, zero_division=math.inf)
    text = result.model_dump_json()

    def no_constants(name: str) -> float:
        raise AssertionError(name)  # strict JSON: no Infinity/NaN literals

    assert json.loads(text, parse_constant=no_constants)["value"] == "Infinity"
    assert ReturnOnAdSpend.model_validate_json(text).value == math.inf  # before: nan


def test_an_undefined_kpi_is_still_null_in_json():
    result = ReturnOnAdSpend.from_totals(10.0, 0.0, zero_division=math.nan)
    assert json.loads(result.model_dump_json())["value"] is None
    assert math.isnan(ReturnOnAdSpend.model_validate_json(result.model_dump_json()).value)


@pytest.mark.parametrize(
    ("func", "scores"),
    [
        (net_promoter_score, [9 + 0j, 10 + 1j, 3 + 0j]),
        (customer_satisfaction_score, np.array([4 + 0j, 5 + 1j])),
        (customer_effort_score, [4 + 0j, 5 + 1j]),
    ],
    ids=["nps", "csat", "ces"],
)
def test_complex_survey_scores_are_refused(func, scores):
    # Before: the imaginary part was dropped (NPS of [9, 10, 3] = 33.3).
    with pytest.raises(InvalidInputError) as info:
        func(scores)
    assert str(info.value) == (
        f"The 'scores' parameter of {func.__name__} must hold only real numbers (not complex). "
        "Got (5+1j) instead."
        if func is not net_promoter_score
        else "The 'scores' parameter of net_promoter_score must hold only real numbers "
        "(not complex). Got (10+1j) instead."
    )


@pytest.mark.parametrize("kind", [int, np.int64, np.uint64], ids=["int", "int64", "uint64"])
def test_part_above_whole_is_caught_exactly_above_two_to_the_53(kind):
    # 2**53 + 1 rounds to 2**53 as a float: the check used to pass and report a rate of 1.0.
    with pytest.raises(InvalidInputError) as info:
        conversion_rate(kind(2**53 + 1), kind(2**53))
    assert str(info.value) == (
        "The 'conversions' parameter of conversion_rate must be <= 'visitors' "
        "(9007199254740992). Got 9007199254740993 instead."
    )
    assert conversion_rate(kind(2**53), kind(2**53 + 1)) == pytest.approx(1.0)


def test_counts_beyond_the_float_range_are_named_not_overflowed():
    with pytest.raises(InvalidInputError) as info:
        conversion_rate(10**400 + 1, 10**400)
    assert str(info.value) == (
        "The 'conversions' parameter of conversion_rate must be <= 'visitors' "
        "(an integer of about 401 digits). Got an integer of about 401 digits instead."
    )


# --- item 11: cohort brackets ----------------------------------------------------------------


def _daily_buyers() -> pd.DataFrame:
    # Customer a buys every day for 401 days; b on day 0 and day 150. One cohort of 2 (day 0).
    days = pd.date_range("2024-01-01", periods=401, freq="D")
    rows = [("a", day) for day in days] + [("b", days[0]), ("b", days[150])]
    return pd.DataFrame(
        {
            "customer_id": [customer for customer, _ in rows],
            "timestamp": [day for _, day in rows],
            "event_type": "purchase",
            "revenue": 1.0,
        }
    )


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_three_hundred_brackets_compute_without_recursion(backend):
    # Before: RecursionError from about 200 brackets (one nested when/then per bracket).
    events = _daily_buyers()
    frame = events if backend == "pandas" else pl.from_pandas(events)
    brackets = [(k, k) for k in range(1, 301)]
    table = cohort_retention(frame, period="D", mode="bracket", brackets=brackets)
    # Hand count: a returns at every offset, b only at offset 150.
    expected = tuple([2] + [2 if k == 150 else 1 for k in range(1, 301)])
    assert table.counts == (expected,)


def test_too_many_brackets_are_refused_at_once():
    assert MAX_BRACKETS == 500
    brackets = [(k, k) for k in range(1, 100_001)]
    start = time.perf_counter()
    with pytest.raises(InvalidInputError) as info:
        cohort_retention(_daily_buyers(), period="D", mode="bracket", brackets=brackets)
    assert time.perf_counter() - start < 5  # before: minutes, then RecursionError
    assert str(info.value) == (
        "The 'brackets' parameter of cohort_retention must hold at most 500 brackets. "
        "Got 100,000 instead."
    )


# --- item 17: Markov attribution -------------------------------------------------------------


def _removal_by_definition(counts: np.ndarray) -> np.ndarray:
    """RE_c = 1 - P(conversion | c removed) / P(conversion), one linear solve per channel."""
    size = counts.shape[0]
    n = size - 3
    totals = counts.sum(axis=1)
    p = counts / np.where(totals > 0, totals, 1.0)[:, None]
    q, b = p[: n + 1, : n + 1], p[: n + 1, n + 1]
    base = np.linalg.solve(np.eye(n + 1) - q, b)[0]
    effects = np.zeros(n)
    for c in range(n):
        kept = q.copy()
        kept[:, c + 1] = 0.0  # every transition into c goes to null
        b_kept = b.copy()
        b_kept[c + 1] = 0.0
        effects[c] = 1.0 - np.linalg.solve(np.eye(n + 1) - kept, b_kept)[0] / base
    return effects


@pytest.mark.parametrize("seed", range(5))
def test_markov_removal_effects_match_one_solve_per_channel(seed):
    rng = np.random.default_rng(seed)
    n = 12
    lengths = rng.integers(1, 6, 200)
    hi = np.cumsum(lengths)
    lo = hi - lengths
    touches = rng.integers(0, n, int(hi[-1]))
    counts = transition_counts(
        touches, lo, hi, converted=rng.random(200) < 0.3, weight=np.ones(200), n_channels=n
    )
    _, effects = absorption(counts)
    np.testing.assert_allclose(effects, _removal_by_definition(counts), rtol=1e-9, atol=1e-12)


def test_markov_worked_example_is_unchanged():
    # docs/attribution.md: A > B > C and A convert, B > A does not: RE = 0.75, 2/3, 0.5.
    effects = markov_removal_effects({("A", "B", "C"): 1, ("A",): 1}, {("B", "A"): 1})
    assert effects == pytest.approx({"A": 0.75, "B": 2 / 3, "C": 0.5}, abs=1e-3)


def test_four_hundred_markov_channels_finish_quickly():
    # Before: 234 s on the shared machine (one dense solve per channel, O(n^4)); now one inverse.
    rng = np.random.default_rng(0)
    names = [f"c{i:04d}" for i in range(400)]
    converting, journeys = {}, {}
    for _ in range(2000):
        path = tuple(names[j] for j in rng.integers(0, 400, rng.integers(1, 5)))
        (converting if rng.random() < 0.3 else journeys)[path] = 1.0
    start = time.perf_counter()
    effects = markov_removal_effects(converting, journeys)
    assert time.perf_counter() - start < 30
    assert all(0.0 <= value <= 1.0 for value in effects.values())


def test_too_many_markov_channels_are_refused():
    assert MAX_MARKOV_CHANNELS == 2000
    paths = {(f"c{i}",): 1.0 for i in range(2001)}
    with pytest.raises(InvalidInputError) as info:
        markov_removal_effects(paths)
    assert str(info.value) == (
        "The markov model accepts at most 2,000 channels. Got 2,001 channels instead "
        "(a dense 2,002 x 2,002 system).\nHint: group rare channels into one before attributing."
    )


# --- item 19: CLV horizon --------------------------------------------------------------------

BGNBD = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
GAMMA_GAMMA = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
CUSTOMER = {"frequency": [2], "recency": [30.43], "T": [38.86], "monetary_value": [22.35]}


@pytest.mark.parametrize("horizon", [1201, 10**6, 10**8])
def test_clv_horizon_beyond_100_years_is_refused(horizon):
    # Before: 10**6 months took 33 s for one customer and 10**8 raised MemoryError.
    assert MAX_HORIZON_MONTHS == 1200
    with pytest.raises(InvalidInputError) as info:
        customer_lifetime_value(BGNBD, GAMMA_GAMMA, CUSTOMER, horizon_months=horizon)
    assert str(info.value) == (
        "The 'horizon_months' parameter of customer_lifetime_value must be <= 1200 (100 years; "
        f"each month costs one model evaluation per customer). Got {horizon} instead."
    )


def test_clv_at_the_horizon_bound_is_computed():
    # 1,200 monthly terms of a decreasing, discounted series: more than 12 months, finite.
    long = customer_lifetime_value(BGNBD, GAMMA_GAMMA, CUSTOMER, horizon_months=1200)
    year = customer_lifetime_value(BGNBD, GAMMA_GAMMA, CUSTOMER, horizon_months=12)
    assert np.isfinite(long[0])
    assert long[0] > year[0]
