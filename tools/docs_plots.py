"""The plots of the documentation site, drawn at build time from the bundled datasets.

``PLOTS`` is the one list of pictures on the site: ``tools/docs_hooks.py`` draws each entry
during ``mkdocs build`` into ``images/plots/<name>.png`` (never a hand-pasted file) and lists
them all on the plot gallery page (``gallery.md``). To add a picture, append a ``Plot``
whose ``draw`` returns a matplotlib Figure; show it on a page with
``![alt](<relative path to>/images/plots/<name>.png){ .rk-plot }``.

Run ``python tools/docs_plots.py OUTDIR`` to draw them without building the site.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from retention_kpis import compute_kpis
from retention_kpis.clv import BetaGeoModel, calibration_holdout_split
from retention_kpis.cohorts import CohortTable, cohort_retention, revenue_retention
from retention_kpis.datasets import load_cdnow, make_events
from retention_kpis.funnels import funnel
from retention_kpis.plot import (
    plot_calibration_purchases_vs_holdout_purchases,
    plot_cohort_heatmap,
    plot_cumulative_transactions,
    plot_frequency_recency_matrix,
    plot_funnel,
    plot_history_alive,
    plot_incremental_transactions,
    plot_period_transactions,
    plot_probability_alive_matrix,
    plot_retention_curves,
)

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
CDNOW_HORIZON_WEEKS = 39


@dataclass(frozen=True)
class Plot:
    """One picture of the site: file name (without ``.png``), caption, description, code."""

    name: str
    caption: str
    description: str
    draw: Callable[[], Figure]


@functools.cache
def _events() -> pd.DataFrame:
    return make_events(EVENTS_CUSTOMERS, start=EVENTS_START, end=EVENTS_END, seed=EVENTS_SEED)


@functools.cache
def _monthly_cohorts() -> CohortTable:
    return cohort_retention(_events(), period="M", mode="on", observation_end=OBSERVATION_END)


@functools.cache
def _cdnow_calibration() -> pd.DataFrame:
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
    summary = _cdnow_calibration()
    return BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def cohort_heatmap() -> Figure:
    """Draw monthly purchase retention by first-purchase cohort."""
    fig = _figure(10, 5)
    ax = plot_cohort_heatmap(_monthly_cohorts(), ax=fig.subplots())
    ax.set_title("Monthly purchase retention by first-purchase cohort (make_events, 2024)")
    return fig


def retention_curves() -> Figure:
    """Draw the customer and net revenue retention curves of the monthly cohorts."""
    fig = _figure(11, 4.2)
    left, right = fig.subplots(1, 2)
    plot_retention_curves(_monthly_cohorts(), ax=left)
    left.set_title("Customer retention by monthly cohort")
    plot_retention_curves(revenue_retention(_events(), observation_end=OBSERVATION_END), ax=right)
    right.set_title("Net revenue retention by monthly cohort")
    for ax in (left, right):
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
    return fig


def funnel_steps() -> Figure:
    """Draw a five-step funnel within 30 days."""
    fig = _figure(7, 3.5)
    ax = plot_funnel(funnel(_events(), list(FUNNEL_STEPS), within="30D"), ax=fig.subplots())
    ax.set_title("Visit to purchase within 30 days (make_events, 2024)")
    return fig


def probability_alive_matrix() -> Figure:
    """Draw BG/NBD's P(alive) by frequency and recency on CDNOW."""
    fig = _figure(6.5, 5)
    T = float(_cdnow_calibration()["T"].max())
    plot_probability_alive_matrix(_bgnbd(), T=T, max_frequency=20, unit="week", ax=fig.subplots())
    return fig


def frequency_recency_matrix() -> Figure:
    """Draw BG/NBD's expected purchases in the next 39 weeks by frequency and recency."""
    fig = _figure(6.5, 5)
    T = float(_cdnow_calibration()["T"].max())
    plot_frequency_recency_matrix(
        _bgnbd(), T=T, t=CDNOW_HORIZON_WEEKS, max_frequency=20, unit="week", ax=fig.subplots()
    )
    return fig


def calibration_vs_holdout() -> Figure:
    """Draw mean holdout purchases by calibration frequency, actual and BG/NBD."""
    fig = _figure(7, 4)
    plot_calibration_purchases_vs_holdout_purchases(
        _bgnbd(), _cdnow_calibration(), ax=fig.subplots()
    )
    return fig


def period_transactions_check() -> Figure:
    """Draw customers by repeat purchases in the calibration weeks, actual and BG/NBD."""
    fig = _figure(6.5, 4.2)
    plot_period_transactions(_bgnbd(), _cdnow_calibration(), ax=fig.subplots())
    return fig


