"""BG/BB: our fit and predictions against lifetimes' BetaGeoBetaBinomFitter, same run."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _harness import Result, best_time


def run(quick: bool) -> list[Result]:
    from lifetimes import BetaGeoBetaBinomFitter  # noqa: PLC0415 - only in the benchmark venv

    from retention_kpis.clv import BetaGeoBetaBinomModel  # noqa: PLC0415 - after sys.path setup
    from retention_kpis.datasets import load_donations  # noqa: PLC0415 - same

    table = load_donations()
    # one row per donor (pymc-marketing's bgbb_donations.csv is this expansion)
    rows = table.loc[table.index.repeat(table["weights"])].reset_index(drop=True)
    rows = rows.rename(columns={"periods": "T"})
    x, t_x, n, w = (table[c] for c in ("frequency", "recency", "periods", "weights"))
    results: list[Result] = []

    ours = best_time(lambda: BetaGeoBetaBinomModel().fit(x, t_x, n, weights=w))
    theirs = best_time(lambda: BetaGeoBetaBinomFitter().fit(x, t_x, n, weights=w))
    results.append(Result("bgbb fit, donations 22-row table", ours, theirs, "lifetimes 0.11.3"))

    # lifetimes needs a weights column to fit one row per customer
    ones = np.ones(len(rows))
    ours = best_time(
        lambda: BetaGeoBetaBinomModel().fit(rows["frequency"], rows["recency"], rows["T"])
    )
    theirs = best_time(
        lambda: BetaGeoBetaBinomFitter().fit(rows["frequency"], rows["recency"], rows["T"], ones)
    )
    results.append(Result("bgbb fit, 11,104 donors one row each", ours, theirs, "lifetimes 0.11.3"))

    size = 20_000 if quick else 200_000
    rng = np.random.default_rng(0)
    periods = np.full(size, 6)
    recency = rng.integers(0, 7, size)
    frequency = np.where(recency == 0, 0, rng.integers(1, 7, size))
    frequency = np.minimum(frequency, recency)
    model = BetaGeoBetaBinomModel.from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    fitter = BetaGeoBetaBinomFitter()
    fitter.params_ = pd.Series({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    ours = best_time(lambda: model.probability_alive(frequency, recency, periods))
    theirs = best_time(lambda: fitter.conditional_probability_alive(1, frequency, recency, periods))
    results.append(
        Result(f"bgbb probability_alive, {size:,} customers", ours, theirs, "lifetimes 0.11.3")
    )
    ours = best_time(lambda: model.expected_purchases(5, frequency, recency, periods))
    theirs = best_time(
        lambda: fitter.conditional_expected_number_of_purchases_up_to_time(
            5, frequency, recency, periods
        )
    )
    results.append(
        Result(f"bgbb expected_purchases(5), {size:,} customers", ours, theirs, "lifetimes 0.11.3")
    )
    return results
