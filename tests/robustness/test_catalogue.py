"""The hostile-input catalogue of issue #8: every malformed input and its documented outcome.

One test (or one parametrised case) per row of ``docs/errors.md``; the test id is the
row's id there. Each case asserts the exact outcome: the library's exception class and
its whole message (column, problem, row count), or the documented policy (the values,
worked out by hand in the comments, and what ``report.notes`` says).

The base events used throughout (hand-checked report, period "M"):

    customer  timestamp   event     revenue
    a         2024-01-05  visit     -
    a         2024-01-06  purchase  20
    b         2024-01-07  visit     -
    b         2024-02-02  purchase  30

January: visitors {a, b} = 2, orders 1, revenue 20, new customers {a} = 1,
conversion 1/2 = 0.5. February: visitors 0, orders 1, revenue 30, new customers {b} = 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import (
    ColumnNotFoundError,
    InvalidInputError,
    UndefinedKPIWarning,
    compute_kpis,
    conversion_rate,
    customer_effort_score,
    customer_satisfaction_score,
    net_promoter_score,
    retention_rate,
    return_on_ad_spend,
)
from retention_kpis.attribution import attribute
from retention_kpis.cli import main
from retention_kpis.clv import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
    calibration_holdout_split,
    rfm_summary,
)
from retention_kpis.clv._base import NotFittedError
from retention_kpis.cohorts import cohort_retention, revenue_retention
from retention_kpis.funnels import cart_kpis, funnel
from retention_kpis.spec import SpecError, load_spec

BASE_SUMMARY = [
    ("2024-01-01", 2, 1, 20.0, 1),
    ("2024-02-01", 0, 1, 30.0, 1),
]


def events(**columns: Any) -> pd.DataFrame:
    """The base events with some columns replaced (or added)."""
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "timestamp": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07", "2024-02-02"]),
            "event_type": ["visit", "purchase", "visit", "purchase"],
            "revenue": [np.nan, 20.0, np.nan, 30.0],
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def summary(report: Any) -> list[tuple[str, int, float, float, float]]:
    return [
        (str(row.period), row.visitors, row.orders, row.revenue, row.new_customers)
        for row in report.rows
    ]


def as_kind(frame: pd.DataFrame, kind: str) -> Any:
    return frame if kind == "pandas" else pl.from_pandas(frame)


def raises_exactly(error: type[Exception], message: str, call: Callable[[], object]) -> None:
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    assert str(info.value) == message


# --- compute_kpis / validate_events: errors, on pandas and polars ---------------------------
NOT_ISO = "Hint: convert the column to datetimes first."
MIXED_TZ = "Hint: convert every timestamp to one time zone first."
FACADE_ERRORS: list[tuple[str, Callable[[], pd.DataFrame], type[Exception], str]] = [
    (
        "missing-required-column",
        lambda: events().drop(columns="timestamp"),
        ColumnNotFoundError,
        (
            "Missing column(s) ['timestamp'] in events (required). Available columns: "
            "['customer_id', 'event_type', 'revenue'].\nHint: map your column names with "
            "EventSchema(customer_id='user_id', ...), or pass `by` columns that exist."
        ),
    ),
    (
        "missing-revenue-with-purchases",
        lambda: events().drop(columns="revenue"),
        ColumnNotFoundError,
        (
            "Missing column(s) ['revenue'] in events (needed by 'purchase' events). Available "
            "columns: ['customer_id', 'timestamp', 'event_type'].\nHint: map your column names "
            "with EventSchema(customer_id='user_id', ...), or pass `by` columns that exist."
        ),
    ),
    (
        "strings-in-revenue",
        lambda: events(revenue=[None, "20", None, "30"]),
        InvalidInputError,
        "Column 'revenue' of events must be numeric. Got dtype String instead.",
    ),
    (
        "booleans-in-revenue",
        lambda: events(revenue=[False, True, False, True]),
        InvalidInputError,
        "Column 'revenue' of events must be numeric. Got dtype Boolean instead.",
    ),
    (
        "numbers-as-timestamps",
        lambda: events(timestamp=[1, 2, 3, 4]),
        InvalidInputError,
        (
            "Column 'timestamp' of events must hold datetimes, dates or ISO 8601 strings. "
            "Got dtype Int64 instead."
        ),
    ),
    (
        "unparseable-timestamp-strings",
        lambda: events(timestamp=["2024-01-05", "yesterday", "2024-01-07", "05/01/2024"]),
        InvalidInputError,
        (
            "Column 'timestamp' of events holds 2 rows that cannot be parsed as ISO 8601 "
            f"timestamps (first: 'yesterday').\n{NOT_ISO}"
        ),
    ),
    (
        "impossible-calendar-dates",
        lambda: events(timestamp=["2024-01-05", "2024-02-30", "2023-02-29", "2024-13-01"]),
        InvalidInputError,
        (
            "Column 'timestamp' of events holds 3 rows that cannot be parsed as ISO 8601 "
            f"timestamps (first: '2024-02-30').\n{NOT_ISO}"
        ),
    ),
    (
        "impossible-clock-times",
        lambda: events(
            timestamp=["2024-01-05 24:00", "2024-01-06 10:60", "2024-01-07", "2024-02-02"]
        ),
        InvalidInputError,
        (
            "Column 'timestamp' of events holds 2 rows that cannot be parsed as ISO 8601 "
            f"timestamps (first: '2024-01-05 24:00').\n{NOT_ISO}"
        ),
    ),
    (
        "aware-and-naive-timestamp-strings",
        lambda: events(
            timestamp=["2024-01-05T10:00+01:00", "2024-01-06", "2024-01-07", "2024-02-02"]
        ),
        InvalidInputError,
        (
            "Column 'timestamp' of events mixes time zones: 1 row with a UTC offset and 3 rows "
            f"without.\n{MIXED_TZ}"
        ),
    ),
    (
        "two-utc-offsets-in-strings",
        lambda: events(
            timestamp=[
                "2024-01-05T10:00+01:00",
                "2024-01-06T10:00Z",
                "2024-01-07T10:00+01:00",
                "2024-02-02T10:00+01:00",
            ]
        ),
        InvalidInputError,
        (
            "Column 'timestamp' of events mixes time zones: 4 rows carry 2 different UTC offsets."
            f"\n{MIXED_TZ}"
        ),
    ),
    (
        "null-timestamp",
        lambda: events(timestamp=pd.to_datetime(["2024-01-05", None, "2024-01-07", "2024-02-02"])),
        InvalidInputError,
        "Column 'timestamp' of events is null on 1 row (event types: 'purchase').",
    ),
    (
        "null-customer-on-purchase",
        lambda: events(customer_id=["a", None, "b", "b"]),
        InvalidInputError,
        (
            "Column 'customer_id' of events is null on 1 row of customer events (event types: "
            "'purchase'). Only 'spend' rows may have no customer."
        ),
    ),
    (
        "nan-float-customer-ids",
        lambda: events(customer_id=[1.0, 1.0, np.nan, 2.0]),
        InvalidInputError,
        (
            "Column 'customer_id' of events is null on 1 row of customer events (event types: "
            "'visit'). Only 'spend' rows may have no customer."
        ),
    ),
    (
        "null-event-type",
        lambda: events(event_type=["visit", None, "visit", "purchase"]),
        InvalidInputError,
        "Column 'event_type' of events is null on 1 row.",
    ),
    (
        "unknown-event-type",
        lambda: events(event_type=["visit", "purchase", "page_view", "purchase"]),
        InvalidInputError,
        (
            "Column 'event_type' of events holds unknown event types: 'page_view' (1 row). "
            "Known: ['cart_add', 'checkout', 'churn', 'csat_response', 'email_click', "
            "'email_open', 'email_sent', 'nps_response', 'purchase', 'referral', 'signup', "
            "'spend', 'unsubscribe', 'visit'].\nHint: map each to its kind: "
            "EventTypes(purchase='...') (console script: --event purchase=...); name the "
            "others in EventSchema(event_types=EventTypes(other=(...))), or pass "
            "unknown_events='ignore' (their rows are dropped)."
        ),
    ),
    (
        "nan-revenue-on-purchase",
        lambda: events(revenue=[0.0, np.nan, 0.0, 30.0]),
        InvalidInputError,
        (
            "Column 'revenue' of events must not be null on purchases. Got 1 row that does not "
            "(event types: 'purchase')."
        ),
    ),
    (
        "inf-revenue",
        lambda: events(revenue=[np.nan, np.inf, np.nan, 30.0]),
        InvalidInputError,
        (
            "Column 'revenue' of events must be finite. Got 1 row that does not "
            "(event types: 'purchase')."
        ),
    ),
    (
        "minus-inf-revenue",
        lambda: events(revenue=[-np.inf, 20.0, np.nan, 30.0]),
        InvalidInputError,
        "Column 'revenue' of events must be finite. Got 1 row that does not (event types: 'visit').",
    ),
    (
        "negative-revenue",
        lambda: events(revenue=[np.nan, -20.0, np.nan, 30.0]),
        InvalidInputError,
        (
            "Column 'revenue' of events must be >= 0 (refunds are not supported). Got 1 row "
            "that does not (event types: 'purchase')."
        ),
    ),
    (
        "inf-cost-on-spend",
        lambda: pd.concat(
            [events(cost=np.nan), events(customer_id=None, event_type="spend", cost=np.inf)]
        ),
        InvalidInputError,
        "Column 'cost' of events must be finite. Got 4 rows that do not (event types: 'spend').",
    ),
    (
        "nan-cost-on-spend",
        lambda: events(
            customer_id=None, event_type="spend", revenue=np.nan, cost=[1.0, np.nan, 2.0, 3.0]
        ),
        InvalidInputError,
        (
            "Column 'cost' of events must not be null on spend rows. Got 1 row that does not "
            "(event types: 'spend')."
        ),
    ),
    (
        "negative-cost",
        lambda: events(
            customer_id=None, event_type="spend", revenue=np.nan, cost=[1.0, -2.0, 2.0, 3.0]
        ),
        InvalidInputError,
        "Column 'cost' of events must be >= 0. Got 1 row that does not (event types: 'spend').",
    ),
    (
        "nps-scores-out-of-range",
        lambda: events(event_type="nps_response", revenue=np.nan, score=[11.0, -1.0, 10.0, 0.0]),
        InvalidInputError,
        (
            "Column 'score' of events must hold whole NPS scores in [0, 10] on NPS responses. "
            "Got 2 rows that do not (event types: 'nps_response')."
        ),
    ),
    (
        "fractional-nps-scores",
        lambda: events(event_type="nps_response", revenue=np.nan, score=[8.5, 9.0, 10.0, 0.0]),
        InvalidInputError,
        (
            "Column 'score' of events must hold whole NPS scores in [0, 10] on NPS responses. "
            "Got 1 row that does not (event types: 'nps_response')."
        ),
    ),
    (
        "nan-nps-score",
        lambda: events(event_type="nps_response", revenue=np.nan, score=[np.nan, 9.0, 10.0, 0.0]),
        InvalidInputError,
        (
            "Column 'score' of events must not be null on survey responses. Got 1 row that does "
            "not (event types: 'nps_response')."
        ),
    ),
    (
        "csat-scores-out-of-scale",
        lambda: events(event_type="csat_response", revenue=np.nan, score=[6.0, 0.0, 5.0, 1.0]),
        InvalidInputError,
        (
            "Column 'score' of events must hold whole CSAT scores in [1, 5] (csat_scale) on CSAT "
            "responses. Got 2 rows that do not (event types: 'csat_response')."
        ),
    ),
    (
        "order-id-shared-by-two-customers",
        lambda: events(order_id=[None, "o1", None, "o1"]),
        InvalidInputError,
        (
            "Column 'order_id' of events holds 1 order id shared by more than one customer "
            "(2 rows; first: 'o1').\nHint: an order id must belong to one customer; make the "
            "ids unique per customer."
        ),
    ),
]


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize(
    ("build", "error", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in FACADE_ERRORS],
)
def test_compute_kpis_rejects_with_exact_message(kind, build, error, message):
    raises_exactly(error, message, lambda: compute_kpis(as_kind(build(), kind)))


EVERY_BACKEND = {
    "inf-revenue",
    "nan-revenue-on-purchase",
    "impossible-calendar-dates",
    "two-utc-offsets-in-strings",
    "inf-cost-on-spend",
    "order-id-shared-by-two-customers",
}


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in FACADE_ERRORS if case[0] in EVERY_BACKEND],
)
def test_hostile_values_fail_the_same_way_on_every_backend(constructor, build, error, message):
    # The checks fixed for issue #8, with the same message on polars lazy, pyarrow, DuckDB
    # and PySpark as on pandas.
    raises_exactly(error, message, lambda: compute_kpis(constructor(build())))


def test_duplicated_column_names_are_rejected_on_pandas():
    frame = pd.concat([events(), events()[["revenue"]]], axis=1)
    raises_exactly(
        InvalidInputError,
        "The 'events' parameter must have distinct column names. Got ['revenue'] more than "
        "once.\nHint: drop or rename the repeated columns first.",
        lambda: compute_kpis(frame),
    )


def test_a_list_instead_of_a_frame_is_rejected():
    raises_exactly(
        InvalidInputError,
        "The 'events' parameter must be a dataframe narwhals supports (pandas, polars, "
        "pyarrow, DuckDB, ...). Got list instead.",
        lambda: compute_kpis([{"customer_id": "a"}]),
    )


def test_a_series_instead_of_a_frame_is_rejected():
    raises_exactly(
        InvalidInputError,
        "The 'events' parameter must be a dataframe narwhals supports (pandas, polars, "
        "pyarrow, DuckDB, ...). Got Series instead.",
        lambda: compute_kpis(pl.Series("customer_id", ["a"])),
    )


def test_untyped_empty_pandas_frame_is_rejected_for_its_float_timestamps():
    # pandas gives float64 to a column built from []: no timestamp dtype to trust.
    empty = pd.DataFrame({"customer_id": [], "timestamp": [], "event_type": []})
    raises_exactly(
        InvalidInputError,
        "Column 'timestamp' of events must hold datetimes, dates or ISO 8601 strings. "
        "Got dtype Float64 instead.",
        lambda: compute_kpis(empty),
    )


# --- compute_kpis: documented policies ------------------------------------------------------
@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_typed_empty_frame_gives_an_empty_report(kind):
    report = compute_kpis(as_kind(events().iloc[:0], kind))
    assert report.rows == ()
    assert report.notes == ()


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda f: f.iloc[::-1], id="reverse-sorted"),
        pytest.param(lambda f: f.iloc[[2, 0, 3, 1]], id="unsorted"),
        pytest.param(
            lambda f: f.assign(customer_id=f["customer_id"].astype("category")),
            id="categorical-ids-pandas",
        ),
        pytest.param(
            lambda f: f.assign(event_type=f["event_type"].astype("category")),
            id="categorical-event-types-pandas",
        ),
        pytest.param(
            lambda f: f.assign(
                customer_id=f["customer_id"].astype("string[pyarrow]"),
                event_type=f["event_type"].astype("string[pyarrow]"),
                timestamp=f["timestamp"].astype("timestamp[us][pyarrow]"),
            ),
            id="pyarrow-backed-dtypes-pandas",
        ),
        pytest.param(
            lambda f: f.assign(customer_id=f["customer_id"].map({"a": 7, "b": 8})),
            id="numbers-as-ids",
        ),
        pytest.param(
            lambda f: f.assign(customer_id=f["customer_id"] * 100_000), id="very-long-string-ids"
        ),
        pytest.param(
            lambda f: f.assign(timestamp=f["timestamp"].astype(object)), id="object-timestamps"
        ),
        pytest.param(
            lambda f: f.assign(timestamp=f["timestamp"].dt.date), id="dates-not-datetimes"
        ),
        pytest.param(
            lambda f: f.assign(timestamp=f["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")),
            id="iso-strings-in-utc",
        ),
        pytest.param(
            lambda f: f.assign(timestamp=f["timestamp"].dt.tz_localize("Asia/Tokyo")),
            id="one-time-zone-kept-as-wall-clock",
        ),
    ],
)
def test_dtype_and_order_variants_give_the_base_report(transform):
    frame = events()
    before = frame.copy()
    assert summary(compute_kpis(transform(frame))) == BASE_SUMMARY
    pd.testing.assert_frame_equal(frame, before)  # the input is never mutated


@pytest.mark.parametrize(
    "cast",
    [
        pytest.param(
            lambda f: f.with_columns(pl.col("customer_id").cast(pl.Categorical)),
            id="polars-categorical-ids",
        ),
        pytest.param(
            lambda f: f.with_columns(pl.col("event_type").cast(pl.Enum(["visit", "purchase"]))),
            id="polars-enum-event-types",
        ),
        pytest.param(
            lambda f: f.with_columns(pl.col("timestamp").dt.cast_time_unit("ms")),
            id="polars-millisecond-timestamps",
        ),
    ],
)
def test_polars_dtype_variants_give_the_base_report(cast):
    assert summary(compute_kpis(cast(pl.from_pandas(events())))) == BASE_SUMMARY


def test_time_zone_aware_timestamps_keep_their_wall_clock_month():
    # 2024-02-01 00:30 in Tokyo is 2024-01-31 15:30 UTC, but the library keeps the local
    # (wall-clock) calendar: that purchase is in February, as in the base events.
    frame = events(
        timestamp=pd.to_datetime(
            ["2024-01-31 23:00", "2024-01-31 23:30", "2024-01-31 23:40", "2024-02-01 00:30"]
        ).tz_localize("Asia/Tokyo")
    )
    assert summary(compute_kpis(frame)) == BASE_SUMMARY


def test_timestamps_outside_the_pandas_nanosecond_range_are_kept():
    # pandas' datetime64[ns] spans 1677-2262 only; these strings still land in their months.
    frame = events(timestamp=["2024-01-05", "1066-10-14", "2024-01-07", "9999-12-31"])
    assert summary(compute_kpis(frame)) == [
        ("1066-10-01", 0, 1, 20.0, 1),
        ("2024-01-01", 2, 0, 0.0, 0),
        ("9999-12-01", 0, 1, 30.0, 1),
    ]


def test_ten_to_the_ninth_in_int32_revenue_does_not_wrap():
    # 2 * 10**9 fits an Int32 (max 2_147_483_647) but a sum of two would wrap in Int32.
    frame = pl.from_pandas(events()).with_columns(
        pl.when(pl.col("event_type") == "purchase")
        .then(2_000_000_000)
        .otherwise(None)
        .cast(pl.Int32)
        .alias("revenue"),
        pl.lit("2024-01-06").str.to_datetime().alias("timestamp"),
    )
    (row,) = compute_kpis(frame).rows
    assert row.revenue == 4_000_000_000.0  # 2e9 + 2e9, exact in float64
    assert row.orders == 2


def test_zero_revenue_purchases_are_orders():
    # Policy: revenue 0 is a valid (free) order. January: 1 order, revenue 0, aov 0 / 1 = 0.
    report = compute_kpis(events(revenue=[np.nan, 0.0, np.nan, 30.0]))
    assert summary(report)[0] == ("2024-01-01", 2, 1, 0.0, 1)
    assert report.rows[0].aov == 0.0


def test_duplicated_event_rows_are_counted_as_separate_events():
    # Policy: every row is one event. Doubled rows double orders and revenue (use order_id
    # to collapse line items); distinct counts (visitors, new customers) do not change.
    assert summary(compute_kpis(pd.concat([events(), events()]))) == [
        ("2024-01-01", 2, 2, 40.0, 1),
        ("2024-02-01", 0, 2, 60.0, 1),
    ]


def test_repeated_order_id_of_one_customer_is_one_order_with_summed_revenue():
    # Policy: rows sharing an order_id are line items of one order. b's two rows of order
    # o2 in February: orders 1, revenue 30 + 5 = 35, aov 35.
    frame = pd.concat(
        [
            events(order_id=[None, "o1", None, "o2"]),
            events(order_id="o2").iloc[[3]].assign(revenue=5.0),
        ]
    )
    report = compute_kpis(frame)
    assert summary(report) == [("2024-01-01", 2, 1, 20.0, 1), ("2024-02-01", 0, 1, 35.0, 1)]
    assert report.rows[1].aov == 35.0


def test_purchase_before_the_first_visit_still_converts_within_the_period():
    # Policy: conversion_rate = visitors who also purchased in the period / visitors; the
    # order of the two events inside the period is not checked. a buys on Jan 5, visits Jan 6.
    frame = events(
        event_type=["purchase", "visit", "visit", "purchase"], revenue=[20.0, np.nan, np.nan, 30.0]
    )
    report = compute_kpis(frame)
    assert summary(report) == BASE_SUMMARY
    assert report.rows[0].conversion_rate == 0.5  # {a} / {a, b}


def test_one_customer_one_period_gives_one_row_with_retention_null_and_noted():
    report = compute_kpis(events().iloc[:2])
    assert summary(report) == [("2024-01-01", 1, 1, 20.0, 1)]
    assert math.isnan(report.rows[0].retention_rate)
    assert (
        "retention_rate, churn_rate and clv are null where the calendar-previous period has "
        "no active customers in the segment, first period or a gap (1 row)."
    ) in report.notes


def test_all_events_of_one_type_leave_order_kpis_null_and_noted():
    # Visits only: January {a, b}, February {b}; no orders, so aov is null in both rows.
    report = compute_kpis(events(event_type="visit", revenue=np.nan))
    assert [(str(r.period), r.visitors, r.orders) for r in report.rows] == [
        ("2024-01-01", 2, 0),
        ("2024-02-01", 1, 0),
    ]
    assert all(math.isnan(row.aov) for row in report.rows)
    assert "aov and cpa are null where there are no orders (2 rows)." in report.notes


def test_unknown_event_types_can_be_ignored_and_are_counted_in_notes():
    frame = pd.concat([events(), events(event_type="page_view").iloc[:3]])
    report = compute_kpis(frame, unknown_events="ignore")
    assert summary(report) == BASE_SUMMARY
    assert report.notes[0] == "Ignored 3 rows with unknown event types: 'page_view' (3 rows)."


# --- rfm_summary / calibration_holdout_split ------------------------------------------------
def transactions(**columns: Any) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer": ["a", "a", "b"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-03"]),
            "amount": [10.0, 20.0, 7.0],
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def rfm(frame: pd.DataFrame, **options: Any) -> Any:
    return rfm_summary(
        frame, customer_id="customer", timestamp="date", monetary_value="amount", **options
    )


RFM_ERRORS: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    (
        "rfm-missing-column",
        lambda: rfm_summary(transactions(), customer_id="user", timestamp="date"),
        ColumnNotFoundError,
        (
            "Missing column(s) ['user'] in transactions for rfm_summary. Available columns: "
            "['customer', 'date', 'amount'].\nHint: pass your column names as customer_id=, "
            "timestamp= and monetary_value=."
        ),
    ),
    (
        "rfm-duplicated-columns",
        lambda: rfm(pd.concat([transactions(), transactions()[["amount"]]], axis=1)),
        InvalidInputError,
        (
            "The 'transactions' parameter of rfm_summary must have distinct column names. Got "
            "['amount'] more than once.\nHint: drop or rename the repeated columns first."
        ),
    ),
    (
        "rfm-strings-in-monetary-value",
        lambda: rfm(transactions(amount=["10", "20", "7"])),
        InvalidInputError,
        "Column 'amount' (monetary_value) of transactions must be numeric. Got dtype String instead.",
    ),
    (
        "rfm-nan-monetary-value",
        lambda: rfm(transactions(amount=[10.0, np.nan, 7.0])),
        InvalidInputError,
        "Column 'amount' (monetary_value) of transactions has 1 row with no value.",
    ),
    (
        "rfm-inf-monetary-value",
        lambda: rfm(transactions(amount=[10.0, np.inf, np.inf])),
        InvalidInputError,
        "Column 'amount' (monetary_value) of transactions must be finite. Got 2 rows with nan or inf instead.",
    ),
    (
        "rfm-negative-monetary-value",
        lambda: rfm(transactions(amount=[10.0, -20.0, 7.0])),
        InvalidInputError,
        (
            "Column 'amount' (monetary_value) of transactions must be >= 0. Got 1 row with a "
            "negative value instead.\nHint: net refunds against their purchases first."
        ),
    ),
    (
        "rfm-null-customer-id",
        lambda: rfm(transactions(customer=["a", None, "b"])),
        InvalidInputError,
        "Column 'customer' (customer_id) of transactions has 1 row with a null id.",
    ),
    (
        "rfm-unparseable-timestamps",
        lambda: rfm(transactions(date=["2024-01-01", "soon", "2024-02-30"])),
        InvalidInputError,
        (
            "Column 'date' of transactions holds 2 rows that cannot be parsed as ISO 8601 "
            f"timestamps (first: 'soon').\n{NOT_ISO}"
        ),
    ),
    (
        "rfm-mixed-time-zones",
        lambda: rfm(transactions(date=["2024-01-01T00:00+01:00", "2024-01-08", "2024-01-03"])),
        InvalidInputError,
        (
            "Column 'date' of transactions mixes time zones: 1 row with a UTC offset and 2 rows "
            f"without.\n{MIXED_TZ}"
        ),
    ),
    (
        "rfm-observation-end-before-every-purchase",
        lambda: rfm(transactions(), observation_end="2000-01-01"),
        InvalidInputError,
        (
            "The 'observation_end' parameter of rfm_summary must not precede every purchase in "
            "transactions (with time_unit 'D'). Got '2000-01-01' instead."
        ),
    ),
    (
        "calibration-end-after-observation-end",
        lambda: calibration_holdout_split(
            transactions(),
            customer_id="customer",
            timestamp="date",
            calibration_end="2024-03-01",
            observation_end="2024-02-01",
        ),
        InvalidInputError,
        (
            "The 'calibration_end' parameter of calibration_holdout_split must fall in an earlier "
            "period than observation_end (2024-02-01, time_unit 'D'). Got '2024-03-01' instead."
        ),
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [pytest.param(*c[1:], id=c[0]) for c in RFM_ERRORS]
)
def test_rfm_rejects_with_exact_message(call, error, message):
    raises_exactly(error, message, call)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_rfm_empty_transactions_give_an_empty_summary(kind):
    result = rfm(as_kind(transactions().iloc[:0], kind))
    assert list(result.columns) == ["customer", "frequency", "recency", "T", "monetary_value"]
    assert len(result) == 0


def test_rfm_categorical_ids_and_one_purchase_customers():
    # a: purchases on Jan 1 and Jan 8 -> frequency 1, recency 7, T 7 (end = Jan 8), value 20.
    # b: one purchase on Jan 3 -> frequency 0, recency 0, T 5, value 0.
    result = rfm(transactions(customer=pd.Categorical(["a", "a", "b"])))
    assert result[["frequency", "recency", "T", "monetary_value"]].to_numpy().tolist() == [
        [1, 7.0, 7.0, 20.0],
        [0, 0.0, 5.0, 0.0],
    ]


# --- CLV models ------------------------------------------------------------------------------
CLV_ERRORS: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    (
        "bgnbd-nan-frequency",
        lambda: BetaGeoModel().fit([1, np.nan], [1, 2], [3, 4]),
        InvalidInputError,
        "frequency must be finite; 1 value(s) are nan or inf.",
    ),
    (
        "bgnbd-inf-T",
        lambda: BetaGeoModel().fit([1, 2], [1, 2], [3, np.inf]),
        InvalidInputError,
        "T must be finite; 1 value(s) are nan or inf.",
    ),
    (
        "bgnbd-negative-frequency",
        lambda: BetaGeoModel().fit([-1, 2], [1, 2], [3, 4]),
        InvalidInputError,
        "frequency must be >= 0; 1 value(s) are negative.",
    ),
    (
        "bgnbd-fractional-frequency",
        lambda: BetaGeoModel().fit([1.5, 2], [1, 2], [3, 4]),
        InvalidInputError,
        "Some values in frequency are not whole numbers (1 row).",
    ),
    (
        "bgnbd-recency-above-T",
        lambda: BetaGeoModel().fit([1, 2], [5, 2], [3, 4]),
        InvalidInputError,
        "Some values in recency are larger than T (1 row).",
    ),
    (
        "bgnbd-zero-frequency-positive-recency",
        lambda: BetaGeoModel().fit([0, 2], [1, 2], [3, 4]),
        InvalidInputError,
        (
            "Some customers have frequency 0 but recency > 0 (1 row); recency is the age at the last "
            "repeat purchase and must be 0 without one."
        ),
    ),
    (
        "bgnbd-empty",
        lambda: BetaGeoModel().fit([], [], []),
        InvalidInputError,
        "BetaGeoModel.fit needs at least one customer with a positive weight; got 0 rows.",
    ),
    (
        "bgnbd-strings",
        lambda: BetaGeoModel().fit(["a", 1], [2, 2], [5, 5]),
        InvalidInputError,
        "frequency must be numeric; could not convert it to floats (could not convert string to float: 'a').",
    ),
    (
        "bgnbd-two-dimensional",
        lambda: BetaGeoModel().fit([[1, 2]], [[2, 2]], [[5, 5]]),
        InvalidInputError,
        "frequency must be one-dimensional; got shape (1, 2).",
    ),
    (
        "bgnbd-length-mismatch",
        lambda: BetaGeoModel().fit([1, 2], [2], [5, 5]),
        InvalidInputError,
        "Inputs must have the same length; got frequency=2, recency=1, T=2, weights=2.",
    ),
    (
        "bgnbd-predict-before-fit",
        lambda: BetaGeoModel().probability_alive([1], [1], [2]),
        NotFittedError,
        "This BetaGeoModel is not fitted yet; call fit() or from_params().",
    ),
    (
        "bgnbd-predict-nan-recency",
        lambda: BetaGeoModel.from_params(r=1, alpha=1, a=1, b=1).probability_alive(
            [1], [np.nan], [2]
        ),
        InvalidInputError,
        "recency must be finite; 1 value(s) are nan or inf.",
    ),
    (
        "pareto-nbd-recency-above-T",
        lambda: ParetoNBDModel().fit([1, 2], [5, 2], [3, 4]),
        InvalidInputError,
        "Some values in recency are larger than T (1 row).",
    ),
    (
        "pareto-nbd-empty",
        lambda: ParetoNBDModel().fit([], [], []),
        InvalidInputError,
        "ParetoNBDModel.fit needs at least one customer with a positive weight.",
    ),
    (
        "gamma-gamma-zero-value",
        lambda: GammaGammaModel().fit([1, 2], [0.0, 2.0]),
        InvalidInputError,
        "monetary_value must be > 0 and finite for customers with frequency > 0; 1 row(s) are not.",
    ),
    (
        "gamma-gamma-negative-value",
        lambda: GammaGammaModel().fit([1, 2], [-1.0, 2.0]),
        InvalidInputError,
        "monetary_value must be > 0 and finite for customers with frequency > 0; 1 row(s) are not.",
    ),
    (
        "gamma-gamma-no-repeat-customer",
        lambda: GammaGammaModel().fit([0, 0], [0.0, 0.0]),
        InvalidInputError,
        "GammaGammaModel.fit needs at least one customer with frequency > 0; got none.",
    ),
    (
        "sbg-rising-survivors",
        lambda: ShiftedBetaGeometricModel().fit([1000, 500, 600]),
        InvalidInputError,
        "survivors must be non-increasing (customers cannot come back); it rises at 1 period(s).",
    ),
    (
        "sbg-negative-survivors",
        lambda: ShiftedBetaGeometricModel().fit([1000, -5]),
        InvalidInputError,
        "survivors must be >= 0; 1 value(s) are negative.",
    ),
    (
        "bgbb-recency-above-n-periods",
        lambda: BetaGeoBetaBinomModel().fit([1, 1], [7, 2], [5, 5]),
        InvalidInputError,
        "Some values in recency are larger than n_periods (1 row).",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [pytest.param(*c[1:], id=c[0]) for c in CLV_ERRORS]
)
def test_clv_models_reject_with_exact_message(call, error, message):
    raises_exactly(error, message, call)


# --- pure metric functions -------------------------------------------------------------------
METRIC_ERRORS: list[tuple[str, Callable[[], object], str]] = [
    (
        "nps-score-out-of-range",
        lambda: net_promoter_score([11, 3]),
        "The 'scores' parameter of net_promoter_score must hold scores in [0, 10]. Got 1 value outside it (first: 11) instead.",
    ),
    (
        "nps-fractional-score",
        lambda: net_promoter_score([9.5, 3]),
        "The 'scores' parameter of net_promoter_score must hold whole-number scores. Got 1 non-integer value (first: 9.5) instead.",
    ),
    (
        "nps-nan-score",
        lambda: net_promoter_score([np.nan, 3, np.inf]),
        "The 'scores' parameter of net_promoter_score must hold only finite numbers. Got 2 nan or inf values instead.",
    ),
    (
        "nps-string-score",
        lambda: net_promoter_score(["9", 3]),
        "The 'scores' parameter of net_promoter_score must hold only numbers. Got '9' instead.",
    ),
    (
        "csat-score-out-of-scale",
        lambda: customer_satisfaction_score([0, 3]),
        "The 'scores' parameter of customer_satisfaction_score must hold scores in [1, 5]. Got 1 value outside it (first: 0) instead.",
    ),
    (
        "ces-fractional-score",
        lambda: customer_effort_score([2.5, 3]),
        "The 'scores' parameter of customer_effort_score must hold whole-number scores. Got 1 non-integer value (first: 2.5) instead.",
    ),
    (
        "count-part-above-whole",
        lambda: conversion_rate(5, 3),
        "The 'conversions' parameter of conversion_rate must be <= 'visitors' (3). Got 5 instead.",
    ),
    (
        "count-fractional",
        lambda: conversion_rate(2.5, 3),
        "The 'conversions' parameter of conversion_rate must be a whole number. Got 2.5 instead.",
    ),
    (
        "count-boolean",
        lambda: conversion_rate(True, 3),
        "The 'conversions' parameter of conversion_rate must be a real number. Got True instead.",
    ),
    (
        "count-negative",
        lambda: conversion_rate(1, -3),
        "The 'visitors' parameter of conversion_rate must be >= 0. Got -3 instead.",
    ),
    (
        "amount-infinite",
        lambda: return_on_ad_spend(float("inf"), 1.0),
        "The 'revenue' parameter of return_on_ad_spend must be finite. Got inf instead.",
    ),
]


@pytest.mark.parametrize(
    ("call", "message"), [pytest.param(*c[1:], id=c[0]) for c in METRIC_ERRORS]
)
def test_metric_functions_reject_with_exact_message(call, message):
    raises_exactly(InvalidInputError, message, call)


def test_ten_to_the_ninth_counts_are_exact():
    # 10**9 / (2 * 10**9) = 0.5; numpy int32 and int64 scalars are accepted as counts.
    assert conversion_rate(10**9, 2 * 10**9) == 0.5
    assert conversion_rate(np.int32(10**9), np.int64(4 * 10**9)) == 0.25
    # (customers_at_end - new_customers) / customers_at_start = (1e9 - 0) / 1e9
    assert retention_rate(10**9, 10**9, 0) == 1.0


def test_empty_scores_and_zero_spend_follow_the_zero_division_policy():
    with pytest.warns(
        UndefinedKPIWarning, match="net_promoter_score is undefined because responses is 0"
    ):
        assert math.isnan(net_promoter_score([]))
    assert return_on_ad_spend(10.0, 0.0, zero_division=0.0) == 0.0


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(min_value=11, max_value=10**9), min_size=1, max_size=20),
    st.lists(st.integers(0, 10), max_size=20),
)
def test_any_nps_score_above_ten_is_rejected_and_counted(bad, good):
    with pytest.raises(InvalidInputError, match=rf"Got {len(bad)} values? outside it"):
        net_promoter_score([*good, *bad])


# --- cohorts, funnels, attribution -----------------------------------------------------------
def test_cohort_retention_of_an_empty_frame_is_an_empty_table():
    table = cohort_retention(events().iloc[:0])
    assert (table.cohorts, table.cohort_sizes, table.shares) == ((), (), ())


def test_cohort_retention_rejects_an_unsupported_period():
    raises_exactly(
        InvalidInputError,
        "The 'period' parameter of cohort_retention must be one of 'D', 'W', 'M'. Got 'Q' instead.",
        lambda: cohort_retention(events(), period="Q"),
    )


def test_cohort_retention_rejects_mixed_time_zones():
    frame = events(timestamp=["2024-01-05T00:00+01:00", "2024-01-06", "2024-01-07", "2024-02-02"])
    raises_exactly(
        InvalidInputError,
        "Column 'timestamp' of events mixes time zones: 1 row with a UTC offset and 3 rows "
        f"without.\n{MIXED_TZ}",
        lambda: cohort_retention(frame),
    )


def test_revenue_retention_with_zero_first_period_revenue_warns():
    frame = events(revenue=[np.nan, 0.0, np.nan, 0.0])
    with pytest.warns(
        UndefinedKPIWarning, match="revenue_retention is undefined because offset-0 revenue is 0"
    ):
        table = revenue_retention(frame)
    # Cohorts January (a) and February (b), each with offset-0 revenue 0: share undefined.
    assert table.shares == ((None,), (None,))


def test_funnel_rejects_repeated_steps():
    raises_exactly(
        InvalidInputError,
        "The 'steps' parameter of funnel must not repeat an event type. Got ['visit'] more than once.",
        lambda: funnel(events(), ["visit", "visit"]),
    )


def test_funnel_rejects_a_missing_segment_column():
    with pytest.raises(
        ColumnNotFoundError,
        match=re.escape("Missing column(s) ['region'] in events ('by' segments)."),
    ):
        funnel(events(), ["visit", "purchase"], by="region")


def test_funnel_of_an_empty_frame_warns_and_gives_nan():
    with pytest.warns(UndefinedKPIWarning, match="the number of units entering step 1 is 0"):
        result = funnel(events().iloc[:0], ["visit", "purchase"])
    assert [row.entrants for row in result.rows] == [0, 0]


def test_funnel_step_with_no_events_has_zero_entrants():
    # Policy: step names are accepted as event types; a step nobody reached has 0 entrants.
    result = funnel(events(), ["visit", "signup"])
    assert [row.entrants for row in result.rows] == [2, 0]


def test_cart_kpis_without_carts_warn_for_both_rates():
    with pytest.warns(UndefinedKPIWarning) as record:
        result = cart_kpis(events())
    assert sorted(
        str(w.message).split(" is undefined because ")[1].split(";")[0] for w in record
    ) == [
        "carts_created is 0",
        "checkouts_started is 0",
    ]
    assert math.isnan(result.rows[0].cart_abandonment_rate)


def test_attribution_needs_a_channel_column():
    with pytest.raises(
        ColumnNotFoundError,
        match=re.escape(
            "Missing column(s) ['channel'] in events (the touchpoint channel of attribute)."
        ),
    ):
        attribute(events())


def test_attribution_rejects_an_unknown_model():
    with pytest.raises(
        InvalidInputError, match=re.escape("The 'model' parameter of attribute must be one of")
    ):
        attribute(events(channel="ads"), model="nope")


def test_attribution_with_null_channels_credits_no_touch():
    # Policy: a visit without a channel is not a touch; both purchases go to "(none)".
    result = attribute(events(channel=None))
    assert (result.conversions, result.conversions_without_touch) == (2, 2)
    assert [(c.channel, c.conversions, c.revenue) for c in result.credits] == [
        ("(none)", 2.0, 50.0)
    ]


# --- spec loader and CLI ---------------------------------------------------------------------
def test_spec_with_broken_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("metrics: [\n", encoding="utf-8")
    raises_exactly(
        SpecError,
        f"invalid spec (1 problem):\n{path}: line 2, column 1: invalid YAML: expected the node "
        "content, but found '<stream end>'",
        lambda: load_spec(path),
    )


def test_missing_spec_file(tmp_path):
    path = tmp_path / "nope.yaml"
    raises_exactly(
        SpecError,
        f"invalid spec (1 problem):\n{path}: cannot read the file: No such file or directory",
        lambda: load_spec(path),
    )


def write_csv(path: Path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    ("case", "expected_stderr"),
    [
        pytest.param(
            "strings-in-revenue",
            "error: Column 'revenue' of events must be numeric. Got dtype String instead.\n",
            id="cli-strings-in-revenue",
        ),
        pytest.param(
            "missing-file", "error: cannot read '{path}': no such file\n", id="cli-missing-file"
        ),
        pytest.param(
            "impossible-date",
            "error: Column 'timestamp' of events holds 1 row that cannot be parsed as ISO 8601 "
            f"timestamps (first: '2024-02-30').\n{NOT_ISO}\n",
            id="cli-impossible-date",
        ),
    ],
)
def test_cli_report_exits_2_with_the_library_message(tmp_path, capsys, case, expected_stderr):
    path = tmp_path / "events.csv"
    if case == "strings-in-revenue":
        write_csv(path, events(revenue=[None, "20", None, "x"]))
    elif case == "impossible-date":
        write_csv(path, events(timestamp=["2024-01-05", "2024-02-30", "2024-01-07", "2024-02-02"]))
    assert main(["report", str(path)]) == 2
    assert capsys.readouterr().err == expected_stderr.format(path=path)


def test_cli_usage_error_exits_2(capsys):
    assert main(["report", "--demo", "--period", "Z"]) == 2
    assert "argument --period: invalid choice: 'Z'" in capsys.readouterr().err


def test_cli_missing_segment_column_exits_2(capsys):
    assert main(["report", "--demo", "--by", "region"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: Missing column(s) ['region'] in events ('by' segments)."
    )


def test_cli_header_only_csv_reports_nothing(tmp_path, capsys):
    # Policy: an events file with a header and no rows gives an empty report, exit 0.
    path = write_csv(tmp_path / "empty.csv", events().iloc[:0])
    assert main(["report", path, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == []


def test_cli_validate_broken_spec_exits_2(tmp_path, capsys):
    path = tmp_path / "spec.yaml"
    path.write_text("metrics: [\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert "invalid YAML: expected the node content" in capsys.readouterr().err


# --- properties ------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(st.permutations(range(4)), st.integers(min_value=1, max_value=3))
def test_row_order_and_duplication_factor_act_as_documented(order, copies):
    # Any row order gives the base report; k copies of every row multiply orders and revenue
    # by k and leave distinct counts alone (the duplicated-rows policy).
    frame = pd.concat([events().iloc[list(order)]] * copies)
    assert summary(compute_kpis(frame)) == [
        (period, visitors, orders * copies, revenue * copies, new)
        for period, visitors, orders, revenue, new in BASE_SUMMARY
    ]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from([np.nan, np.inf, -np.inf, -1.0]), min_size=1, max_size=3))
def test_bad_purchase_revenue_is_always_rejected_and_counted(bad):
    # n bad purchase rows appended to the base events: the message counts exactly n rows.
    extra = pd.DataFrame(
        {
            "customer_id": "c",
            "timestamp": pd.Timestamp("2024-01-10"),
            "event_type": "purchase",
            "revenue": bad,
        }
    )
    frame = pd.concat([events(), extra], ignore_index=True)
    with pytest.raises(InvalidInputError) as info:
        compute_kpis(pl.from_pandas(frame, nan_to_null=False))
    message = str(info.value)
    # Checks run in this order: infinite, then negative, then missing (nan is missing).
    n_inf = sum(1 for v in bad if np.isinf(v))
    n_negative = sum(1 for v in bad if v == -1.0)
    n_nan = sum(1 for v in bad if np.isnan(v))
    if n_inf:
        expected = f"must be finite. Got {n_inf} row"
    elif n_negative:
        expected = f"must be >= 0 (refunds are not supported). Got {n_negative} row"
    else:
        expected = f"must not be null on purchases. Got {n_nan} row"
    one = int(expected.rsplit(" ", 2)[-2]) == 1
    assert f"{expected}{'' if one else 's'} that {'does' if one else 'do'} not" in message


def test_order_ids_unique_per_customer_pass_the_shared_id_check():
    # a's o1 and b's o2 in one month: two orders, no error (the check is not too eager).
    frame = events(order_id=[None, "o1", None, "o2"]).assign(
        timestamp=pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"])
    )
    assert [r.orders for r in compute_kpis(frame).rows] == [2]


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_null_segment_values_form_their_own_segment(kind):
    # Policy: nothing is dropped; rows with no channel are the segment channel=None.
    # January: visits of a and b in "ads"; a's purchase (20) has no channel; so has b's (30).
    frame = as_kind(events(channel=["ads", None, "ads", None]), kind)
    rows = compute_kpis(frame, by="channel").rows
    assert [(str(r.period), r.segment, r.visitors, r.orders, r.revenue) for r in rows] == [
        ("2024-01-01", {"channel": "ads"}, 2, 0, 0.0),
        ("2024-01-01", {"channel": None}, 0, 1, 20.0),
        ("2024-02-01", {"channel": None}, 0, 1, 30.0),
    ]
