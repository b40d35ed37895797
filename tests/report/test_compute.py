"""Tests of retention_kpis.report: compute_kpis and KPIReport against hand calculation."""

from __future__ import annotations

import datetime as dt
import json
import math

import narwhals.stable.v2 as nw
import pandas as pd
import polars as pl
import pytest

from retention_kpis import ColumnNotFoundError, InvalidInputError
from retention_kpis.events import EventSchema, EventTypes
from retention_kpis.report import KPIReport, compute_kpis

D = dt.datetime
# The hand-built frame of docs/metrics.md: 18 events, January-March 2024, channels web and email.
EVENTS = {
    "customer_id": [
        "a",
        "a",
        "b",
        "c",
        None,
        None,
        "a",
        "b",
        "a",
        "a",
        "b",
        "b",
        None,
        "c",
        "b",
        "b",
        "c",
        None,
    ],
    "timestamp": [
        D(2024, 1, 3, 9),
        D(2024, 1, 3, 9, 10),
        D(2024, 1, 10),
        D(2024, 1, 15),
        D(2024, 1, 20),
        D(2024, 1, 21),
        D(2024, 1, 25),
        D(2024, 1, 26),
        D(2024, 2, 2),
        D(2024, 2, 2, 1),
        D(2024, 2, 5),
        D(2024, 2, 5),
        D(2024, 2, 10),
        D(2024, 2, 12),
        D(2024, 3, 3),
        D(2024, 3, 3, 1),
        D(2024, 3, 9),
        D(2024, 3, 15),
    ],
    "event_type": [
        "visit",
        "purchase",
        "visit",
        "visit",
        "spend",
        "spend",
        "nps_response",
        "nps_response",
        "visit",
        "purchase",
        "purchase",
        "purchase",
        "spend",
        "csat_response",
        "visit",
        "purchase",
        "csat_response",
        "spend",
    ],
    "revenue": [
        None,
        100.0,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        60.0,
        40.0,
        10.0,
        None,
        None,
        None,
        30.0,
        None,
        None,
    ],
    "cost": [
        None,
        None,
        None,
        None,
        50.0,
        30.0,
        None,
        None,
        None,
        None,
        None,
        None,
        20.0,
        None,
        None,
        None,
        None,
        10.0,
    ],
    "score": [
        None,
        None,
        None,
        None,
        None,
        None,
        10.0,
        5.0,
        None,
        None,
        None,
        None,
        None,
        4.0,
        None,
        None,
        2.0,
        None,
    ],
    "order_id": [
        None,
        "o1",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "o2",
        "o3",
        "o3",
        None,
        None,
        None,
        "o4",
        None,
        None,
    ],
    "channel": [
        "web",
        "web",
        "email",
        "web",
        "web",
        "email",
        "web",
        "email",
        "web",
        "web",
        "email",
        "email",
        "email",
        "web",
        "email",
        "email",
        "web",
        "web",
    ],
}
NAN = math.nan
COLUMNS = [
    "period",
    "visitors",
    "conversion_rate",
    "orders",
    "revenue",
    "spend",
    "new_customers",
    "cpa",
    "cac",
    "roas",
    "aov",
    "purchase_frequency",
    "csat",
    "nps",
    "active_customers",
    "retention_rate",
    "churn_rate",
    "clv",
    # The engagement columns (tests/report/test_engagement_columns.py checks their values).
    "referrals",
    "referral_rate",
    "referred_customers",
    "referred_customer_share",
    "emails_delivered",
    "email_open_rate",
    "email_ctr",
    "email_cto_rate",
    "email_unsubscribe_rate",
    "email_attributed_repeat_purchases",
    "pareto_share",
]


def pandas_events():
    return pd.DataFrame(EVENTS)


def assert_rows(report, expected):
    actual = report.to_dict()
    for column, values in expected.items():
        assert len(actual[column]) == len(values), column
        for got, want in zip(actual[column], values, strict=True):
            if isinstance(want, float) and math.isnan(want):
                assert got is None, column
            elif isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-9), column
            else:
                assert got == want, column


