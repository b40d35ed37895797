"""Funnels and cart KPIs show themselves: hand-counted cells, escaped segments, short repr."""

from __future__ import annotations

import pandas as pd

from retention_kpis.funnels import CartKPIs, FunnelResult, cart_kpis, funnel

EVIL = "<script>alert('x')</script>"


def frame(rows):
    """Events from (customer, timestamp, event_type, channel) rows."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
            "event_type": [r[2] for r in rows],
            "revenue": [10.0 if r[2] == "purchase" else None for r in rows],
            "channel": [r[3] for r in rows],
        }
    )


# Channel EVIL: a visits and buys 1 h 30 min later; b and c only visit.
# Channel "ads": d visits and buys 2 days, 3 h later.
EVENTS = frame(
    [
        ("a", "2024-01-01 10:00", "visit", EVIL),
        ("a", "2024-01-01 11:30", "purchase", EVIL),
        ("b", "2024-01-01 10:00", "visit", EVIL),
        ("c", "2024-01-02 10:00", "visit", EVIL),
        ("d", "2024-01-01 10:00", "visit", "ads"),
        ("d", "2024-01-03 13:00", "purchase", "ads"),
    ]
)


def test_funnel_str_is_the_expected_table():
    """ads: 1 of 1 converts after 2 days 3 h; EVIL: 1 of 3 = 33.3%, drop-off 2 = 66.7%, 1:30."""
    result = funnel(EVENTS, ["visit", "purchase"], by="channel")
    assert str(result) == (
        "FunnelResult: 2 steps, 4 rows, per user, ordered, within 604,800 s, by channel\n"
        "channel                      step  event_type  entrants  conversion_from_first"
        "  conversion_from_previous  drop_off  drop_off_share  median_seconds_from_previous\n"
        "---------------------------  ----  ----------  --------  ---------------------"
        "  ------------------------  --------  --------------  ----------------------------\n"
        "<script>alert('x')</script>     1  visit              3                 100.0%"
        "                    100.0%         0            0.0%                             \u2014\n"
        "<script>alert('x')</script>     2  purchase           1                  33.3%"
        "                     33.3%         2           66.7%                       1:30:00\n"
        "ads                             1  visit              1                 100.0%"
        "                    100.0%         0            0.0%                             \u2014\n"
        "ads                             2  purchase           1                 100.0%"
        "                    100.0%         0            0.0%               2 days, 3:00:00\n"
    )


def test_funnel_html_escapes_segments_and_holds_the_cells(html_cells):
    """The channel value comes from user data: it is shown as text, never run."""
    page = funnel(EVENTS, ["visit", "purchase"], by="channel")._repr_html_()
    cells = html_cells(page)
    assert "script" not in cells.tags
    assert cells.rows[1] == [EVIL, "2", "purchase", "1", "33.3%", "33.3%", "2", "66.7%", "1:30:00"]


def test_funnel_repr_fits_a_screen():
    """repr is one short line without the rows."""
    result = FunnelResult(
        steps=("visit", "purchase"),
        within_seconds=60,
        unit="user",
        ordered=True,
        by=(),
        session_gap_seconds=None,
        rows=(),
    )
    assert repr(result) == (
        "FunnelResult(steps=('visit', 'purchase'), rows=0, by=(), unit='user', "
        "within_seconds=60, notes=0)"
    )


CART = frame(
    [
        ("a", "2024-01-01 10:00", "cart_add", "ads"),
        ("a", "2024-01-01 10:05", "checkout", "ads"),
        ("a", "2024-01-01 10:06", "purchase", "ads"),
        ("b", "2024-01-01 10:00", "cart_add", "ads"),
        ("b", "2024-01-01 10:05", "checkout", "ads"),
        ("c", "2024-01-01 10:00", "cart_add", "ads"),
    ]
)


def test_cart_kpis_str_and_html_hold_the_hand_counts(html_cells):
    """Carts a, b, c; converted a: abandonment 2/3 = 66.7%; checkouts a, b, completed a: 50.0%."""
    result = cart_kpis(CART)
    assert str(result) == (
        "CartKPIs: 1 rows, per user, within 604,800 s\n"
        "carts_created  carts_converted  cart_abandonment_rate  checkouts_started"
        "  checkouts_completed  checkout_conversion_rate\n"
        "-------------  ---------------  ---------------------  -----------------"
        "  -------------------  ------------------------\n"
        "            3                1                  66.7%                  2"
        "                    1                     50.0%\n"
    )
    assert html_cells(result._repr_html_()).rows == [["3", "1", "66.7%", "2", "1", "50.0%"]]


def test_cart_kpis_repr_fits_a_screen():
    """repr is one short line without the rows."""
    result = CartKPIs(unit="user", within_seconds=3600, by=(), rows=())
    assert repr(result) == "CartKPIs(rows=0, by=(), unit='user', within_seconds=3600, notes=0)"
