"""The one table renderer: formats per unit, alignment, truncation, HTML escaping."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from retention_kpis._core.display import (
    NULL,
    Table,
    format_value,
    html_table,
    short_repr,
    text_table,
)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.25, "percent", "25.0%"),  # 0.25 * 100 = 25.0
        (1 / 3, "percent", "33.3%"),
        (1.5, "percent", "150.0%"),  # revenue retention may exceed 100 %
        (1234567, "count", "1,234,567"),
        (12.0, "count", "12"),  # a whole float count prints as an integer
        (2.5, "count", "2.50"),  # an attributed (fractional) count keeps decimals
        (1234.5, "money", "1,234.50"),
        (0.125, "number", "0.12"),  # round-half-even of the binary 0.125
        (0.031234, "general", "0.031234"),
        (1234567.0, "general", "1.23457e+06"),
        (93784, "duration", "1 day, 2:03:04"),  # 86,400 + 2 * 3,600 + 3 * 60 + 4
        (59.6, "duration", "0:01:00"),
        (3, "auto", "3"),
        (3.0, "auto", "3.00"),
        (None, "money", NULL),
        (math.nan, "percent", NULL),
        (True, "count", "True"),
        (dt.date(2024, 1, 1), "text", "2024-01-01"),
        ("a", "text", "a"),
    ],
)
def test_format_value_matches_hand_formatting(value, unit, expected):
    """Each unit formats as written by hand in the parameter list."""
    assert format_value(value, unit) == expected


def test_null_marker_is_an_em_dash_unless_asked_otherwise():
    """Undefined values print as U+2014 by default, as the caller's marker otherwise."""
    assert NULL == "\u2014"
    assert format_value(None, "count", null="-") == "-"


def test_text_table_aligns_numbers_right_and_text_left():
    """The exact layout: two-space gaps, header rule, numbers right, text left, notes after."""
    text = text_table(
        ["name", "n", "share"],
        {"name": ["a", "long name"], "n": [1000, 5], "share": [0.5, None]},
        units={"name": "text", "n": "count", "share": "percent"},
        notes=["one note"],
        title="T",
    )
    assert text == (
        "T\n"
        "name           n  share\n"
        "---------  -----  -----\n"
        "a          1,000  50.0%\n"
        "long name      5      \u2014\n"
        "\n"
        "Notes:\n"
        "- one note\n"
    )


def test_text_table_without_rows_says_so():
    """An empty table prints the header and "(no rows)"."""
    assert text_table(["a"], {"a": []}, units={"a": "count"}) == "a\n-\n(no rows)\n"


def test_text_table_truncates_to_head_and_tail_with_a_count():
    """25 rows with max_rows=4: rows 0, 1, "...", 23, 24 and "(4 of 25 rows shown)"."""
    text = text_table(["i"], {"i": list(range(25))}, units={"i": "count"}, max_rows=4)
    assert text.splitlines() == [" i", "--", " 0", " 1", "...", "23", "24", "(4 of 25 rows shown)"]


def test_html_table_parses_and_holds_the_formatted_cells(html_cells):
    """Headers and cells parse back to the hand-formatted strings; nulls are em dashes."""
    page = html_table(
        ["name", "revenue", "rate"],
        {"name": ["x", "y"], "revenue": [1234.5, None], "rate": [0.125, 1.0]},
        units={"name": "text", "revenue": "money", "rate": "percent"},
        notes=["a note"],
    )
    cells = html_cells(page)
    assert cells.headers == ["name", "revenue", "rate"]
    assert cells.rows == [["x", "1,234.50", "12.5%"], ["y", "\u2014", "100.0%"]]
    assert cells.items == ["a note"]
    assert "rows shown" not in page


def test_html_table_escapes_values_headers_titles_and_notes(html_cells):
    """A user's <script> shows as text everywhere: no script tag reaches the page."""
    evil = "<script>alert('x')</script>"
    page = html_table([evil], {evil: [evil]}, units={evil: "text"}, notes=[evil], title=evil)
    cells = html_cells(page)
    assert "script" not in cells.tags
    assert cells.headers == [evil]
    assert cells.rows == [[evil]]
    assert page.count("&lt;script&gt;") == 4  # header, cell, note, title


def test_html_table_truncates_with_the_rows_shown_message(html_cells):
    """1,000 rows, max_rows=20: the first 10 and last 10 rows, an ellipsis row, the count."""
    page = html_table(["i"], {"i": list(range(1000))}, units={"i": "count"}, max_rows=20)
    cells = [row[0] for row in html_cells(page).rows]
    assert cells == [*map(str, range(10)), "\u2026", *map(str, range(990, 1000))]
    assert "20 of 1,000 rows shown" in page


def test_table_text_and_html_share_the_formatting(html_cells):
    """Table renders the same cells as text and as HTML."""
    table = Table(["v"], {"v": [0.5]}, {"v": "percent"})
    assert table.text().splitlines()[-1] == "50.0%"
    assert html_cells(table.html()).rows == [["50.0%"]]


def test_short_repr_is_cut_to_its_limit():
    """A long repr is cut to the limit and still closes its parenthesis."""
    text = short_repr("R", {"steps": tuple(str(i) for i in range(500))}, limit=80)
    assert len(text) == 80
    assert text.endswith("...)")
