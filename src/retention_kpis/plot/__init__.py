"""Plots of the predictive-CLV models (needs the ``plot`` extra: matplotlib).

matplotlib is imported inside each function, so ``import retention_kpis.plot``
works without it; calling a plot without matplotlib raises an ImportError that
says to ``pip install 'retention-kpis[plot]'``. Every function draws on ``ax``
(or on a new figure's axes) and returns the Axes, never shows the figure.
"""

from __future__ import annotations

from retention_kpis.plot.clv import (
    plot_calibration_purchases_vs_holdout_purchases,
    plot_frequency_recency_matrix,
    plot_probability_alive_matrix,
    plot_survival_curve,
)
from retention_kpis.plot.cohorts import plot_cohort_heatmap, plot_retention_curves
from retention_kpis.plot.funnels import plot_funnel

__all__ = [
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_cohort_heatmap",
    "plot_frequency_recency_matrix",
    "plot_funnel",
    "plot_probability_alive_matrix",
    "plot_retention_curves",
    "plot_survival_curve",
]
