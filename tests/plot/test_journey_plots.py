"""Tests of retention_kpis.plot.cohorts and retention_kpis.plot.funnels (Agg backend)."""

from __future__ import annotations

import datetime as dt

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from retention_kpis import InvalidInputError
from retention_kpis.cohorts import cohort_retention, revenue_retention
from retention_kpis.funnels import funnel
from retention_kpis.plot.cohorts import plot_cohort_heatmap, plot_retention_curves
from retention_kpis.plot.funnels import plot_funnel

EVENTS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "c", "c", "c"],
        "timestamp": pd.to_datetime(
            [
                "2024-01-05",
                "2024-02-10",
                "2024-01-20",
                "2024-02-01",
                "2024-02-01 00:10",
                "2024-03-05",
            ],
            format="ISO8601",
        ),
        "event_type": ["purchase", "purchase", "purchase", "visit", "purchase", "purchase"],
        "revenue": [10.0, 20.0, 5.0, None, 7.0, 3.0],
        "channel": ["ads", "ads", "email", "ads", "ads", "ads"],
    }
)
END = dt.date(2024, 3, 31)


def test_heatmap_draws_shares_and_masks_unobserved_cells():
    table = cohort_retention(EVENTS, observation_end=END)
    _, ax = plt.subplots()
    assert plot_cohort_heatmap(table, ax=ax) is ax
    image = ax.get_images()[0].get_array()
    # Jan cohort {a, b}: 1, 1/2 (a in Feb), 0 (nobody in Mar); Feb cohort {c}: 1, 1 (Mar), unobserved.
    np.testing.assert_allclose(image[0], [1.0, 0.5, 0.0])
    assert image.mask[1].tolist() == [False, False, True]
    assert [t.get_text() for t in ax.texts] == ["100%", "50%", "0%", "100%", "100%"]


def test_retention_curves_draw_one_line_per_cohort_and_the_average():
    table = cohort_retention(EVENTS, observation_end=END)
    ax = plot_retention_curves(table)
    lines = ax.get_lines()
    assert len(lines) == 3
    # Average: offset 1 (1 + 1) / (2 + 1) = 2/3; offset 2 only Jan complete: 0 / 2 = 0.
    np.testing.assert_allclose(lines[-1].get_ydata(), [1.0, 2 / 3, 0.0])


def test_curves_accept_revenue_retention():
    ax = plot_retention_curves(revenue_retention(EVENTS, observation_end=END))
    assert ax.get_ylabel() == "Net revenue retention"


def test_funnel_plot_draws_entrants_per_segment():
    result = funnel(EVENTS, ["visit", "purchase"], by="channel")
    ax = plot_funnel(result)
    # Only c visits (ads) and buys 10 minutes later: one segment, bars [1, 1].
    assert [bar.get_width() for bar in ax.containers[0]] == [1, 1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["visit", "purchase"]


def test_plots_reject_the_wrong_object():
    with pytest.raises(InvalidInputError, match="must be a CohortTable or a RevenueRetentionTable"):
        plot_cohort_heatmap(EVENTS)
    with pytest.raises(
        InvalidInputError, match=r"must be a FunnelResult\. Got DataFrame instead\."
    ):
        plot_funnel(EVENTS)


def test_funnel_legend_of_two_segments_sits_outside_the_bars():
    # a (ads) visits then buys; b (email) visits; c (ads) visits then buys: segments ads, email.
    events = EVENTS.assign(
        event_type=["visit", "purchase", "visit", "visit", "purchase", "purchase"]
    )
    ax = plot_funnel(funnel(events, ["visit", "purchase"], by="channel"))
    assert len(ax.containers) == 2
    ax.figure.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1


def test_plots_refuse_an_empty_table():
    table = cohort_retention(EVENTS[EVENTS["event_type"] == "visit"], observation_end=END)
    assert table.cohorts == ()
    for plot in (plot_cohort_heatmap, plot_retention_curves):
        with pytest.raises(InvalidInputError, match="must hold at least one cohort"):
            plot(table)
