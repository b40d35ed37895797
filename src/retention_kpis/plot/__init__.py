"""Plots of cohorts, funnels, KPI reports and the predictive-CLV models (``plot`` extra).

matplotlib is imported inside each function, so ``import retention_kpis.plot``
works without it; calling a plot without matplotlib raises an ImportError that
says to ``pip install 'retention-kpis[plot]'``. Every plot draws on ``ax`` (or
on a new figure sized to the data) and returns the Axes (:func:`plot_kpis`, a
grid of axes, returns the Figure); none shows the figure.

The CLV diagnostics come in pairs: a data function returning a pandas
DataFrame (:func:`period_transactions`, :func:`transaction_tracking`,
:func:`probability_alive_history`, :func:`calibration_vs_holdout_purchases`),
which needs no matplotlib, and the plot that draws exactly those numbers.
"""

from __future__ import annotations

from retention_kpis.plot.clv import (
    plot_frequency_recency_matrix,
    plot_probability_alive_matrix,
    plot_survival_curve,
)
from retention_kpis.plot.clv_fit import (
    calibration_vs_holdout_purchases,
    period_transactions,
    plot_calibration_purchases_vs_holdout_purchases,
    plot_period_transactions,
)
from retention_kpis.plot.clv_history import plot_history_alive, probability_alive_history
from retention_kpis.plot.clv_tracking import (
    plot_cumulative_transactions,
    plot_incremental_transactions,
    transaction_tracking,
)
from retention_kpis.plot.cohorts import plot_cohort_heatmap, plot_retention_curves
from retention_kpis.plot.funnels import plot_funnel
from retention_kpis.plot.report import plot_kpis

__all__ = [
    "calibration_vs_holdout_purchases",
    "period_transactions",
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_cohort_heatmap",
    "plot_cumulative_transactions",
    "plot_frequency_recency_matrix",
    "plot_funnel",
    "plot_history_alive",
    "plot_incremental_transactions",
    "plot_kpis",
    "plot_period_transactions",
    "plot_probability_alive_matrix",
    "plot_retention_curves",
    "plot_survival_curve",
    "probability_alive_history",
    "transaction_tracking",
]
