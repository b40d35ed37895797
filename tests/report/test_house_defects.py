"""Regression tests of the defects found while restructuring the centre (issue #14).

Each expected value is counted by hand from the small frames below.
"""

from __future__ import annotations

import datetime as dt
import math

import narwhals.stable.v2 as nw
import pandas as pd
import pytest

from retention_kpis import compute_kpis, engagement_kpis
from retention_kpis.exceptions import InvalidInputError


def _as_pandas(native):
    frame = nw.from_native(native)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


def _day_events() -> pd.DataFrame:
    # Two customers; `day` is a datetime.date segment column (object dtype in pandas).
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "timestamp": ["2024-01-05 10:00", "2024-01-05 11:00", "2024-01-06 09:00"],
            "event_type": ["visit", "purchase", "purchase"],
            "revenue": [None, 10.0, 30.0],
            "day": [dt.date(2024, 1, 5), dt.date(2024, 1, 5), dt.date(2024, 1, 6)],
        }
    )


def test_engagement_kpis_keep_date_segments_as_dates_on_every_backend(constructor):
    # Before the fix engagement_kpis had its own dtype helper without dates: pandas returned
    # the segment as strings and polars raised its own TypeError.
    table = _as_pandas(
        engagement_kpis(constructor(_day_events()), period=None, by="day", referral_channel=None)
    )
    assert [value.date() if hasattr(value, "date") else value for value in table["day"]] == [
        dt.date(2024, 1, 5),
        dt.date(2024, 1, 6),
    ]
    assert not any(isinstance(value, str) for value in table["day"])
    assert list(table["customers"]) == [1, 1]


def test_engagement_kpis_and_compute_kpis_agree_on_the_segment_type():
    events = _day_events()
    report = compute_kpis(events, period=None, by="day").to_frame()
    table = engagement_kpis(events, period=None, by="day", referral_channel=None)
    assert list(report["day"]) == list(table["day"]) == [dt.date(2024, 1, 5), dt.date(2024, 1, 6)]


def test_retention_rate_does_not_count_reactivated_customers_as_retained():
    # January: a, b, c buy. February: only a. March: a, b (b reactivated), d (new).
    # March retention = customers active in both February and March / February's active
    # = {a} / {a} = 1.0; with b counted as retained it would be 2 / 1 (above 1).
    # February retention = {a} / {a, b, c} = 1/3.
    rows = [
        ("a", "2024-01-03"),
        ("b", "2024-01-04"),
        ("c", "2024-01-05"),
        ("a", "2024-02-03"),
        ("a", "2024-03-03"),
        ("b", "2024-03-04"),
        ("d", "2024-03-05"),
    ]
    events = pd.DataFrame(
        {
            "customer_id": [c for c, _ in rows],
            "timestamp": [t for _, t in rows],
            "event_type": "purchase",
            "revenue": 5.0,
        }
    )
    report = compute_kpis(events, period="M")
    retention = [row.retention_rate for row in report.rows]
    assert math.isnan(retention[0])
    assert retention[1] == pytest.approx(1 / 3)
    assert retention[2] == 1.0
    assert [row.churn_rate for row in report.rows][1:] == [pytest.approx(2 / 3), 0.0]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda w: compute_kpis(_day_events(), engagement=True, click_window=w), "click_window"),
        (
            lambda w: engagement_kpis(_day_events(), click_window=w, referral_channel=None),
            "click_window",
        ),
    ],
)
def test_decimal_durations_are_accepted_by_the_facades(call, name):
    # "1.5D" = 129,600 s: attribute() accepted it and compute_kpis(click_window=...) did not.
    call("1.5D")
    call(dt.timedelta(hours=36))


@pytest.mark.parametrize(("role", "event"), [("revenue", "purchase"), ("cost", "spend")])
def test_an_amount_sum_overflowing_to_inf_names_the_column_on_every_backend(
    constructor, role, event
):
    # Issue #16 item 15: two finite 1e308 amounts sum to inf (beyond 1.8e308). Before: "The 'revenue'
    # parameter of average_order_value must be finite. Got inf instead." (a metric's argument).
    events = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "timestamp": ["2024-01-05", "2024-01-06"],
            "event_type": [event, event],
            "amount": [1e308, 1e308],
        }
    )
    schema = {"revenue": "amount"} if role == "revenue" else {"cost": "amount"}
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(constructor(events), schema=schema)
    rows = "purchases" if role == "revenue" else "spend rows"
    assert str(excinfo.value) == (
        f"Column 'amount' of events sums to more than the largest float (1.8e308) over the {rows} "
        "of one period and segment, so the KPIs built on it would be inf.\n"
        "Hint: the amounts are probably in the wrong unit; rescale the column."
    )