# Hand calculation, period="M", by=None.
# January: visitors {a, b, c} = 3; purchasers {a}; visitors who purchased {a} -> 1/3.
#   orders: order ids {o1} = 1; revenue 100; spend 50 + 30 = 80; new: a (first purchase Jan 3) = 1.
#   cpa 80/1 = 80; cac 80/1 = 80; roas 100/80 = 1.25; aov 100/1 = 100; purchase_frequency 1/1 = 1.
#   csat: no responses -> null; nps: [10, 5] -> 100 * (1 promoter - 1 detractor) / 2 = 0.
#   active {a} = 1; first period -> retention, churn, clv null.
# February: visitors {a} = 1; purchasers {a, b}; a visited and bought -> 1/1 = 1.
#   orders {o2, o3} = 2 (o3 has two lines); revenue 60 + 40 + 10 = 110; spend 20; new: b = 1.
#   cpa 20/2 = 10; cac 20/1 = 20; roas 110/20 = 5.5; aov 110/2 = 55; pf 2/2 = 1.
#   csat [4] -> 1/1 = 1.0; nps: none -> null.
#   active {a, b} = 2; previous active {a}, active again {a} -> retention 1/1 = 1, churn 0;
#   clv: churn 0 -> unbounded lifespan -> null.
# March: visitors {b} = 1; purchasers {b} -> 1/1 = 1. orders {o4} = 1; revenue 30; spend 10;
#   new: none (b first bought in February) = 0.
#   cpa 10/1 = 10; cac 10/0 -> null; roas 30/10 = 3; aov 30; pf 1/1 = 1; csat [2] -> 0/1 = 0; nps null.
#   active {b} = 1; previous active {a, b}, again {b} -> retention 1/2 = 0.5, churn 0.5;
#   clv = aov 30 * pf 1 * lifespan (1 / 0.5 = 2) = 60.
MONTHLY = {
    "period": [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)],
    "visitors": [3, 1, 1],
    "conversion_rate": [1 / 3, 1.0, 1.0],
    "orders": [1, 2, 1],
    "revenue": [100.0, 110.0, 30.0],
    "spend": [80.0, 20.0, 10.0],
    "new_customers": [1, 1, 0],
    "cpa": [80.0, 10.0, 10.0],
    "cac": [80.0, 20.0, NAN],
    "roas": [1.25, 5.5, 3.0],
    "aov": [100.0, 55.0, 30.0],
    "purchase_frequency": [1.0, 1.0, 1.0],
    "csat": [NAN, 1.0, 0.0],
    "nps": [0.0, NAN, NAN],
    "active_customers": [1, 2, 1],
    "retention_rate": [NAN, 1.0, 0.5],
    "churn_rate": [NAN, 0.0, 0.5],
    "clv": [NAN, NAN, 60.0],
}

# Hand calculation, period=None, by="channel" (segments sorted: email, web).
# email: visitors {b} = 1, b bought -> 1/1; orders {o3, o4} = 2; revenue 40 + 10 + 30 = 80;
#   spend 30 + 20 = 50; new: b (first purchase Feb 5, email) = 1; cpa 50/2 = 25; cac 50/1 = 50;
#   roas 80/50 = 1.6; aov 80/2 = 40; pf 2/1 = 2; csat null; nps [5] -> 100 * (0 - 1)/1 = -100.
# web: visitors {a, c} = 2, a bought -> 1/2; orders {o1, o2} = 2; revenue 100 + 60 = 160;
#   spend 50 + 10 = 60; new: a (first purchase Jan 3, web) = 1; cpa 60/2 = 30; cac 60/1 = 60;
#   roas 160/60; aov 160/2 = 80; pf 2/1 = 2; csat [4, 2] -> 1/2; nps [10] -> 100.
# period=None: no previous period -> retention, churn and clv null.
BY_CHANNEL = {
    "period": [None, None],
    "channel": ["email", "web"],
    "visitors": [1, 2],
    "conversion_rate": [1.0, 0.5],
    "orders": [2, 2],
    "revenue": [80.0, 160.0],
    "spend": [50.0, 60.0],
    "new_customers": [1, 1],
    "cpa": [25.0, 30.0],
    "cac": [50.0, 60.0],
    "roas": [1.6, 160 / 60],
    "aov": [40.0, 80.0],
    "purchase_frequency": [2.0, 2.0],
    "csat": [NAN, 0.5],
    "nps": [-100.0, 100.0],
    "active_customers": [1, 1],
    "retention_rate": [NAN, NAN],
    "churn_rate": [NAN, NAN],
    "clv": [NAN, NAN],
}


