"""Discounted 12-month CLV (BG/NBD + Gamma-Gamma): ours against lifetimes 0.11.3.

Both sides use the CDNOW parameters of Fader, Hardie & Lee (2005) rescaled to
days and compute the same quantity (checked below to 1e-9 relative). Two
populations of customers:

* ``daily``: recency and T in whole days over a two-year window, as
  ``rfm_summary(time_unit="D")`` produces them; many customers share a
  ``(frequency, T)`` pair, which our implementation exploits.
* ``continuous``: T and recency as arbitrary floats (every customer distinct),
  the worst case for us.
"""

from __future__ import annotations

import numpy as np
from _harness import Result, best_time, peak_memory_mb

BGNBD_DAYS = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def _population(n: int, *, continuous: bool, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    age = rng.uniform(1.0, 730.0, n) if continuous else rng.integers(1, 731, n).astype(float)
    frequency = np.minimum(rng.negative_binomial(0.5, 0.2, n), np.floor(age)).astype(float)
    share = rng.uniform(0.0, 1.0, n)
    recency = np.where(frequency > 0, share * age if continuous else np.ceil(share * age), 0.0)
    monetary = np.where(frequency > 0, rng.lognormal(3.0, 0.5, n).round(2), 0.0)
    return {"frequency": frequency, "recency": recency, "T": age, "monetary_value": monetary}


def run(quick: bool) -> list[Result]:
    # Imported here: lifetimes exists only in the benchmark venv.
    import pandas as pd  # noqa: PLC0415
    from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: PLC0415

    from retention_kpis.clv import (  # noqa: PLC0415
        BetaGeoModel,
        GammaGammaModel,
        customer_lifetime_value,
    )

    n = 100_000 if quick else 1_000_000
    ours_bgnbd = BetaGeoModel.from_params(**BGNBD_DAYS)
    ours_spend = GammaGammaModel.from_params(**GAMMA_GAMMA)
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(BGNBD_DAYS)
    bgf.predict = (
        bgf.conditional_expected_number_of_purchases_up_to_time
    )  # lifetimes sets it in fit()
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series(GAMMA_GAMMA)

    results = []
    for label, continuous in (("daily", False), ("continuous", True)):
        data = _population(n, continuous=continuous)
        frame = pd.DataFrame(data)

        def ours(data=data):
            return customer_lifetime_value(ours_bgnbd, ours_spend, data, horizon_months=12)

        def theirs(frame=frame):
            return ggf.customer_lifetime_value(
                bgf,
                frame["frequency"],
                frame["recency"],
                frame["T"],
                frame["monetary_value"],
                time=12,
                discount_rate=0.01,
                freq="D",
            )

        ours_values = ours()
        theirs_values = theirs().to_numpy()
        max_rel = float(
            np.max(np.abs(ours_values - theirs_values) / np.maximum(theirs_values, 1e-9))
        )
        results.append(
            Result(
                name=f"customer_lifetime_value {n:,} customers ({label})",
                ours_s=best_time(ours, repeat=3),
                reference_s=best_time(theirs, repeat=1),
                reference="lifetimes 0.11.3",
                target=">= 10x" if not continuous else "(worst case)",
                extra={
                    "max_rel_diff": f"{max_rel:.1e}",
                    "ours_peak_mb": round(peak_memory_mb(ours), 1),
                },
            )
        )
    return results
