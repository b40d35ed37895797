"""Tests of retention_kpis.funnels.cart (cart_kpis)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from retention_kpis import InvalidInputError, UndefinedKPIWarning
from retention_kpis.funnels import CartKPIs, cart_kpis


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


# a (ads): cart, checkout, purchase the same day             -> cart converted, checkout completed
# b (ads): cart, checkout, purchase 9 days later (> 7 days)  -> abandoned, checkout not completed
# c (email): purchase BEFORE its cart, nothing after         -> abandoned (a purchase must follow)
# d (email): checkout, purchase, no cart event               -> no cart; checkout completed
C = frame(
    [
        ("a", "2024-01-01 10:00", "cart_add", "ads"),
        ("a", "2024-01-01 10:05", "checkout", "ads"),
        ("a", "2024-01-01 10:06", "purchase", "ads"),
        ("b", "2024-01-01 10:00", "cart_add", "ads"),
        ("b", "2024-01-01 10:05", "checkout", "ads"),
        ("b", "2024-01-10 10:00", "purchase", "ads"),
        ("c", "2024-01-01 09:00", "purchase", "email"),
        ("c", "2024-01-01 10:00", "cart_add", "email"),
        ("d", "2024-01-02 10:00", "checkout", "email"),
        ("d", "2024-01-02 10:01", "purchase", "email"),
    ]
)


def test_cart_kpis_match_hand_count():
    row = cart_kpis(C).rows[0]
    # Carts: a, b, c = 3; converted within 7 days: a = 1 -> abandonment (3 - 1) / 3 = 2/3.
    # Checkouts: a, b, d = 3; completed within 7 days: a, d = 2 -> 2/3.
    assert (row.carts_created, row.carts_converted) == (3, 1)
    assert row.cart_abandonment_rate == pytest.approx(2 / 3)
    assert (row.checkouts_started, row.checkouts_completed) == (3, 2)
    assert row.checkout_conversion_rate == pytest.approx(2 / 3)


def test_cart_kpis_per_segment_and_window():
    result = cart_kpis(C, by="channel", within="10D")
    # 10 days lets b's purchase count.  ads: carts a, b both converted; checkouts a, b completed.
    # email: cart c abandoned; checkout d completed.
    table = result.to_frame()
    assert table["channel"].tolist() == ["ads", "email"]
    assert table["carts_converted"].tolist() == [2, 0]
    assert table["cart_abandonment_rate"].tolist() == [0.0, 1.0]
    assert table["checkout_conversion_rate"].tolist() == [1.0, 1.0]


def test_segment_without_carts_warns_and_gives_nan():
    events = frame([("d", "2024-01-02 10:00", "checkout", "x")])
    with pytest.warns(UndefinedKPIWarning, match="cart_abandonment_rate is undefined"):
        row = cart_kpis(events).rows[0]
    assert row.carts_created == 0
    assert math.isnan(row.cart_abandonment_rate)
    assert cart_kpis(events, zero_division=0.0).rows[0].cart_abandonment_rate == 0.0


def test_result_round_trips_json():
    result = cart_kpis(C, by="channel")
    assert CartKPIs.model_validate_json(result.model_dump_json()) == result


def test_same_event_names_are_rejected():
    with pytest.raises(InvalidInputError) as excinfo:
        cart_kpis(C, checkout_event="cart_add")
    assert str(excinfo.value) == (
        "The 'cart_event', 'checkout_event' and 'purchase_event' parameters of cart_kpis must be "
        "distinct event types. Got ['cart_add', 'cart_add', 'purchase'] instead."
    )