def test_monthly_report_matches_hand_calculation_on_every_backend(constructor):
    report = compute_kpis(constructor(pandas_events()), period="M")
    assert report.columns == COLUMNS
    assert_rows(report, MONTHLY)


def test_by_channel_whole_frame_matches_hand_calculation_on_every_backend(constructor):
    report = compute_kpis(constructor(pandas_events()), period=None, by="channel")
    assert report.columns == ["period", "channel", *COLUMNS[1:]]
    assert_rows(report, BY_CHANNEL)


def test_monthly_by_channel_retention_stays_within_the_segment(constructor):
    # email: Feb active {b}; Mar active {b} -> retention 1/1 = 1, churn 0.
    # web: Jan active {a}; Feb active {a} -> 1; Mar: no web purchase but web events (csat, spend)
    #   -> active 0, previous {a}, again {} -> retention 0, churn 1, clv = aov null -> null.
    report = compute_kpis(constructor(pandas_events()), period="M", by=["channel"])
    rows = {(str(r.period), r.segment["channel"]): r for r in report.rows}
    assert rows[("2024-03-01", "email")].retention_rate == 1.0
    assert rows[("2024-02-01", "web")].retention_rate == 1.0
    assert rows[("2024-03-01", "web")].retention_rate == 0.0
    assert rows[("2024-03-01", "web")].churn_rate == 1.0
    # Jan email: b visited, nobody bought in email -> previous for Feb email is empty -> null.
    assert math.isnan(rows[("2024-02-01", "email")].retention_rate)


def test_notes_give_one_note_per_cause(constructor):
    report = compute_kpis(constructor(pandas_events()), period="M")
    assert report.notes == (
        "cac is null where there are no new customers (1 row).",
        "clv is null where churn_rate is 0, the expected lifespan being unbounded (1 row).",
        "csat is null where there are no CSAT responses (1 row).",
        "nps is null where there are no NPS responses (2 rows).",
        (
            "retention_rate, churn_rate and clv are null where the calendar-previous period has no "
            "active customers in the segment, first period or a gap (1 row)."
        ),
        (
            "the engagement columns (referral, email, pareto_share) are null: "
            "pass engagement=True to compute them (3 rows)."
        ),
    )


def test_gap_month_makes_retention_null_not_relative_to_an_older_month(constructor):
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "timestamp": [D(2024, 1, 5), D(2024, 3, 5)],
            "event_type": ["purchase", "purchase"],
            "revenue": [1.0, 1.0],
        }
    )
    report = compute_kpis(constructor(events), period="M")
    assert [str(r.period) for r in report.rows] == ["2024-01-01", "2024-03-01"]
    assert math.isnan(report.rows[1].retention_rate)


def test_churn_from_events_uses_contractual_churn(constructor):
    # Jan active {a, b}; Feb: b sends a churn event -> churn 1/2, retention 1 - 1/2.
    events = constructor(
        pd.DataFrame(
            {
                "customer_id": ["a", "b", "b", "a"],
                "timestamp": [D(2024, 1, 5), D(2024, 1, 6), D(2024, 2, 1), D(2024, 2, 9)],
                "event_type": ["purchase", "purchase", "churn", "visit"],
                "revenue": [1.0, 1.0, None, None],
            }
        )
    )
    feb = compute_kpis(events, churn_from="events").rows[1]
    assert (feb.churn_rate, feb.retention_rate) == (0.5, 0.5)
    feb_activity = compute_kpis(events).rows[1]
    assert (feb_activity.churn_rate, feb_activity.retention_rate) == (1.0, 0.0)


