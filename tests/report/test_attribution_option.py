"""Tests of compute_kpis(..., attribution=model): attributed orders, revenue, new customers and ratios."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import InvalidInputError
from retention_kpis.report import compute_kpis

D = pd.Timestamp
# a touches web then email and buys 100; b touches email and buys 40; c buys 30 untouched.
# Purchases carry no channel (as in most trackers); spend: web 50, email 20.
ROWS = [
    (None, D("2024-01-01"), "spend", None, 50.0, "web"),
    (None, D("2024-01-01"), "spend", None, 20.0, "email"),
    ("a", D("2024-01-02"), "visit", None, None, "web"),
    ("a", D("2024-01-03"), "visit", None, None, "email"),
    ("a", D("2024-01-04"), "purchase", 100.0, None, None),
    ("b", D("2024-01-05"), "visit", None, None, "email"),
    ("b", D("2024-01-06"), "purchase", 40.0, None, None),
    ("c", D("2024-01-07"), "purchase", 30.0, None, None),
]
NAN = math.nan
# Rows sorted by channel: "(none)", "email", "web", then None (the purchases' own segment,
# whose orders and revenue all went to the touch channels).
# last_touch: a -> email, b -> email, c -> (none).
#   (none): 1 order, 30; spend 0 -> cpa 0/1 = 0, roas null (spend 0), aov 30.
#   email: 2 orders, 140; spend 20 -> cpa 20/2 = 10, roas 140/20 = 7, aov 140/2 = 70.
#   web: 0 orders, 0; spend 50 -> cpa null, roas 0/50 = 0, aov null.
LAST_TOUCH = {
    "channel": ["(none)", "email", "web", None],
    "orders": [1.0, 2.0, 0.0, 0.0],
    "revenue": [30.0, 140.0, 0.0, 0.0],
    "spend": [0.0, 20.0, 50.0, 0.0],
    "cpa": [0.0, 10.0, NAN, NAN],
    "roas": [NAN, 7.0, 0.0, NAN],
    "aov": [30.0, 70.0, NAN, NAN],
}
# linear: a's purchase split 1/2 web, 1/2 email (50 each); b -> email; c -> (none).
#   email: 0.5 + 1 = 1.5 orders, 50 + 40 = 90; cpa 20/1.5, roas 90/20 = 4.5, aov 90/1.5 = 60.
#   web: 0.5 orders, 50; cpa 50/0.5 = 100, roas 50/50 = 1, aov 50/0.5 = 100.
LINEAR = {
    "channel": ["(none)", "email", "web", None],
    "orders": [1.0, 1.5, 0.5, 0.0],
    "revenue": [30.0, 90.0, 50.0, 0.0],
    "spend": [0.0, 20.0, 50.0, 0.0],
    "cpa": [0.0, 20 / 1.5, 100.0, NAN],
    "roas": [NAN, 4.5, 1.0, NAN],
    "aov": [30.0, 60.0, 100.0, NAN],
}


def events() -> pd.DataFrame:
    return pd.DataFrame(
        ROWS, columns=["customer_id", "timestamp", "event_type", "revenue", "cost", "channel"]
    )


def assert_columns(report, expected):
    data = report.to_dict()
    for name, values in expected.items():
        for got, want in zip(data[name], values, strict=True):
            if isinstance(want, float) and math.isnan(want):
                assert got is None, name
            elif isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-12), name
            else:
                assert got == want, name
        assert len(data[name]) == len(values), name


@pytest.mark.parametrize(("model", "expected"), [("last_touch", LAST_TOUCH), ("linear", LINEAR)])
def test_attributed_columns_match_hand_calculation_on_every_backend(constructor, model, expected):
    report = compute_kpis(constructor(events()), by="channel", attribution=model)
    assert report.attribution == model
    assert_columns(report, expected)


def test_own_channel_columns_are_not_attributed():
    # a, b, c made their first purchase on rows without a channel: the null segment holds
    # 3 purchasers and 3 purchase rows; its new customers went to the touch channels.
    report = compute_kpis(events(), by="channel", attribution="linear")
    data = report.to_dict()
    assert data["active_customers"] == [0, 0, 0, 3]
    # purchase_frequency keeps the segment's own purchases: 3 purchase rows / 3 purchasers.
    assert data["purchase_frequency"] == [None, None, None, 1.0]


def test_cac_uses_attributed_new_customers_on_the_first_example():
    # Every purchase of ROWS is a first purchase, so new customers follow orders exactly.
    # linear: (none) c = 1, email 0.5 (a) + 1 (b) = 1.5, web 0.5 (a), null segment 0.
    #   cac: (none) 0/1 = 0, email 20/1.5, web 50/0.5 = 100, null segment 0/0 -> null.
    report = compute_kpis(events(), by="channel", attribution="linear")
    assert_columns(
        report,
        {"new_customers": [1.0, 1.5, 0.5, 0.0], "cac": [0.0, 20 / 1.5, 100.0, NAN]},
    )


# a: web visit, first purchase 100, then an email visit and a repeat purchase 50.
# b: email visit, then two purchase rows at the same instant (40 and 10): a tie, k = 2.
# c: web visit, email visit, purchase 30. Spend: web 60, email 30.
REPEAT_ROWS = [
    (None, D("2024-01-01"), "spend", None, 60.0, "web"),
    (None, D("2024-01-01"), "spend", None, 30.0, "email"),
    ("a", D("2024-01-02"), "visit", None, None, "web"),
    ("a", D("2024-01-04"), "purchase", 100.0, None, None),
    ("a", D("2024-01-10"), "visit", None, None, "email"),
    ("a", D("2024-01-12"), "purchase", 50.0, None, None),
    ("b", D("2024-01-05"), "visit", None, None, "email"),
    ("b", D("2024-01-06"), "purchase", 40.0, None, None),
    ("b", D("2024-01-06"), "purchase", 10.0, None, None),
    ("c", D("2024-01-07"), "visit", None, None, "web"),
    ("c", D("2024-01-08"), "visit", None, None, "email"),
    ("c", D("2024-01-09"), "purchase", 30.0, None, None),
]
# Rows: "email", "web", None (the purchases' own segment). First-purchase indicator:
# a's 01-04 row 1, a's repeat 0, b's two tied rows 1/2 each, c's row 1.
# last_touch: a's first -> web (1); b's rows -> email (1/2 + 1/2); c -> email (1).
#   new: email 2, web 1 -> cac email 30/2 = 15, web 60/1 = 60; orders email 4 (a's repeat,
#   b's 2 rows, c), web 1.
# linear: a's first -> web (1); b -> email (1); c split 1/2 web, 1/2 email.
#   new: email 1.5, web 1.5 -> cac email 30/1.5 = 20, web 60/1.5 = 40.
REPEAT_LAST_TOUCH = {
    "channel": ["email", "web", None],
    "orders": [4.0, 1.0, 0.0],
    "new_customers": [2.0, 1.0, 0.0],
    "cac": [15.0, 60.0, NAN],
}
REPEAT_LINEAR = {
    "channel": ["email", "web", None],
    "orders": [3.5, 1.5, 0.0],
    "new_customers": [1.5, 1.5, 0.0],
    "cac": [20.0, 40.0, NAN],
}


def repeat_events() -> pd.DataFrame:
    return pd.DataFrame(
        REPEAT_ROWS,
        columns=["customer_id", "timestamp", "event_type", "revenue", "cost", "channel"],
    )


@pytest.mark.parametrize(
    ("model", "expected"), [("last_touch", REPEAT_LAST_TOUCH), ("linear", REPEAT_LINEAR)]
)
def test_attributed_cac_with_repeat_and_tied_purchases_matches_hand_calculation(
    constructor, model, expected
):
    report = compute_kpis(constructor(repeat_events()), by="channel", attribution=model)
    assert_columns(report, expected)


def test_attributed_new_customers_without_purchases_or_a_revenue_column():
    # No purchase (so no revenue column is needed): no new customer anywhere, spend 60 on web
    # -> cac 60/0 null with its note.
    frame = pd.DataFrame(
        [
            (None, D("2024-01-01"), "spend", 60.0, "web"),
            ("a", D("2024-01-02"), "visit", None, "web"),
        ],
        columns=["customer_id", "timestamp", "event_type", "cost", "channel"],
    )
    report = compute_kpis(frame, by="channel", attribution="linear")
    assert_columns(report, {"channel": ["web"], "new_customers": [0.0], "cac": [NAN]})
    assert "cac is null where there are no new customers (1 row)." in report.notes


def test_tied_first_purchase_rows_count_one_customer_in_total(constructor):
    # b buys twice at the same instant after a web and an email visit: under linear each row
    # gives 1/2 * 1/2 to each channel, so web 0.5 and email 0.5, 1 customer in total.
    frame = pd.DataFrame(
        [
            ("b", D("2024-03-01"), "visit", None, "web"),
            ("b", D("2024-03-02"), "visit", None, "email"),
            ("b", D("2024-03-03 10:00"), "purchase", 5.0, None),
            ("b", D("2024-03-03 10:00"), "purchase", 7.0, None),
        ],
        columns=["customer_id", "timestamp", "event_type", "revenue", "channel"],
    )
    report = compute_kpis(constructor(frame), by="channel", attribution="linear")
    data = report.to_dict()
    assert data["channel"] == ["email", "web", None]
    assert data["new_customers"] == pytest.approx([0.5, 0.5, 0.0])
    assert sum(data["new_customers"]) == pytest.approx(1.0)


def test_new_customers_column_is_float_with_attribution():
    frame = pl.from_pandas(repeat_events())
    schema = compute_kpis(frame, by="channel", attribution="linear").to_frame().schema
    assert schema["new_customers"] == pl.Float64
    assert compute_kpis(frame, by="channel").to_frame().schema["new_customers"] == pl.Int64


def test_attribution_note_names_the_model_and_the_attributed_columns():
    report = compute_kpis(events(), by="channel", attribution="markov")
    assert report.notes[0] == (
        "orders, revenue, new_customers, aov, cpa, cac and roas are attributed to channels "
        "with the 'markov' model (visits within 30 days before each purchase are its touches; "
        "purchases without one are the channel '(none)'; new_customers credits each "
        "customer's first purchase); the other columns count each event in its own channel."
    )


def test_orders_column_is_float_with_attribution_and_integer_without():
    frame = pl.from_pandas(events())
    assert compute_kpis(frame, by="channel", attribution="linear").to_frame().schema["orders"] == (
        pl.Float64
    )
    assert compute_kpis(frame, by="channel").to_frame().schema["orders"] == pl.Int64


def test_attribution_with_another_segment_keeps_the_column_order():
    # by=["country", "channel"]: all rows in one country; same credit as by="channel".
    report = compute_kpis(
        events().assign(country="fr"), by=["country", "channel"], attribution="linear"
    )
    data = report.to_dict()
    assert data["country"] == ["fr"] * 4
    assert data["channel"] == LINEAR["channel"]
    assert data["orders"] == LINEAR["orders"]


def test_attribution_needs_the_channel_column_among_by():
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(events(), attribution="linear")
    assert str(excinfo.value) == (
        "The 'attribution' parameter of compute_kpis needs the channel column 'channel' among "
        "the 'by' columns, as attributed orders exist per channel. Got by=[] instead.\n"
        "Hint: pass by=['channel']."
    )


def test_unknown_attribution_model_is_rejected():
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(events(), by="channel", attribution="u_shaped")
    assert str(excinfo.value) == (
        "The 'attribution' parameter of compute_kpis must be one of ['first_touch', "
        "'last_touch', 'last_non_direct', 'linear', 'time_decay', 'position_based', 'markov', "
        "'shapley'] or None. Got 'u_shaped' instead."
    )


START = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - naive on purpose, as event frames often are


@st.composite
def journeys(draw):
    rows = []
    for _ in range(draw(st.integers(1, 20))):
        kind = draw(st.sampled_from(["visit", "visit", "purchase", "spend"]))
        hours = draw(st.integers(0, 24 * 90))
        rows.append(
            (
                None if kind == "spend" else draw(st.sampled_from("abcd")),
                START + dt.timedelta(hours=hours),
                kind,
                float(draw(st.integers(0, 100))) if kind == "purchase" else None,
                float(draw(st.integers(0, 50))) if kind == "spend" else None,
                None if kind == "purchase" else draw(st.sampled_from(["web", "email", "ads"])),
            )
        )
    frame = pd.DataFrame(
        rows, columns=["customer_id", "timestamp", "event_type", "revenue", "cost", "channel"]
    )
    return frame.astype({"revenue": "float64", "cost": "float64"})


@settings(max_examples=25, deadline=None)
@given(frame=journeys(), model=st.sampled_from(["linear", "last_touch", "markov", "time_decay"]))
def test_attributed_orders_and_revenue_sum_to_the_unattributed_totals(frame, model):
    # Property: credit is only moved between channels, so per period the attributed orders
    # and revenue over all channel rows equal the report's totals without segments.
    totals = {row.period: (row.orders, row.revenue) for row in compute_kpis(frame, period="M").rows}
    attributed: dict = {}
    for row in compute_kpis(frame, period="M", by="channel", attribution=model).rows:
        orders, revenue = attributed.get(row.period, (0.0, 0.0))
        attributed[row.period] = (orders + row.orders, revenue + row.revenue)
    for period, (orders, revenue) in totals.items():
        got_orders, got_revenue = attributed.get(period, (0.0, 0.0))
        assert got_orders == pytest.approx(orders, abs=1e-9)
        assert got_revenue == pytest.approx(revenue, abs=1e-9)
    assert set(attributed) <= set(totals)


@settings(max_examples=25, deadline=None)
@given(
    frame=journeys(), model=st.sampled_from(["linear", "last_touch", "markov", "position_based"])
)
def test_attributed_new_customers_sum_to_first_purchasers_per_period(frame, model):
    # Property, against an independent pandas count: per month, attributed new customers
    # over all channel rows equal the customers whose earliest purchase is in that month.
    purchases = frame[frame["event_type"] == "purchase"]
    firsts = purchases.groupby("customer_id")["timestamp"].min()
    expected = firsts.dt.to_period("M").dt.start_time.dt.date.value_counts().to_dict()
    got: dict = {}
    for row in compute_kpis(frame, period="M", by="channel", attribution=model).rows:
        got[row.period] = got.get(row.period, 0.0) + row.new_customers
    for period, count in expected.items():
        assert got.get(period, 0.0) == pytest.approx(count, abs=1e-9)
    assert all(
        value == pytest.approx(0.0, abs=1e-9) for p, value in got.items() if p not in expected
    )
    frame_before = frame.copy()
    compute_kpis(frame, period="M", by="channel", attribution=model)
    pd.testing.assert_frame_equal(frame, frame_before)
