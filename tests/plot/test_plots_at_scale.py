"""The plots hold up at real sizes (issue #15): 24 monthly and 105 weekly cohorts, 30 curves.

Every check reads what matplotlib drew, after ``fig.canvas.draw()``: the number of
tick labels, their bounding boxes (no two may overlap), where the legend sits and
whether cells carry text. The tables are built by hand: cohort ``i`` of ``n`` has
been observed for ``n - i`` offsets and keeps ``0.9 ** k`` of its customers at
offset ``k`` (a triangle, as every real cohort table is).
"""

from __future__ import annotations

import datetime as dt
import itertools

import matplotlib.pyplot as plt
import pytest

from retention_kpis.clv import BetaGeoModel
from retention_kpis.cohorts import CohortTable
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.plot import (
    plot_cohort_heatmap,
    plot_frequency_recency_matrix,
    plot_probability_alive_matrix,
    plot_retention_curves,
)

# Fader, Hardie & Lee (2005), CDNOW BG/NBD estimates (weeks).
BGNBD = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
MAX_LABELS = 25


def _cohorts(n: int, period: str) -> CohortTable:
    if period == "M":
        starts = [dt.date(2022 + (m // 12), m % 12 + 1, 1) for m in range(n)]
    else:
        starts = [dt.date(2022, 1, 3) + dt.timedelta(weeks=w) for w in range(n)]
    sizes = [100 + 7 * i for i in range(n)]
    shares = tuple(tuple(0.9**k if k < n - i else None for k in range(n)) for i in range(n))
    counts = tuple(
        tuple(None if s is None else round(s * size) for s in row)
        for row, size in zip(shares, sizes, strict=True)
    )
    counted = [
        [(c, size) for c, size in zip(column, sizes, strict=True) if c is not None]
        for column in zip(*counts, strict=True)
    ]
    average = tuple(sum(c for c, _ in col) / sum(s for _, s in col) for col in counted)
    return CohortTable(
        period=period,
        window="calendar",
        mode="on",
        cohort_event="purchase",
        return_event="purchase",
        observation_end=dt.datetime(2030, 1, 1),  # noqa: DTZ001 - naive, as the tables hold
        cohorts=tuple(starts),
        offsets=tuple((k, k) for k in range(n)),
        cohort_sizes=tuple(sizes),
        counts=counts,
        shares=shares,
        average=average,
    )


def _shown(labels):
    return [label for label in labels if label.get_visible() and label.get_text()]


def _overlapping(labels) -> list[tuple[str, str]]:
    boxes = [(label.get_text(), label.get_window_extent()) for label in _shown(labels)]
    return [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
        if box_a.overlaps(box_b)
    ]


def _check_ticks(ax) -> None:
    ax.figure.canvas.draw()
    for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        assert 1 <= len(_shown(labels)) <= MAX_LABELS
        assert _overlapping(labels) == []


@pytest.mark.parametrize(("n", "period"), [(24, "M"), (105, "W")])
def test_heatmap_tick_labels_are_few_and_never_overlap(n, period):
    ax = plot_cohort_heatmap(_cohorts(n, period))
    _check_ticks(ax)
    # the labels still name the cohorts and offsets they sit on: the first of each
    assert _shown(ax.get_yticklabels())[0].get_text() == f"{_cohorts(n, period).cohorts[0]} (100)"
    assert _shown(ax.get_xticklabels())[0].get_text() == "0"


def test_heatmap_figure_grows_with_the_table_within_bounds():
    small = plot_cohort_heatmap(_cohorts(3, "M")).figure.get_size_inches()
    monthly = plot_cohort_heatmap(_cohorts(24, "M")).figure.get_size_inches()
    weekly = plot_cohort_heatmap(_cohorts(105, "W")).figure.get_size_inches()
    assert tuple(small) == (6.0, 4.0)
    assert monthly[0] > small[0]
    assert monthly[1] > small[1]
    assert tuple(weekly) == (16.0, 12.0)


def test_heatmap_annotates_24_monthly_cohorts_but_not_105_weekly_ones():
    monthly = plot_cohort_heatmap(_cohorts(24, "M"))
    assert len(monthly.texts) == 24 * 25 // 2  # every observed cell of the triangle
    assert monthly.texts[0].get_text() == "100%"
    assert monthly.texts[1].get_text() == "90%"  # 0.9 ** 1
    assert len(plot_cohort_heatmap(_cohorts(105, "W")).texts) == 0
    assert len(plot_cohort_heatmap(_cohorts(105, "W"), annotate=False).texts) == 0
    assert len(plot_cohort_heatmap(_cohorts(24, "M"), annotate=False).texts) == 0
    assert len(plot_cohort_heatmap(_cohorts(105, "W"), annotate=True).texts) == 105 * 106 // 2


def test_heatmap_names_the_period_unit_and_reads_in_percent():
    ax = plot_cohort_heatmap(_cohorts(24, "M"))
    assert ax.get_xlabel() == "Months since first purchase"
    assert plot_cohort_heatmap(_cohorts(105, "W")).get_xlabel() == "Weeks since first purchase"
    colorbar = ax.figure.axes[-1]
    ax.figure.canvas.draw()
    assert all(t.get_text().endswith("%") for t in _shown(colorbar.get_yticklabels()))


def test_heatmap_rejects_a_non_bool_annotate():
    with pytest.raises(InvalidInputError) as error:
        plot_cohort_heatmap(_cohorts(3, "M"), annotate="auto")
    assert str(error.value) == (
        "The 'annotate' parameter of plot_cohort_heatmap must be None, True or False. "
        "Got 'auto' instead."
    )


@pytest.mark.parametrize("n", [24, 30, 105])
def test_many_retention_curves_use_a_colour_bar_not_a_legend(n):
    ax = plot_retention_curves(_cohorts(n, "W"))
    assert ax.get_legend() is None
    colorbars = [other for other in ax.figure.axes if other is not ax]
    assert len(colorbars) == 1
    assert colorbars[0].get_ylabel() == "Cohort"
    _check_ticks(ax)
    labels = _shown(colorbars[0].get_yticklabels())
    assert 1 <= len(labels) <= MAX_LABELS
    assert _overlapping(labels) == []
    assert len(ax.get_lines()) == n + 1  # one per cohort and the average


def test_few_retention_curves_have_a_legend_outside_the_axes():
    ax = plot_retention_curves(_cohorts(12, "M"))
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    frame = ax.get_window_extent()
    assert legend.x0 >= frame.x1  # entirely to the right of the data
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "average"
    assert ax.get_xlabel() == "Months since first purchase"
    assert all(t.get_text().endswith("%") for t in _shown(ax.get_yticklabels()))


def test_plots_drawn_on_given_axes_still_thin_their_labels():
    _, ax = plt.subplots(figsize=(5, 4))
    assert plot_cohort_heatmap(_cohorts(105, "W"), ax=ax) is ax
    _check_ticks(ax)
    assert len(ax.texts) == 0  # cells of 105 cohorts on 5 x 4 inches are far too small


def test_clv_matrix_titles_name_the_unit_and_round_the_age():
    ax = plot_frequency_recency_matrix(BGNBD, T=38.8571, t=1, unit="week")
    assert ax.get_title() == "Expected purchases in the next 1 week (T = 38.9 weeks)"
    assert ax.get_xlabel() == "Customer's recency (age at last purchase, weeks)"
    _check_ticks(ax)
    ax = plot_probability_alive_matrix(BGNBD, T=38.8571, unit="week")
    assert ax.get_title() == "Probability a customer is alive (T = 38.9 weeks)"
    default = plot_frequency_recency_matrix(BGNBD, T=12, t=2)
    assert default.get_title() == "Expected purchases in the next 2 periods (T = 12 periods)"


def test_clv_matrix_rejects_an_empty_unit():
    with pytest.raises(InvalidInputError) as error:
        plot_probability_alive_matrix(BGNBD, T=10, unit=" ")
    assert str(error.value) == (
        "The 'unit' parameter of plot_probability_alive_matrix must be a non-empty str "
        "naming the model's time unit, singular (e.g. 'week'). Got ' ' instead."
    )
