"""BG/NBD: fitting and predictions against lifetimes 0.11.3, side by side.

* fit on CDNOW (2,357 customers) vs ``BetaGeoFitter().fit``;
* fit on 1M customers simulated from the BG/NBD process (target < 2 s; lifetimes
  is timed on the same data only in the full run, it takes tens of seconds);
* ``probability_alive`` / ``expected_purchases`` on 1M customers vs
  ``conditional_probability_alive`` /
  ``conditional_expected_number_of_purchases_up_to_time``.
"""

from __future__ import annotations

import warnings

import numpy as np
from _harness import Result, best_time

PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def simulate(n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``(frequency, recency, T)`` of ``n`` customers from the BG/NBD process (weeks).

    lambda ~ Gamma(r, 1/alpha), p ~ Beta(a, b), T ~ U(1, 78). N(T) ~ Poisson(lambda T) purchases
    would happen without dropout; the customer leaves after purchase G ~ Geometric(p), so
    x = min(N(T), G) and, given N(T), the x-th purchase time is T * Beta(x, N(T) - x + 1).
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(PAPER["r"], 1 / PAPER["alpha"], n)
    p = rng.beta(PAPER["a"], PAPER["b"], n)
    T = rng.uniform(1.0, 78.0, n)
    purchases = rng.poisson(lam * T)
    x = np.minimum(purchases, rng.geometric(p))
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), purchases - x + 1), 0.0)
    return x.astype(float), t_x, T


def run(quick: bool) -> list[Result]:
    import pandas as pd  # noqa: PLC0415 - imported in run() like lifetimes
    from lifetimes import BetaGeoFitter  # noqa: PLC0415 - only in the benchmark venv

    from retention_kpis.clv import BetaGeoModel  # noqa: PLC0415 - after sys.path setup
    from retention_kpis.datasets import load_cdnow_summary  # noqa: PLC0415 - same

    warnings.simplefilter("ignore")  # lifetimes' own deprecation warnings
    results: list[Result] = []
    cdnow = load_cdnow_summary()
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    ours = best_time(lambda: BetaGeoModel().fit(f, r, T), repeat=5)
    theirs = best_time(lambda: BetaGeoFitter().fit(f, r, T), repeat=5)
    results.append(
        Result(
            "bgnbd fit CDNOW (2,357 customers)", ours, theirs, "lifetimes BetaGeoFitter", ">= 1x"
        )
    )

    n = 100_000 if quick else 1_000_000
    x, t_x, age = simulate(n)
    model = BetaGeoModel()
    fit_time = best_time(lambda: model.fit(x, t_x, age), repeat=1 if quick else 2)
    reference = None
    if not quick:
        reference = best_time(lambda: BetaGeoFitter().fit(x, t_x, age), repeat=1)
    results.append(
        Result(
            f"bgnbd fit {n:,} simulated customers",
            fit_time,
            reference,
            "lifetimes BetaGeoFitter",
            "< 2 s",
            {"params": {k: round(v, 4) for k, v in model.params.model_dump().items()}},
        )
    )

    fitted = BetaGeoModel.from_params(**PAPER)
    lt = BetaGeoFitter()
    lt.params_ = pd.Series(PAPER)
    ours = best_time(lambda: fitted.probability_alive(x, t_x, age))
    theirs = best_time(lambda: lt.conditional_probability_alive(x, t_x, age))
    results.append(
        Result(f"bgnbd probability_alive {n:,}", ours, theirs, "lifetimes cond. P(alive)", ">= 1x")
    )
    ours = best_time(lambda: fitted.expected_purchases(39.0, x, t_x, age))
    theirs = best_time(
        lambda: lt.conditional_expected_number_of_purchases_up_to_time(39.0, x, t_x, age)
    )
    results.append(
        Result(f"bgnbd expected_purchases {n:,}", ours, theirs, "lifetimes cond. E[X(t)]", ">= 1x")
    )
    return results
