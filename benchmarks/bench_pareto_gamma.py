"""Pareto/NBD and Gamma-Gamma against lifetimes 0.11.3, side by side.

* Pareto/NBD fit on CDNOW (2,357 customers) vs ``ParetoNBDFitter().fit`` (target >= 10x;
  measured 20-24x with default and with single-threaded OpenBLAS alike, since the fit
  hands scipy's L-BFGS-B an already converged point);
* P(alive) and the conditional expectation on all 2,357 CDNOW rows at the published
  parameters (value-only path, each distinct history once), vs lifetimes'
  ``conditional_probability_alive`` /
  ``conditional_expected_number_of_purchases_up_to_time``, with the largest gap;
* a ``recency == T`` row where lifetimes returns nan and we return a finite value;
* Gamma-Gamma fit on the 946 CDNOW repeat buyers vs ``GammaGammaFitter().fit``.
"""

from __future__ import annotations

import warnings

import numpy as np
from _harness import Result, best_time

PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def _pareto(results: list[Result], repeat: int) -> None:
    from lifetimes import ParetoNBDFitter  # noqa: PLC0415 - only in the benchmark venv

    from retention_kpis.clv import ParetoNBDModel  # noqa: PLC0415 - after sys.path setup
    from retention_kpis.datasets import load_cdnow_summary  # noqa: PLC0415 - same

    cdnow = load_cdnow_summary()
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    model = ParetoNBDModel().fit(f, r, T)
    ours = best_time(lambda: ParetoNBDModel().fit(f, r, T), repeat=repeat)
    fitter = ParetoNBDFitter()
    theirs = best_time(lambda: fitter.fit(f, r, T), repeat=max(1, repeat // 2))
    results.append(
        Result(
            "pareto/nbd fit CDNOW (2,357 customers)",
            ours,
            theirs,
            "lifetimes ParetoNBDFitter",
            ">= 10x",
            {
                "ours": {k: round(v, 4) for k, v in model.params.model_dump().items()},
                "lifetimes": {k: round(float(v), 4) for k, v in fitter.params_.items()},
                "ours_ll": round(model.log_likelihood, 3),
            },
        )
    )

    published = ParetoNBDModel.from_params(**PUBLISHED)
    for name, value in PUBLISHED.items():
        fitter.params_[name] = value
    alive_ours = published.probability_alive(f, r, T)
    alive_theirs = np.asarray(fitter.conditional_probability_alive(f, r, T), dtype=float)
    expected_ours = published.expected_purchases(39.0, f, r, T)
    expected_theirs = np.asarray(
        fitter.conditional_expected_number_of_purchases_up_to_time(39.0, f, r, T), dtype=float
    )
    results.append(
        Result(
            "pareto/nbd P(alive) + E[X(39)] on CDNOW rows",
            best_time(
                lambda: (
                    published.probability_alive(f, r, T),
                    published.expected_purchases(39.0, f, r, T),
                ),
                repeat=repeat,
            ),
            best_time(
                lambda: (
                    fitter.conditional_probability_alive(f, r, T),
                    fitter.conditional_expected_number_of_purchases_up_to_time(39.0, f, r, T),
                ),
                repeat=repeat,
            ),
            "lifetimes conditional_*",
            ">= 1x",
            {
                "max_rel_gap_alive": float(np.max(np.abs(alive_ours / alive_theirs - 1))),
                "max_rel_gap_expected": float(np.max(np.abs(expected_ours / expected_theirs - 1))),
            },
        )
    )

    x, t_x, age = np.array([200.0]), np.array([300.0]), np.array([300.0])
    results.append(
        Result(
            "pareto/nbd P(alive), E[X(39)] at x=200, recency=T=300",
            best_time(lambda: published.expected_purchases(39.0, x, t_x, age), repeat=repeat),
            best_time(
                lambda: fitter.conditional_expected_number_of_purchases_up_to_time(
                    39.0, x, t_x, age
                ),
                repeat=repeat,
            ),
            "lifetimes (returns nan)",
            "finite",
            {
                "ours": [
                    float(published.probability_alive(x, t_x, age)[0]),
                    float(published.expected_purchases(39.0, x, t_x, age)[0]),
                ],
                "lifetimes": [
                    float(np.asarray(fitter.conditional_probability_alive(x, t_x, age))[0]),
                    float(
                        np.asarray(
                            fitter.conditional_expected_number_of_purchases_up_to_time(
                                39.0, x, t_x, age
                            )
                        )[0]
                    ),
                ],
            },
        )
    )


def _gamma_gamma(results: list[Result], repeat: int) -> None:
    from lifetimes import GammaGammaFitter  # noqa: PLC0415 - only in the benchmark venv

    from retention_kpis.clv import GammaGammaModel  # noqa: PLC0415 - after sys.path setup
    from retention_kpis.datasets import load_cdnow_summary  # noqa: PLC0415 - same

    summary = load_cdnow_summary()
    buyers = summary[summary["frequency"] > 0]
    x, zbar = buyers["frequency"], buyers["monetary_value"]
    model = GammaGammaModel().fit(x, zbar)
    fitter = GammaGammaFitter()
    results.append(
        Result(
            "gamma-gamma fit CDNOW (946 repeat buyers)",
            best_time(lambda: GammaGammaModel().fit(x, zbar), repeat=repeat),
            best_time(lambda: fitter.fit(x, zbar), repeat=repeat),
            "lifetimes GammaGammaFitter",
            ">= 1x",
            {
                "ours": {k: round(v, 4) for k, v in model.params.model_dump().items()},
                "lifetimes": {k: round(float(v), 4) for k, v in fitter.params_.items()},
            },
        )
    )


def run(quick: bool) -> list[Result]:
    warnings.simplefilter("ignore")  # lifetimes' own warnings and its nan
    results: list[Result] = []
    repeat = 2 if quick else 5
    _pareto(results, repeat)
    _gamma_gamma(results, repeat)
    return results
