"""KPIReport shows itself: str (exact text), _repr_html_ (parsed cells, escaping, size), repr."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from retention_kpis import KPIReport, KPIRow, compute_kpis
from retention_kpis.events import EventSchema
from retention_kpis.report.columns import KPI_COLUMNS, UNITS

JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


def two_rows(channel: str = "ads", notes: tuple[str, ...] = ("a note",)) -> KPIReport:
    """A hand-built monthly report by channel: every value below is typed in, not computed."""
    rows = (
        KPIRow(
            period=JAN,
            segment={"channel": channel},
            visitors=1200,
            conversion_rate=0.125,
            orders=150,
            revenue=4500.5,
            spend=1000.0,
            new_customers=100,
            cpa=1000.0 / 150,
            cac=10.0,
            roas=4.5005,
            aov=30.003,
            purchase_frequency=1.5,
            nps=25.0,
            active_customers=100,
        ),
        KPIRow(
            period=FEB,
            segment={"channel": "email"},
            visitors=0,
            orders=0,
            revenue=0.0,
            new_customers=0,
            active_customers=0,
            retention_rate=0.5,
            churn_rate=0.5,
        ),
    )
    return KPIReport(
        rows=rows,
        period="M",
        by=("channel",),
        event_schema=EventSchema(),
        definitions={},
        notes=notes,
        backend="pandas",
    )


def test_every_kpi_column_has_a_unit():
    """The unit table covers the report's columns, in column order."""
    assert tuple(UNITS) == KPI_COLUMNS


def test_str_of_a_small_report_is_the_expected_table():
    """Hand-formatted: 0.125 -> 12.5%, 4500.5 -> 4,500.50, 1000/150 -> 6.67, 4.5005 -> 4.50,
    30.003 -> 30.00, nan -> em dash; the all-null engagement columns are left out with a note."""
    expected = (
        "KPIReport: 2 rows, period M, by channel\n"
        "period      channel  visitors  conversion_rate  orders   revenue     spend  new_customers"
        "   cpa    cac  roas    aov  purchase_frequency  csat    nps  active_customers"
        "  retention_rate  churn_rate  clv\n"
        "----------  -------  --------  ---------------  ------  --------  --------  -------------"
        "  ----  -----  ----  -----  ------------------  ----  -----  ----------------"
        "  --------------  ----------  ---\n"
        "2024-01-01  ads         1,200            12.5%     150  4,500.50  1,000.00            100"
        "  6.67  10.00  4.50  30.00                1.50     \u2014  25.00               100"
        "               \u2014           \u2014    \u2014\n"
        "2024-02-01  email           0                \u2014       0      0.00         \u2014              0"
        "     \u2014      \u2014     \u2014      \u2014                   \u2014     \u2014      \u2014                 0"
        "           50.0%       50.0%    \u2014\n"
        "\n"
        "Notes:\n"
        "- a note\n"
        "- not shown: the engagement columns (referrals to pareto_share), null in every row; "
        "to_frame() has them\n"
    )
    assert str(two_rows()) == expected


def test_html_parses_and_holds_the_formatted_numbers(html_cells):
    """The cells of the first row are the hand-formatted values; the notes follow the table."""
    page = two_rows()._repr_html_()
    cells = html_cells(page)
    assert cells.headers[:5] == ["period", "channel", "visitors", "conversion_rate", "orders"]
    first = dict(zip(cells.headers, cells.rows[0], strict=True))
    assert first["visitors"] == "1,200"
    assert first["conversion_rate"] == "12.5%"
    assert first["revenue"] == "4,500.50"
    assert first["cpa"] == "6.67"  # 1000 / 150 = 6.666...
    assert first["csat"] == "\u2014"
    second = dict(zip(cells.headers, cells.rows[1], strict=True))
    assert second["retention_rate"] == "50.0%"
    assert "referrals" not in cells.headers
    assert cells.items[0] == "a note"