@pytest.mark.parametrize(
    ("period", "labels"),
    [
        ("D", ["1969-12-31", "2024-01-03", "2024-05-22"]),
        ("W", ["1969-12-29", "2024-01-01", "2024-05-20"]),  # Mondays
        ("M", ["1969-12-01", "2024-01-01", "2024-05-01"]),
        ("Q", ["1969-10-01", "2024-01-01", "2024-04-01"]),
        ("Y", ["1969-01-01", "2024-01-01"]),
        (None, ["None"]),
    ],
)
def test_period_labels_are_period_start_dates(constructor, period, labels):
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "timestamp": [D(1969, 12, 31, 23), D(2024, 1, 3), D(2024, 5, 22)],
            "event_type": ["visit"] * 3,
        }
    )
    rows = compute_kpis(constructor(events), period=period).rows
    assert [str(r.period) for r in rows] == labels


def test_by_accepts_a_string_or_a_list():
    as_str = compute_kpis(pandas_events(), period=None, by="channel").to_dict()
    as_list = compute_kpis(pandas_events(), period=None, by=["channel"]).to_dict()
    assert as_str == as_list


def test_by_two_columns_orders_columns_period_by_then_kpis(constructor):
    events = constructor(pandas_events().assign(campaign=["x", "y"] * 9))
    report = compute_kpis(events, by=["channel", "campaign"])
    assert report.columns[:3] == ["period", "channel", "campaign"]
    assert nw.from_native(report.to_frame()).collect_schema().names() == report.columns
    assert (
        report.to_dict()
        == compute_kpis(
            pandas_events().assign(campaign=["x", "y"] * 9), by=["channel", "campaign"]
        ).to_dict()
    )


def test_renamed_schema_gives_the_same_report(constructor):
    renamed = pandas_events().rename(columns={"customer_id": "user", "revenue": "amount"})
    renamed["event_type"] = renamed["event_type"].replace({"purchase": "order"})
    schema = EventSchema(
        customer_id="user", revenue="amount", event_types=EventTypes(purchase="order")
    )
    report = compute_kpis(constructor(renamed), schema=schema)
    assert report.to_dict() == compute_kpis(pandas_events()).to_dict()


def test_empty_frame_gives_an_empty_report_with_all_columns(constructor):
    empty = pandas_events().iloc[:0]
    report = compute_kpis(constructor(empty), by="channel")
    assert report.rows == ()
    frame = nw.from_native(report.to_frame()).lazy().collect()
    assert frame.columns == ["period", "channel", *COLUMNS[1:]]
    assert len(frame) == 0


def native_kind(name):
    """The native class compute_kpis(...).to_frame() must return for each backend."""
    import duckdb  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415

    kinds = {
        "pandas": pd.DataFrame,
        "polars": pl.DataFrame,
        "polars_lazy": pl.LazyFrame,
        "pyarrow": pa.Table,
        "duckdb": duckdb.DuckDBPyRelation,
    }
    if name == "pyspark":
        from pyspark.sql import DataFrame  # noqa: PLC0415

        return DataFrame
    return kinds[name]


def test_to_frame_kind_follows_the_input(constructor):
    report = compute_kpis(constructor(pandas_events()))
    frame = report.to_frame()
    assert isinstance(frame, native_kind(constructor.name))
    assert report.lazy is constructor.lazy
    collected = nw.from_native(frame).lazy().collect()
    assert collected.get_column("visitors").to_list() == [3, 1, 1]
    assert collected.get_column("cac").is_null().to_list() == [False, False, True] or (
        constructor.name == "pandas" and math.isnan(collected.get_column("cac")[2])
    )
    assert collected.get_column("period").to_list() == MONTHLY["period"]
    eager = report.to_frame(backend="polars")
    assert isinstance(eager, pl.DataFrame)
    assert eager["period"].dtype == pl.Date


def test_to_frame_on_pandas_gives_nan_for_undefined_kpis():
    frame = compute_kpis(pandas_events()).to_frame()
    assert frame["visitors"].tolist() == [3, 1, 1]
    assert math.isnan(frame["cac"].iloc[2])


