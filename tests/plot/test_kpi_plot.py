"""Tests of plot_kpis and KPIReport.plot: one axes per KPI, one line per segment, the report's numbers."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import subprocess
import sys

import matplotlib.colors as mpl_colors
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.ticker import PercentFormatter

from retention_kpis import compute_kpis
from retention_kpis.datasets import make_events
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.plot import plot_kpis
from retention_kpis.report.columns import COUNT_COLUMNS, KPI_COLUMNS, UNITS

KPIS = ["revenue", "retention_rate", "active_customers", "nps"]


@pytest.fixture(scope="module")
def events():
    return make_events(n_customers=300, seed=7)


@pytest.fixture(scope="module")
def report(events):
    return compute_kpis(events, period="M", by="channel")


def _values(report, kpi, channel):
    """The report's values of one KPI and channel, by period (None -> nan), from to_frame."""
    frame = report.to_frame(backend="pandas")
    rows = frame[frame["channel"] == channel].sort_values("period")
    return rows["period"].tolist(), rows[kpi].astype(float).to_numpy()


def test_one_axes_per_kpi_one_line_per_segment_holding_the_report_values(report):
    fig = report.plot(kpis=KPIS)
    channels = sorted({row.segment["channel"] for row in report.rows})
    assert len(fig.axes) == len(KPIS)
    for ax, kpi in zip(fig.axes, KPIS, strict=True):
        lines = ax.get_lines()
        assert sorted(line.get_label() for line in lines) == channels
        for line in lines:
            periods, values = _values(report, kpi, line.get_label())
            assert list(line.get_xdata()) == periods
            np.testing.assert_array_equal(np.asarray(line.get_ydata(), dtype=float), values)


def test_axes_share_the_period_axis_and_format_each_unit(report):
    fig = plot_kpis(report, KPIS, currency="$")
    revenue, retention, customers, nps = fig.axes
    assert revenue.get_shared_x_axes().joined(revenue, nps)
    assert isinstance(retention.yaxis.get_major_formatter(), PercentFormatter)
    assert revenue.yaxis.get_major_formatter()(1234.0) == "$1,234"
    assert customers.yaxis.get_major_formatter()(12000.0) == "12,000"
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "revenue ($)",
        "retention rate",
        "active customers",
        "nps (-100 to 100)",
    ]
    assert isinstance(revenue.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_the_legend_sits_outside_every_axes(report):
    fig = plot_kpis(report, KPIS)
    fig.canvas.draw()
    (legend,) = fig.legends
    box = legend.get_window_extent()
    assert len(legend.get_texts()) == len({row.segment["channel"] for row in report.rows})
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent())


def test_many_segments_get_a_legend_below_the_axes_in_columns():
    rows = 20
    events = pd.DataFrame(
        {
            "customer_id": [f"c{k}" for k in range(rows)] * 2,
            "timestamp": ["2024-01-05"] * rows + ["2024-02-05"] * rows,
            "event_type": ["purchase"] * (2 * rows),
            "revenue": [10.0] * (2 * rows),
            "store": [f"s{k:02d}" for k in range(rows)] * 2,
        }
    )
    report = compute_kpis(events, period="M", by="store")
    fig = report.plot(["revenue"])
    fig.canvas.draw()
    (legend,) = fig.legends
    assert legend.get_window_extent().y1 <= fig.axes[0].get_window_extent().y0
    assert len(fig.axes[0].get_lines()) == rows


def test_default_kpis_are_those_with_values(report):
    titles = [ax.get_title(loc="left") for ax in report.plot().axes]
    assert titles == [
        "active customers",
        "revenue (currency)",
        "conversion rate",
        "retention rate",
        "aov (currency)",
        "cac (currency)",
    ]
    # Purchases only: no visit (conversion_rate null) and no spend (cac null) rows.
    purchases = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a"],
            "timestamp": ["2024-01-05", "2024-01-06", "2024-02-05"],
            "event_type": ["purchase"] * 3,
            "revenue": [10.0, 20.0, 30.0],
        }
    )
    titles = [ax.get_title(loc="left") for ax in compute_kpis(purchases).plot().axes]
    assert titles == ["active customers", "revenue (currency)", "retention rate", "aov (currency)"]