def test_segment_values_are_escaped_in_html(html_cells):
    """A segment value from user data cannot inject markup."""
    evil = "<script>alert('x')</script>"
    page = two_rows(channel=evil, notes=(evil,))._repr_html_()
    cells = html_cells(page)
    assert "script" not in cells.tags
    assert cells.rows[0][1] == evil
    assert "&lt;script&gt;" in page


def big_report(rows: int) -> KPIReport:
    many = tuple(
        KPIRow(
            period=JAN,
            segment={"customer": f"c{i:05d}"},
            visitors=i,
            orders=i,
            new_customers=0,
            active_customers=i,
            conversion_rate=0.5,
        )
        for i in range(rows)
    )
    return KPIReport(
        rows=many,
        period="M",
        by=("customer",),
        event_schema=EventSchema(),
        definitions={},
        notes=("n",),
        backend="pandas",
    )


def test_html_of_a_10000_row_report_stays_under_20_kb_with_the_truncation_message(html_cells):
    """10,000 rows: 20 rows shown (first 10, last 10), "20 of 10,000 rows shown", < 20 KB.

    The pydantic repr of the same report is over 4 MB; the bound leaves room for
    wider segments (about 400 bytes per shown row plus 1.5 KB of style).
    """
    report = big_report(10_000)
    page = report._repr_html_()
    assert len(page.encode()) < 20_000
    assert "20 of 10,000 rows shown" in page
    cells = html_cells(page)
    customers = [row[1] for row in cells.rows]
    expected = (
        [f"c{i:05d}" for i in range(10)] + ["\u2026"] + [f"c{i:05d}" for i in range(9990, 10_000)]
    )
    assert customers == expected
    assert cells.rows[-1][2] == "9,999"  # visitors of the last row


def test_str_of_a_long_report_is_cut_to_60_rows():
    """str shows the first 30 and last 30 rows and says so."""
    text = str(big_report(1_000))
    assert "(60 of 1,000 rows shown)" in text
    assert "c00029" in text
    assert "c00030" not in text
    assert "c00970" in text


def test_repr_fits_a_screen():
    """repr is one line under 300 characters naming the shape, period and segments."""
    text = repr(big_report(1_000))
    assert len(text) < 300
    assert "\n" not in text
    assert text == (
        "KPIReport(shape=(1000, 30), period='M', by=('customer',), backend='pandas', "
        "attribution=None, notes=1)"
    )


def test_report_of_compute_kpis_displays_its_own_numbers(html_cells):
    """End to end: one visitor of two converts (50.0%), revenue 20 -> "20.00"."""
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "timestamp": ["2024-01-05", "2024-01-06", "2024-01-07"],
            "event_type": ["visit", "purchase", "visit"],
            "revenue": [None, 20.0, None],
        }
    )
    report = compute_kpis(events)
    cells = html_cells(report._repr_html_())
    row = dict(zip(cells.headers, cells.rows[0], strict=True))
    assert row["period"] == "2024-01-01"
    assert row["visitors"] == "2"
    assert row["conversion_rate"] == "50.0%"
    assert row["revenue"] == "20.00"
    assert row["aov"] == "20.00"
    assert math.isnan(report.rows[0].retention_rate)
    assert row["retention_rate"] == "\u2014"


def test_period_none_shows_all():
    """A report over the whole frame labels its single period "all", as the CLI does."""
    report = two_rows().model_copy(update={"period": None})
    assert str(report).splitlines()[3].startswith("all ")


@pytest.mark.parametrize("method", ["__str__", "_repr_html_", "__repr__"])
def test_empty_report_displays(method):
    """A report without rows still renders (its header and "(no rows)")."""
    report = KPIReport(
        rows=(),
        period="M",
        by=(),
        event_schema=EventSchema(),
        definitions={},
        notes=(),
        backend="pandas",
    )
    assert getattr(report, method)()
