"""Coverage of the prediction intervals by simulation (parametric bootstrap, slow)."""

from __future__ import annotations

import numpy as np
import pytest

from retention_kpis.clv import BetaGeoModel

TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
N_CUSTOMERS = 4000
REPEATS = 400
WEEKS = 52.0


def simulate_bgnbd(n, T, rng, *, r, alpha, a, b):
    """Draw (x, t_x, T) from BG/NBD (Fader, Hardie & Lee 2005, section 2), written here.

    A customer buys as a Poisson process with rate ``lambda ~ Gamma(r, rate alpha)``; after
    each repeat purchase they drop out with probability ``p ~ Beta(a, b)``, so they make at
    most ``Geometric(p)`` repeat purchases. Of the ``k`` Poisson arrivals in ``(0, T]``, the
    customer makes ``x = min(k, geometric)``; the x-th of ``k`` uniform arrival times is
    ``T * Beta(x, k - x + 1)``.
    """
    rate = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    arrivals = rng.poisson(rate * T)
    before_death = rng.geometric(p)
    x = np.minimum(arrivals, before_death)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1)), 0.0)
    return x.astype(float), t_x, np.full(n, T)


@pytest.mark.slow
def test_bgnbd_interval_coverage_by_simulation():
    """95 % intervals of E[X(52)] for a new customer cover the true value 93-97 % of the time.

    The target is a population quantity, a function of the true parameters only (FHL 2005
    eq. 9). 400 repeats give a Monte Carlo standard error of 1.1 points on the coverage;
    a method that covers 95 % passes with probability ~0.93 for a random seed (this one is
    fixed). Measured with this seed: see docs/clv/uncertainty.md.
    """
    truth = BetaGeoModel.from_params(**TRUE).expected_purchases_new_customer(WEEKS)[0]
    rng = np.random.default_rng(2026)
    hits = {"delta": 0, "sampling": 0}
    for repeat in range(REPEATS):
        x, t_x, T = simulate_bgnbd(N_CUSTOMERS, WEEKS, rng, **TRUE)
        model = BetaGeoModel().fit(x, t_x, T)
        for method in hits:
            result = model.predict(
                "expected_purchases_new_customer",
                WEEKS,
                confidence=0.95,
                method=method,
                n_draws=200,
                seed=repeat,
            )
            hits[method] += result.low[0] <= truth <= result.high[0]
    coverage = {method: count / REPEATS for method, count in hits.items()}
    assert 0.93 <= coverage["delta"] <= 0.97, coverage
    assert 0.93 <= coverage["sampling"] <= 0.97, coverage


@pytest.mark.slow
def test_simulator_reproduces_the_model_it_simulates():
    """The simulator is checked against the model's own moments before it checks intervals.

    Mean repeat purchases in (0, T] of simulated customers vs E[X(T)] (FHL 2005 eq. 9), and
    the share with x = 0 vs P(X(T) = 0) (eq. 8), on 200,000 customers.
    """
    rng = np.random.default_rng(11)
    x, _, _ = simulate_bgnbd(200_000, WEEKS, rng, **TRUE)
    model = BetaGeoModel.from_params(**TRUE)
    mean = model.expected_purchases_new_customer(WEEKS)[0]
    standard_error = x.std() / np.sqrt(len(x))
    assert abs(x.mean() - mean) < 4 * standard_error
    p0 = model.probability_of_purchases(0, WEEKS)[0]
    assert abs((x == 0).mean() - p0) < 4 * np.sqrt(p0 * (1 - p0) / len(x))
