"""Predictive CLV on the bundled CDNOW data, end to end.

1. Split the CDNOW transaction log into a calibration period (up to 1997-09-30,
   the 39 weeks of Fader, Hardie & Lee 2005) and a holdout period (to 1998-06-30).
2. Fit BG/NBD on the calibration period and check it against the holdout purchases.
3. Fit Gamma-Gamma on the customers with repeat purchases.
4. Value every customer over the next 12 months (1 % monthly discount rate)
   and list the most valuable ones.

Run: ``python examples/predictive_clv.py`` (add ``--plots DIR`` to save the
diagnostic plots, which needs the ``plot`` extra).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from retention_kpis.clv import (
    BetaGeoModel,
    GammaGammaModel,
    calibration_holdout_split,
    customer_lifetime_value,
)
from retention_kpis.datasets import load_cdnow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plots", type=Path, default=None, help="folder to save PNG plots in")
    args = parser.parse_args()

    transactions = load_cdnow()
    summary = calibration_holdout_split(
        transactions,
        customer_id="customer_id",
        timestamp="date",
        monetary_value="dollar_value",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="D",
        time_scaler=7.0,  # count days, report weeks (the CDNOW convention)
    )
    print(f"{len(summary):,} customers; calibration summary (weeks):")
    print(summary.head().to_string(index=False))

    bgnbd = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    print(f"\nBG/NBD: {bgnbd}  log-likelihood {bgnbd.log_likelihood:,.1f}")

    predicted = bgnbd.expected_purchases(
        summary["duration_holdout"], summary["frequency"], summary["recency"], summary["T"]
    )
    actual = summary["frequency_holdout"].to_numpy()
    print(
        f"Holdout purchases (39 weeks to 1998-06-30): actual {actual.sum():,}, "
        f"predicted {predicted.sum():,.0f}"
    )

    # Gamma-Gamma is fitted to repeat buyers with a positive mean spend (one CDNOW
    # customer's repeat purchases are all $0; customer_lifetime_value handles them).
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    gamma_gamma = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    print(f"Gamma-Gamma: {gamma_gamma}")

    clv = customer_lifetime_value(
        bgnbd, gamma_gamma, summary, horizon_months=12, discount_rate=0.01, time_unit="W"
    )
    valued = summary.assign(
        probability_alive=bgnbd.probability_alive(
            summary["frequency"], summary["recency"], summary["T"]
        ),
        clv=clv,
    )
    print(f"\nTotal 12-month CLV of the cohort: ${clv.sum():,.0f} (mean ${np.mean(clv):.2f})")
    print("Ten most valuable customers:")
    columns = [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "probability_alive",
        "clv",
    ]
    print(valued.nlargest(10, "clv")[columns].round(2).to_string(index=False))

    if args.plots is not None:
        import matplotlib as mpl  # noqa: PLC0415 - optional, only for --plots

        mpl.use("Agg")
        from retention_kpis.plot import (  # noqa: PLC0415 - optional, only for --plots
            plot_calibration_purchases_vs_holdout_purchases,
            plot_frequency_recency_matrix,
            plot_period_transactions,
            plot_probability_alive_matrix,
        )

        args.plots.mkdir(parents=True, exist_ok=True)
        age = float(summary["T"].max())
        for name, ax in {
            "frequency_recency": plot_frequency_recency_matrix(
                bgnbd, T=age, max_frequency=25, t=4, unit="week"
            ),
            "probability_alive": plot_probability_alive_matrix(
                bgnbd, T=age, max_frequency=25, unit="week"
            ),
            "period_transactions": plot_period_transactions(bgnbd, summary),
            "calibration_holdout": plot_calibration_purchases_vs_holdout_purchases(bgnbd, summary),
        }.items():
            ax.figure.savefig(args.plots / f"cdnow_{name}.png", dpi=100)
        print(f"\nPlots saved in {args.plots}")


if __name__ == "__main__":
    main()
