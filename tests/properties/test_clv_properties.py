"""Monotonicity and ranges of the CLV models' predictions, where the theory says they hold.

For BG/NBD (Fader, Hardie & Lee 2005), MBG/NBD (Batislam et al. 2007),
Pareto/NBD (Schmittlein et al. 1987) and BG/BB (Fader, Hardie & Shang 2010) the
conditional expectation E[X(T, T + t) | history] counts purchases in a window
that grows with t, so it is non-decreasing in t and non-negative; P(alive) is
a probability. sBG survival S(t) (Fader & Hardie 2007) is non-increasing from
S(0) = 1, and Gamma-Gamma's expected spend lies between the population mean
and the customer's own mean (a weighted average of the two, Fader et al. 2005).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from retention_kpis.clv import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
)

positive = st.floats(0.05, 20.0)


@st.composite
def histories(draw):
    """(frequency, recency, T) with 0 <= recency <= T and recency > 0 when frequency > 0."""
    age = draw(st.floats(1.0, 100.0))
    frequency = draw(st.integers(0, 30))
    recency = 0.0 if frequency == 0 else draw(st.floats(0.5, 1.0)) * age
    return float(frequency), recency, age


def continuous_models(draw):
    kind = draw(st.sampled_from(["bgnbd", "mbgnbd", "pareto"]))
    if kind == "pareto":
        return ParetoNBDModel.from_params(
            r=draw(positive), alpha=draw(positive), s=draw(positive), beta=draw(positive)
        )
    cls = BetaGeoModel if kind == "bgnbd" else ModifiedBetaGeoModel
    return cls.from_params(
        r=draw(positive), alpha=draw(positive), a=draw(positive), b=draw(positive)
    )


@settings(max_examples=60, deadline=None)
@given(st.data(), histories(), st.lists(st.floats(0.0, 200.0), min_size=2, max_size=6))
def test_expected_purchases_are_non_decreasing_in_t_and_alive_is_a_probability(data, history, ts):
    model = continuous_models(data.draw)
    frequency, recency, age = history
    t = np.sort(np.asarray(ts))
    n = len(t)
    expected = model.expected_purchases(t, [frequency] * n, [recency] * n, [age] * n)
    assert np.all(np.isfinite(expected))
    assert np.all(expected >= -1e-12)
    assert np.all(np.diff(expected) >= -1e-9 * np.maximum(1.0, expected[1:]))
    alive = model.probability_alive([frequency], [recency], [age])
    assert 0.0 <= float(alive[0]) <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(positive, positive, positive, positive),
    st.integers(1, 30),
    st.data(),
    st.lists(st.integers(0, 40), min_size=2, max_size=6),
)
def test_bgbb_expected_purchases_non_decreasing_in_t_and_alive_in_unit_interval(
    params, n_periods, data, ts
):
    alpha, beta, gamma, delta = params
    model = BetaGeoBetaBinomModel.from_params(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    frequency = data.draw(st.integers(0, n_periods))
    recency = 0 if frequency == 0 else data.draw(st.integers(frequency, n_periods))
    t = np.sort(np.asarray(ts))
    size = len(t)
    expected = model.expected_purchases(t, [frequency] * size, [recency] * size, [n_periods] * size)
    assert np.all(np.isfinite(expected))
    assert np.all(expected >= -1e-12)
    assert np.all(np.diff(expected) >= -1e-9 * np.maximum(1.0, expected[1:]))
    alive = float(model.probability_alive([frequency], [recency], [n_periods])[0])
    assert 0.0 <= alive <= 1.0


@settings(max_examples=60, deadline=None)
@given(positive, positive, st.integers(1, 60))
def test_sbg_survival_starts_at_one_and_never_increases(alpha, beta, horizon):
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    survival = model.survival(np.arange(horizon + 1))
    assert math.isclose(float(survival[0]), 1.0)
    assert np.all(np.diff(survival) <= 1e-12)
    assert np.all((survival >= 0.0) & (survival <= 1.0))


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.5, 20.0), st.floats(1.5, 20.0), positive, st.integers(1, 50), st.floats(0.1, 1e4)
)
def test_gamma_gamma_expected_value_lies_between_population_and_own_mean(p, q, v, frequency, own):
    assume(q > 1.0)  # the population mean p*v/(q-1) exists only for q > 1
    model = GammaGammaModel.from_params(p=p, q=q, v=v)
    population = model.population_mean_value()
    value = float(model.expected_average_value([frequency], [own])[0])
    low, high = sorted((population, own))
    assert low * (1 - 1e-9) <= value <= high * (1 + 1e-9)