def test_to_frame_can_target_an_engine():
    import duckdb  # noqa: PLC0415

    relation = compute_kpis(pandas_events()).to_frame(backend="duckdb")
    assert isinstance(relation, duckdb.DuckDBPyRelation)
    assert relation.aggregate("sum(orders)").fetchall() == [(4,)]  # 1 + 2 + 1


def test_json_round_trip_keeps_every_value_and_writes_null():
    report = compute_kpis(pandas_events(), by="channel")
    text = report.model_dump_json()
    assert "NaN" not in text
    assert json.loads(text)["rows"][0]["retention_rate"] is None
    again = KPIReport.model_validate_json(text)
    assert again.to_dict() == report.to_dict()
    assert again.notes == report.notes
    assert again.event_schema == report.event_schema


def test_definitions_cover_every_kpi_column():
    report = compute_kpis(pandas_events())
    assert list(report.definitions) == COLUMNS[1:]


def test_input_frame_is_not_modified(constructor):
    events = constructor(pandas_events())
    before = nw.from_native(events).lazy().collect().to_pandas()
    compute_kpis(events, by="channel")
    after = nw.from_native(events).lazy().collect().to_pandas()
    pd.testing.assert_frame_equal(after, before)


def test_no_spend_rows_makes_spend_kpis_null_with_one_note(constructor):
    events = pandas_events()
    events = events[events["event_type"] != "spend"]
    report = compute_kpis(constructor(events))
    assert all(math.isnan(r.spend) and math.isnan(r.roas) for r in report.rows)
    assert (
        "spend, cpa, cac and roas are null: the events hold no spend rows (3 rows)." in report.notes
    )


def test_purchases_without_order_id_count_one_order_each(constructor):
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "timestamp": [D(2024, 1, 5)] * 3,
            "event_type": ["purchase"] * 3,
            "revenue": [1.0, 2.0, 3.0],
            "order_id": ["o1", None, None],
        }
    )
    assert compute_kpis(constructor(events)).rows[0].orders == 3  # o1 + 2 purchases without an id


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            {"period": "H"},
            "The 'period' parameter of compute_kpis must be one of ['D', 'W', 'M', 'Q', 'Y'] or None. Got 'H' instead.",
        ),
        (
            {"by": "orders"},
            "The 'by' parameter of compute_kpis must not name report columns. Got ['orders'] instead.",
        ),
        (
            {"by": ["channel", "channel"]},
            "The 'by' parameter of compute_kpis must be a column name or a sequence of distinct column names. Got ['channel', 'channel'] instead.",
        ),
        (
            {"churn_from": "x"},
            "The 'churn_from' parameter of compute_kpis must be one of 'activity', 'events'. Got 'x' instead.",
        ),
        (
            {"csat_threshold": 6},
            "The 'csat_threshold' parameter of compute_kpis must be a whole number in the csat_scale [1, 5]. Got 6 instead.",
        ),
        (
            {"csat_scale": (5, 1)},
            "The 'csat_scale' parameter of compute_kpis must be a (low, high) pair of whole numbers with low < high. Got (5, 1) instead.",
        ),
    ],
)
def test_bad_options_raise_named_errors(options, expected):
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(pandas_events(), **options)
    assert str(excinfo.value) == expected


def test_bad_events_raise_through_compute_kpis(constructor):
    with pytest.raises(ColumnNotFoundError, match=r"\['region'\]"):
        compute_kpis(constructor(pandas_events()), by="region")
    negative = pandas_events().assign(cost=lambda d: d["cost"].replace(50.0, -50.0))
    with pytest.raises(
        InvalidInputError, match=r"Column 'cost' of events must be >= 0\. Got 1 row"
    ):
        compute_kpis(constructor(negative))


def test_csat_scale_and_threshold_options(constructor):
    # web csat answers 4 and 2 on a 1-7 scale with threshold 2: both satisfied -> 2/2.
    report = compute_kpis(
        constructor(pandas_events()), period=None, csat_scale=(1, 7), csat_threshold=2
    )
    assert report.rows[0].csat == 1.0
