"""The plots of the documentation site, drawn at build time from the bundled datasets.

``PLOTS`` is the one list of pictures on the site: ``tools/docs_hooks.py`` draws each entry
during ``mkdocs build`` into ``images/plots/<name>.png`` (never a hand-pasted file) and lists
them all on the plot gallery page. To add a picture, append a ``Plot`` whose ``draw``
returns a matplotlib Figure, then show it on a page with
``![alt](<relative path>/images/plots/<name>.png){ .rk-plot }``.

Run ``python tools/docs_plots.py OUTDIR`` to draw them without building the site.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from retention_kpis.clv import BetaGeoModel

# The synthetic event stream of the guides: seeded, so every build draws the same pictures.
EVENTS_CUSTOMERS = 1_500
EVENTS_START = "2024-01-01"
EVENTS_END = "2024-12-31"
EVENTS_SEED = 7
OBSERVATION_END = pd.Timestamp("2024-12-31 23:59:59")
FUNNEL_STEPS = ("visit", "signup", "cart_add", "checkout", "purchase")
# CDNOW (bundled), split as in Fader, Hardie & Lee (2005): 39 calibration weeks, in weeks.
CDNOW_CALIBRATION_END = "1997-09-30"
CDNOW_OBSERVATION_END = "1998-06-30"


@dataclass(frozen=True)
class Plot:
    """One picture of the site: its file name (without ``.png``), its caption and its code."""

    name: str
    caption: str
    draw: Callable[[], Figure]


@functools.cache
def _events() -> pd.DataFrame:
    from retention_kpis.datasets import make_events

    return make_events(EVENTS_CUSTOMERS, start=EVENTS_START, end=EVENTS_END, seed=EVENTS_SEED)


@functools.cache
def _cdnow_calibration() -> pd.DataFrame:
    from retention_kpis.clv import calibration_holdout_split
    from retention_kpis.datasets import load_cdnow

    return calibration_holdout_split(
        load_cdnow(),
        customer_id="customer_id",
        timestamp="date",
        monetary_value="dollar_value",
        calibration_end=CDNOW_CALIBRATION_END,
        observation_end=CDNOW_OBSERVATION_END,
        time_unit="D",
        time_scaler=7.0,
    )


@functools.cache
def _bgnbd() -> BetaGeoModel:
    from retention_kpis.clv import BetaGeoModel

    summary = _cdnow_calibration()
    return BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _monthly_cohorts() -> object:
    from retention_kpis.cohorts import cohort_retention

    return cohort_retention(_events(), period="M", mode="on", observation_end=OBSERVATION_END)


def cohort_heatmap() -> Figure:
    """Monthly purchase retention by first-purchase cohort (``plot_cohort_heatmap``)."""
    from retention_kpis.plot import plot_cohort_heatmap

    fig = _figure(10, 5)
    ax = plot_cohort_heatmap(_monthly_cohorts(), ax=fig.subplots())  # type: ignore[arg-type]
    ax.set_title("Monthly purchase retention by first-purchase cohort (make_events, 2024)")
    return fig


def retention_curves() -> Figure:
    """Customer and net revenue retention curves (``plot_retention_curves``)."""
    from retention_kpis.cohorts import revenue_retention
    from retention_kpis.plot import plot_retention_curves

    fig = _figure(11, 4.2)
    left, right = fig.subplots(1, 2)
    plot_retention_curves(_monthly_cohorts(), ax=left)  # type: ignore[arg-type]
    left.set_title("Customer retention by monthly cohort")
    plot_retention_curves(revenue_retention(_events(), observation_end=OBSERVATION_END), ax=right)
    right.set_title("Net revenue retention by monthly cohort")
    for ax in (left, right):
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
    return fig


def funnel_steps() -> Figure:
    """A five-step funnel within 30 days (``plot_funnel``)."""
    from retention_kpis.funnels import funnel
    from retention_kpis.plot import plot_funnel

    fig = _figure(7, 3.5)
    ax = plot_funnel(funnel(_events(), list(FUNNEL_STEPS), within="30D"), ax=fig.subplots())
    ax.set_title("Visit to purchase within 30 days (make_events, 2024)")
    return fig


def probability_alive_matrix() -> Figure:
    """P(alive) by frequency and recency, BG/NBD fitted on CDNOW's 39 calibration weeks."""
    from retention_kpis.plot import plot_probability_alive_matrix

    summary = _cdnow_calibration()
    fig = _figure(6.5, 5)
    plot_probability_alive_matrix(
        _bgnbd(), T=float(summary["T"].max()), max_frequency=20, ax=fig.subplots()
    )
    return fig


def frequency_recency_matrix() -> Figure:
    """Expected purchases in the next 39 weeks by frequency and recency (BG/NBD, CDNOW)."""
    from retention_kpis.plot import plot_frequency_recency_matrix

    summary = _cdnow_calibration()
    fig = _figure(6.5, 5)
    plot_frequency_recency_matrix(
        _bgnbd(), T=float(summary["T"].max()), t=39, max_frequency=20, ax=fig.subplots()
    )
    return fig


def calibration_vs_holdout() -> Figure:
    """Mean holdout purchases by calibration frequency, actual and BG/NBD (CDNOW)."""
    from retention_kpis.plot import plot_calibration_purchases_vs_holdout_purchases

    fig = _figure(7, 4)
    plot_calibration_purchases_vs_holdout_purchases(
        _bgnbd(), _cdnow_calibration(), ax=fig.subplots()
    )
    return fig


PLOTS: tuple[Plot, ...] = (
    Plot("cohort_heatmap", "Cohort retention heat map (cohorts.md)", cohort_heatmap),
    Plot("retention_curves", "Retention and net revenue retention curves", retention_curves),
    Plot("funnel", "A five-step funnel (funnels.md)", funnel_steps),
    Plot("probability_alive_matrix", "BG/NBD P(alive) on CDNOW", probability_alive_matrix),
    Plot("frequency_recency_matrix", "BG/NBD expected purchases on CDNOW", frequency_recency_matrix),
    Plot("calibration_vs_holdout", "BG/NBD calibration vs holdout on CDNOW", calibration_vs_holdout),
)


def draw_all(directory: Path) -> list[Path]:
    """Draw every plot of ``PLOTS`` into ``directory`` as ``<name>.png``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for plot in PLOTS:
        path = directory / f"{plot.name}.png"
        plot.draw().savefig(path, dpi=100)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in draw_all(Path(sys.argv[1])):
        print(written)  # noqa: T201 - a command-line tool