def transaction_tracking_check() -> Figure:
    """Draw cumulative and weekly repeat transactions over calibration and holdout."""
    fig = _figure(12, 4.2)
    left, right = fig.subplots(1, 2)
    options = {
        "customer_id": "customer_id",
        "timestamp": "date",
        "calibration_end": CDNOW_CALIBRATION_END,
        "observation_end": CDNOW_OBSERVATION_END,
        "time_scaler": 7.0,
        "unit": "week",
    }
    plot_cumulative_transactions(_bgnbd(), load_cdnow(), **options, ax=left)
    plot_incremental_transactions(_bgnbd(), load_cdnow(), **options, ax=right)
    return fig


def history_alive_check() -> Figure:
    """Draw the P(alive) history of CDNOW customer 4 over the 78 weeks."""
    cdnow = load_cdnow()
    days = cdnow.loc[cdnow["customer_id"] == 4, "date"]
    weeks = ((days - days.min()).dt.days / 7).to_numpy()
    age = (pd.Timestamp(CDNOW_OBSERVATION_END) - days.min()).days / 7
    fig = _figure(6.5, 4.2)
    plot_history_alive(_bgnbd(), weeks, T=age, unit="week", ax=fig.subplots())
    return fig


def kpi_trends() -> Figure:
    """Draw monthly KPIs by acquisition channel with ``KPIReport.plot``."""
    report = compute_kpis(_events(), period="M", by="channel")
    figure: Figure = report.plot(
        ["revenue", "active_customers", "conversion_rate", "retention_rate"], currency="$"
    )
    return figure


_EVENTS = (
    f"`make_events({EVENTS_CUSTOMERS:_}, start={EVENTS_START!r}, end={EVENTS_END!r}, "
    f"seed={EVENTS_SEED})`"
)
_CDNOW = (
    "BG/NBD fitted on the bundled CDNOW transactions (`load_cdnow()`, 23,570 customers, "
    f"calibration to {CDNOW_CALIBRATION_END}, in weeks)"
)

PLOTS: tuple[Plot, ...] = (
    Plot(
        "cohort_heatmap",
        "Cohort retention heat map",
        f"`plot_cohort_heatmap`: monthly cohorts, `mode='on'`, from {_EVENTS}.",
        cohort_heatmap,
    ),
    Plot(
        "retention_curves",
        "Retention curves",
        f"`plot_retention_curves`: customer and net revenue retention, from {_EVENTS}.",
        retention_curves,
    ),
    Plot(
        "funnel",
        "Funnel",
        f"`plot_funnel`: {' → '.join(FUNNEL_STEPS)} within 30 days, from {_EVENTS}.",
        funnel_steps,
    ),
    Plot(
        "probability_alive_matrix",
        "P(alive) by frequency and recency",
        f"`plot_probability_alive_matrix`: {_CDNOW}.",
        probability_alive_matrix,
    ),
    Plot(
        "frequency_recency_matrix",
        "Expected purchases by frequency and recency",
        f"`plot_frequency_recency_matrix`, next {CDNOW_HORIZON_WEEKS} weeks: {_CDNOW}.",
        frequency_recency_matrix,
    ),
    Plot(
        "calibration_vs_holdout",
        "Calibration vs holdout purchases",
        f"`plot_calibration_purchases_vs_holdout_purchases`: {_CDNOW}, holdout to "
        f"{CDNOW_OBSERVATION_END}.",
        calibration_vs_holdout,
    ),
    Plot(
        "period_transactions",
        "Repeat purchases in the calibration period",
        f"`plot_period_transactions`: customers with 0..6 and 7+ repeat purchases, actual and "
        f"expected: {_CDNOW}.",
        period_transactions_check,
    ),
    Plot(
        "transaction_tracking",
        "Tracking repeat transactions",
        f"`plot_cumulative_transactions` and `plot_incremental_transactions`: {_CDNOW}, "
        f"holdout to {CDNOW_OBSERVATION_END}.",
        transaction_tracking_check,
    ),
    Plot(
        "history_alive",
        "P(alive) history of one customer",
        f"`plot_history_alive`: CDNOW customer 4 to {CDNOW_OBSERVATION_END}; {_CDNOW}.",
        history_alive_check,
    ),
    Plot(
        "kpi_trends",
        "KPI trends by channel",
        f"`KPIReport.plot`: monthly revenue, active customers, conversion and retention by "
        f"channel, from {_EVENTS}.",
        kpi_trends,
    ),
)


def draw_all(directory: Path) -> list[Path]:
    """Draw every plot of ``PLOTS`` into ``directory`` as ``<name>.png``; return the paths."""
    mpl.use("Agg")
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
