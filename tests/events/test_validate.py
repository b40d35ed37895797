"""Tests of retention_kpis.events: the schema models and event validation."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest
from pydantic import ValidationError

from retention_kpis import ColumnNotFoundError, InvalidInputError
from retention_kpis._core.columns import TIMESTAMP
from retention_kpis.events import EventSchema, EventTypes, validate_events

D = dt.datetime

BASE = {
    "customer_id": ["a", "a", None],
    "timestamp": ["2024-01-05 10:00", "2024-01-06", "2024-01-07T08:00:00"],
    "event_type": ["visit", "purchase", "spend"],
    "revenue": [None, 20.0, None],
    "cost": [None, None, 5.0],
    "score": [None, None, None],
    "channel": ["web", "web", "web"],
}


def frame(**changes):
    return pd.DataFrame({**BASE, **changes})


def message(events, **options):
    with pytest.raises(InvalidInputError) as excinfo:
        validate_events(events, **options)
    return str(excinfo.value)


def test_event_types_defaults_equal_their_names_and_other_is_known():
    types = EventTypes(other=("cart_add", "email_open"))
    assert types.named()["nps_response"] == "nps_response"
    assert {"cart_add", "email_open", "visit", "churn"} <= types.known()


def test_event_types_reject_duplicate_names():
    with pytest.raises(ValidationError, match=r"must be distinct. Got \['visit'\] twice"):
        EventTypes(purchase="visit")


def test_event_types_allow_other_to_repeat_a_named_type():
    # so that adding a named type later (cart_add) breaks no schema that listed it in other
    assert "visit" in EventTypes(other=("visit",)).known()


def test_event_schema_is_frozen_and_rejects_duplicate_columns():
    schema = EventSchema()
    with pytest.raises(ValidationError):
        schema.revenue = "amount"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="must be distinct"):
        EventSchema(revenue="cost")
    with pytest.raises(ValidationError):
        EventSchema(unknown="x")  # type: ignore[call-arg]


def test_validate_events_counts_rows_per_type_and_keeps_input_unchanged():
    events = frame()
    before = events.copy(deep=True)
    prepared = validate_events(events)
    assert prepared.type_counts == {"purchase": 1, "spend": 1, "visit": 1}
    assert prepared.columns == frozenset({"revenue", "cost", "score"})
    pd.testing.assert_frame_equal(events, before)


def test_validate_events_renamed_columns_and_types():
    events = frame().rename(columns={"customer_id": "user", "revenue": "amount"})
    events["event_type"] = ["hit", "order", "spend"]
    schema = EventSchema(
        customer_id="user", revenue="amount", event_types=EventTypes(visit="hit", purchase="order")
    )
    assert validate_events(events, schema=schema).type_counts == {"hit": 1, "order": 1, "spend": 1}


def test_missing_required_column_lists_missing_and_available_with_hint():
    events = frame().drop(columns=["timestamp"])
    with pytest.raises(ColumnNotFoundError) as excinfo:
        validate_events(events)
    assert str(excinfo.value) == (
        "Missing column(s) ['timestamp'] in events (required). Available columns: "
        "['customer_id', 'event_type', 'revenue', 'cost', 'score', 'channel'].\n"
        "Hint: map your column names with EventSchema(customer_id='user_id', ...), "
        "or pass `by` columns that exist."
    )


def test_missing_revenue_column_is_an_error_only_when_purchases_exist():
    with pytest.raises(
        ColumnNotFoundError, match=r"\['revenue'\] in events \(needed by 'purchase' events\)"
    ):
        validate_events(frame().drop(columns=["revenue"]))
    visits_only = frame().drop(columns=["revenue"]).iloc[[0]]
    assert validate_events(visits_only).type_counts == {"visit": 1}


def test_missing_score_column_names_the_survey_type_present():
    events = frame(event_type=["visit", "purchase", "csat_response"], customer_id=["a", "a", "b"])
    with pytest.raises(ColumnNotFoundError, match=r"needed by 'csat_response' events"):
        validate_events(events.drop(columns=["score"]))


def test_missing_by_column():
    with pytest.raises(
        ColumnNotFoundError, match=r"Missing column\(s\) \['region'\] in events \('by' segments\)"
    ):
        validate_events(frame(), by=["region"])


def test_unparseable_timestamp_strings_are_counted():
    events = frame(timestamp=["2024-01-05", "yesterday", "05/01/2024"])
    assert message(events) == (
        "Column 'timestamp' of events holds 2 rows that cannot be parsed as ISO 8601 "
        "timestamps (first: 'yesterday').\nHint: convert the column to datetimes first."
    )


def test_null_timestamp_is_counted():
    events = frame(timestamp=[D(2024, 1, 5), None, D(2024, 1, 6)])
    assert (
        message(events)
        == "Column 'timestamp' of events is null on 1 row (event types: 'purchase')."
    )


def test_non_temporal_timestamp_dtype_is_rejected():
    assert message(frame(timestamp=[1, 2, 3])) == (
        "Column 'timestamp' of events must hold datetimes, dates or ISO 8601 strings. Got dtype Int64 instead."
    )


def test_mixed_aware_and_naive_strings():
    events = frame(timestamp=["2024-01-05T10:00+01:00", "2024-01-06", "2024-01-07T08:00:00Z"])
    assert message(events) == (
        "Column 'timestamp' of events mixes time zones: 2 rows with a UTC offset and 1 row without.\n"
        "Hint: convert every timestamp to one time zone first."
    )


def test_different_offsets_in_object_column_of_datetimes():
    paris = dt.timezone(dt.timedelta(hours=1))
    stamps = pd.Series(
        [
            D(2024, 1, 5, tzinfo=paris),
            D(2024, 1, 6, tzinfo=dt.UTC),
            D(2024, 1, 7, tzinfo=paris),
        ],
        dtype=object,
    )
    assert message(frame(timestamp=stamps)) == (
        "Column 'timestamp' of events mixes time zones: 3 rows carry 2 different UTC offsets.\n"
        "Hint: convert every timestamp to one time zone first."
    )


def test_aware_and_naive_in_object_column_of_datetimes():
    stamps = pd.Series(
        [D(2024, 1, 5, tzinfo=dt.UTC), D(2024, 1, 6), D(2024, 1, 7)],
        dtype=object,
    )
    assert "1 row with a UTC offset and 2 rows without" in message(frame(timestamp=stamps))


def test_null_customer_on_customer_event_but_not_on_spend():
    events = frame(customer_id=[None, None, None])
    assert message(events) == (
        "Column 'customer_id' of events is null on 2 rows of customer events "
        "(event types: 'purchase', 'visit'). Only 'spend' rows may have no customer."
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"cost": [None, None, -5.0]},
            "Column 'cost' of events must be >= 0. Got 1 row that does not (event types: 'spend').",
        ),
        (
            {"revenue": [-1.0, -20.0, None]},
            "Column 'revenue' of events must be >= 0 (refunds are not supported). Got 2 rows that do not (event types: 'purchase', 'visit').",
        ),
        (
            {"revenue": [None, None, None]},
            "Column 'revenue' of events must not be null on purchases. Got 1 row that does not (event types: 'purchase').",
        ),
        (
            {"cost": [None, None, None]},
            "Column 'cost' of events must not be null on spend rows. Got 1 row that does not (event types: 'spend').",
        ),
    ],
)
def test_bad_amounts_are_counted(changes, expected):
    assert message(frame(**changes)) == expected


def test_non_numeric_amount_column_is_rejected():
    assert (
        message(frame(cost=["1", "2", "3"]))
        == "Column 'cost' of events must be numeric. Got dtype String instead."
    )


def survey(kind, scores):
    n = len(scores)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "timestamp": pd.date_range("2024-01-01", periods=n, freq="D"),
            "event_type": [kind] * n,
            "score": scores,
        }
    )


def test_nps_scores_outside_0_10_or_fractional_are_counted():
    assert message(survey("nps_response", [10.0, 11.0, 7.5, -1.0])) == (
        "Column 'score' of events must hold whole NPS scores in [0, 10] on NPS responses. "
        "Got 3 rows that do not (event types: 'nps_response')."
    )


def test_csat_scores_outside_the_scale_follow_csat_scale():
    assert "whole CSAT scores in [1, 5] (csat_scale)" in message(survey("csat_response", [5, 6, 0]))
    assert validate_events(survey("csat_response", [7, 1]), csat_scale=(1, 7)).type_counts == {
        "csat_response": 2
    }


def test_null_score_on_survey_rows():
    assert message(survey("nps_response", [9.0, None])) == (
        "Column 'score' of events must not be null on survey responses. "
        "Got 1 row that does not (event types: 'nps_response')."
    )


def test_unknown_event_types_are_listed_with_counts():
    events = frame(event_type=["visit", "clik", "clik"], customer_id=["a", "a", "a"])
    assert message(events) == (
        "Column 'event_type' of events holds unknown event types: 'clik' (2 rows). Known: "
        "['cart_add', 'checkout', 'churn', 'csat_response', 'email_click', 'email_open', "
        "'email_sent', 'nps_response', 'purchase', 'referral', 'signup', 'spend', 'unsubscribe', "
        "'visit'].\n"
        "Hint: map each to its kind: EventTypes(purchase='...') (console script: --event "
        "purchase=...); name the others in EventSchema(event_types=EventTypes(other=(...))), or "
        "pass unknown_events='ignore' (their rows are dropped)."
    )


def test_unknown_event_types_can_be_ignored_with_a_note():
    events = frame(event_type=["visit", "clik", "clik"], customer_id=["a", "a", "a"])
    prepared = validate_events(events, unknown_events="ignore")
    assert prepared.type_counts == {"visit": 1}
    assert prepared.notes == ("Ignored 2 rows with unknown event types: 'clik' (2 rows).",)
    assert len(prepared.frame.collect()) == 1


def test_other_event_types_are_known():
    events = frame(event_type=["visit", "cart_add", "spend"])
    schema = EventSchema(event_types=EventTypes(other=("cart_add",)))
    assert validate_events(events, schema=schema).type_counts == {
        "cart_add": 1,
        "spend": 1,
        "visit": 1,
    }


def test_null_event_type_is_counted():
    assert (
        message(frame(event_type=["visit", None, "spend"]))
        == "Column 'event_type' of events is null on 1 row."
    )


def test_bad_unknown_events_option_and_non_frame_input():
    assert "must be 'raise' or 'ignore'. Got 'skip' instead." in message(
        frame(), unknown_events="skip"
    )
    assert message([1, 2]) == (
        "The 'events' parameter must be a dataframe narwhals supports (pandas, polars, pyarrow, "
        "DuckDB, ...). Got list instead."
    )


@pytest.mark.parametrize(
    ("timestamps", "expected"),
    [
        (
            ["2024-01-05", "2024-01-05 10:00", "2024-01-05T10:00:30.25"],
            ["2024-01-05 00:00:00", "2024-01-05 10:00:00", "2024-01-05 10:00:30"],
        ),
        (
            ["2024-01-05+01:00", "2024-01-05T23:30+01:00", "2024-01-05 10:00:00+0100"],
            ["2024-01-05 00:00:00", "2024-01-05 23:30:00", "2024-01-05 10:00:00"],
        ),
    ],
)
def test_iso_strings_parse_to_naive_wall_clock_times(timestamps, expected):
    for native in (frame(timestamp=timestamps), pl.DataFrame(frame(timestamp=timestamps))):
        prepared = validate_events(native)
        parsed = prepared.frame.collect().get_column(TIMESTAMP).to_list()
        assert [str(pd.Timestamp(value)) for value in parsed] == expected


def test_aware_datetime_column_keeps_its_local_wall_clock():
    utc = pd.to_datetime(["2024-01-31 23:30", "2024-01-31 10:00", "2024-02-01 12:00"]).tz_localize(
        "UTC"
    )
    events = frame(timestamp=utc.tz_convert("Europe/Paris"))
    parsed = validate_events(events).frame.collect().get_column(TIMESTAMP).to_list()
    assert str(parsed[0]) == "2024-02-01 00:30:00"
