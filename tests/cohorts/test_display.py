"""Cohort tables show themselves: shares as percentages, the average row, notes, short repr."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from retention_kpis.cohorts import CohortTable, RevenueRetentionTable, cohort_retention

JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
END = dt.datetime(2024, 3, 1)  # noqa: DTZ001 - observation ends are naive wall-clock times


def table(notes: tuple[str, ...] = ("Feb offset 1 is not fully observed",)) -> CohortTable:
    """Two cohorts typed in: 4 customers (1 back in offset 1) and 1,000 (offset 1 unobserved)."""
    return CohortTable(
        period="M",
        window="calendar",
        mode="on",
        cohort_event="purchase",
        return_event="purchase",
        observation_end=END,
        cohorts=(JAN, FEB),
        offsets=((0, 0), (1, 1)),
        cohort_sizes=(4, 1000),
        counts=((4, 1), (1000, None)),
        shares=((1.0, 0.25), (1.0, None)),
        average=(1.0, 0.25),
        notes=notes,
    )


def test_str_is_the_expected_table():
    """1 of 4 = 25.0%; the unobserved cell and the average row's size print as em dashes."""
    assert str(table()) == (
        "CohortTable: 2 cohorts x 2 offsets, period M, calendar window (shares of offset 0)\n"
        "cohort      cohort_size       0      1\n"
        "----------  -----------  ------  -----\n"
        "2024-01-01            4  100.0%  25.0%\n"
        "2024-02-01        1,000  100.0%      \u2014\n"
        "average               \u2014  100.0%  25.0%\n"
        "\n"
        "Notes:\n"
        "- Feb offset 1 is not fully observed\n"
    )


def test_html_holds_the_cells_and_escapes_notes(html_cells):
    """Cells parse back to the formatted shares; a note's markup is escaped."""
    cells = html_cells(table(notes=("<b>bold</b>",))._repr_html_())
    assert cells.headers == ["cohort", "cohort_size", "0", "1"]
    assert cells.rows == [
        ["2024-01-01", "4", "100.0%", "25.0%"],
        ["2024-02-01", "1,000", "100.0%", "\u2014"],
        ["average", "\u2014", "100.0%", "25.0%"],
    ]
    assert "b" not in cells.tags
    assert cells.items == ["<b>bold</b>"]


def test_revenue_retention_shows_expansion_above_100_percent(html_cells):
    """Revenue 100 then 120: 120 / 100 = 120.0%."""
    revenue = RevenueRetentionTable(
        period="M",
        window="calendar",
        cohort_event="purchase",
        observation_end=END,
        cohorts=(JAN,),
        offsets=((0, 0), (1, 1)),
        cohort_sizes=(2,),
        revenue=((100.0, 120.0),),
        shares=((1.0, 1.2),),
        average=(1.0, 1.2),
    )
    assert html_cells(revenue._repr_html_()).rows[0] == ["2024-01-01", "2", "100.0%", "120.0%"]
    assert str(revenue).splitlines()[3] == "2024-01-01            2  100.0%  120.0%"


def test_repr_fits_a_screen():
    """repr names the shape and options in one short line."""
    assert repr(table()) == (
        "CohortTable(cohorts=2, offsets=2, period='M', window='calendar', "
        "cohort_event='purchase', observation_end='2024-03-01T00:00:00', notes=1)"
    )


def test_cohort_retention_result_displays_its_shares(html_cells):
    """End to end: a and b buy in January, only a in February: offset 1 = 1 of 2 = 50.0%."""
    events = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a", "c"],
            "timestamp": ["2024-01-03", "2024-01-09", "2024-02-10", "2024-03-31"],
            "event_type": ["purchase"] * 4,
            "revenue": [10.0, 10.0, 10.0, 10.0],
        }
    )
    result = cohort_retention(events, period="M")
    cells = html_cells(result._repr_html_())
    assert cells.rows[0][:4] == ["2024-01-01", "2", "100.0%", "50.0%"]
    assert len(repr(result)) < 300