def test_a_report_without_segments_or_periods_draws_one_line(events):
    whole = compute_kpis(events, period=None)
    fig = whole.plot(["orders"])
    (line,) = fig.axes[0].get_lines()
    assert list(line.get_xdata()) == [0]
    assert line.get_ydata()[0] == whole.rows[0].orders
    monthly = compute_kpis(events, period="M")
    (line,) = monthly.plot(["conversion_rate"]).axes[0].get_lines()
    expected = [math.nan if r.conversion_rate is None else r.conversion_rate for r in monthly.rows]
    np.testing.assert_array_equal(line.get_ydata(), expected)
    assert line.get_xdata()[0] == dt.date(2024, 1, 1)


def test_every_report_kpi_gets_an_axis_format():
    # UNITS is the report's own unit table (report.columns); every KPI column has one.
    assert list(UNITS) == list(KPI_COLUMNS)
    report = compute_kpis(
        pd.DataFrame(
            {
                "customer_id": ["a", "a"],
                "timestamp": ["2024-01-05", "2024-02-05"],
                "event_type": ["purchase", "purchase"],
                "revenue": [10.0, 20.0],
            }
        )
    )
    fig = plot_kpis(report, list(KPI_COLUMNS))
    assert len(fig.axes) == len(KPI_COLUMNS)
    counts = [ax for ax, name in zip(fig.axes, KPI_COLUMNS, strict=True) if name in COUNT_COLUMNS]
    assert all(ax.yaxis.get_major_formatter()(1000.0) == "1,000" for ax in counts)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"kpis": ["revenue", "ltv"]},
            "The 'kpis' parameter of plot_kpis must name KPI columns of the report",
        ),
        (
            {"kpis": ["revenue"], "by": "country"},
            (
                "The 'by' parameter of plot_kpis must name segment columns of the report "
                "(['channel']). Got 'country' instead."
            ),
        ),
    ],
)
def test_bad_arguments_name_the_parameter(report, kwargs, message):
    with pytest.raises(InvalidInputError) as error:
        plot_kpis(report, **kwargs)
    assert str(error.value).startswith(message)


def test_a_by_subset_that_merges_rows_is_refused(events):
    events = events.assign(device=np.where(np.arange(len(events)) % 2 == 0, "web", "app"))
    report = compute_kpis(events, period="M", by=["channel", "device"])
    with pytest.raises(InvalidInputError, match="must identify one row per period and line"):
        plot_kpis(report, ["revenue"], by="channel")
    assert len(plot_kpis(report, ["revenue"]).axes[0].get_lines()) == len(
        {tuple(row.segment.values()) for row in report.rows}
    )


def test_plot_rejects_what_is_not_a_report():
    with pytest.raises(InvalidInputError) as error:
        plot_kpis(pd.DataFrame())
    assert str(error.value) == (
        "The 'report' parameter of plot_kpis must be a KPIReport (from compute_kpis). "
        "Got DataFrame instead."
    )


def test_report_module_does_not_import_matplotlib():
    code = (
        "import sys; import retention_kpis; retention_kpis.compute_kpis; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 - fixed code string


def test_two_years_of_weekly_periods_keep_date_labels_apart(events):
    weekly = compute_kpis(events, period="W")
    assert len(weekly.rows) > 100  # make_events spans 2024-2025
    fig = weekly.plot(["orders", "revenue", "conversion_rate", "aov"])
    fig.canvas.draw()
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        assert 2 <= len(labels) <= 10
        boxes = [t.get_window_extent() for t in labels]
        assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_interval_bounds_are_drawn_as_a_band_per_line(events):
    banded = compute_kpis(events, period="Q", by="channel", confidence=0.9)
    fig = plot_kpis(banded, ["conversion_rate", "revenue"])
    rate_axes, revenue_axes = fig.axes
    bands = rate_axes.collections
    assert len(bands) == len(rate_axes.get_lines())  # one band per channel
    assert len(revenue_axes.collections) == 0  # revenue has no interval
    frame = banded.to_frame(backend="pandas")
    for line, band in zip(rate_axes.get_lines(), bands, strict=True):
        rows = frame[frame["channel"] == line.get_label()].sort_values("period")
        assert band.get_facecolor()[0][:3] == pytest.approx(mpl_colors.to_rgb(line.get_color()))
        # fill_between's polygon: the lower bounds forwards, then the upper bounds back.
        ys = band.get_paths()[0].vertices[:, 1]
        for bound in ("conversion_rate_low", "conversion_rate_high"):
            for value in rows[bound].dropna():
                assert np.isclose(ys, value).any(), (bound, value)
    plain = plot_kpis(compute_kpis(events, period="Q", by="channel"), ["conversion_rate"])
    assert len(plain.axes[0].collections) == 0
