"""Tests of retention_kpis.attribution.attribute: backends, properties, options and errors."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_kpis import ColumnNotFoundError, InvalidInputError, validate_events
from retention_kpis.attribution import (
    MODELS,
    AttributionResult,
    ChannelTotals,
    attribute,
    attributed_channel_totals,
)


def from_pandas(df):
    return df


def from_polars(df):
    return pl.from_pandas(df)


def from_polars_lazy(df):
    return pl.from_pandas(df).lazy()


def from_pyarrow(df):
    return pa.Table.from_pandas(df, preserve_index=False)


def from_duckdb(df):
    return duckdb.from_arrow(pa.Table.from_pandas(df, preserve_index=False))


CONSTRUCTORS = [from_pandas, from_polars, from_polars_lazy, from_pyarrow, from_duckdb]


def without_backend(result):
    return result.model_copy(update={"backend": "pandas", "lazy": False}).model_dump_json()


@pytest.mark.parametrize("constructor", CONSTRUCTORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("model", ["linear", "markov", "shapley"])
def test_every_backend_gives_the_same_result_to_the_last_bit(worked_example, constructor, model):
    reference = attribute(worked_example, model=model, period="W")
    result = attribute(constructor(worked_example), model=model, period="W")
    assert without_backend(result) == without_backend(reference)


@pytest.mark.parametrize("model", ["linear", "markov", "shapley"])
def test_pyspark_gives_the_same_result_to_the_last_bit(worked_example, spark, model):
    reference = attribute(worked_example, model=model, period="W")
    native = spark.createDataFrame(pa.Table.from_pandas(worked_example, preserve_index=False))
    assert without_backend(attribute(native, model=model, period="W")) == without_backend(reference)


@pytest.mark.parametrize(
    ("constructor", "kind"),
    [
        (from_pandas, pd.DataFrame),
        (from_polars_lazy, pl.LazyFrame),
        (from_pyarrow, pa.Table),
        (from_duckdb, duckdb.DuckDBPyRelation),
    ],
)
def test_to_frame_returns_the_input_kind(worked_example, constructor, kind):
    # Lazy in, lazy out (issue #5): more kinds and the values in tests/backends/test_journey_kinds.py.
    frame = attribute(constructor(worked_example), model="linear").to_frame()
    assert isinstance(frame, kind)
    if isinstance(frame, pl.LazyFrame):
        names = frame.collect_schema().names()
    else:
        names = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
    assert names == [
        "channel",
        "conversions",
        "revenue",
    ]


def test_to_frame_with_period_and_segment_columns(worked_example):
    events = worked_example.assign(country="fr")
    frame = attribute(events, model="first_touch", period="M", by="country").to_frame(
        backend="polars"
    )
    assert frame.columns == ["period", "country", "channel", "conversions", "revenue"]
    assert frame.row(0) == (dt.date(2024, 1, 1), "fr", "A", 2.0, 150.0)


def test_result_round_trips_json_with_nan_removal_effects(worked_example):
    result = attribute(worked_example, model="time_decay")
    text = result.model_dump_json()
    assert '"removal_effect":null' in text
    assert AttributionResult.model_validate_json(text).model_dump_json() == text


def test_result_totals_and_parameters(worked_example):
    result = attribute(worked_example, model="position_based", lookback="2W", half_life="12h")
    assert (result.conversions, result.revenue) == (2, 150.0)
    assert (result.converting_paths, result.conversions_without_touch) == (2, 0)
    assert result.non_converting_journeys == 1
    assert result.parameters.lookback_seconds == 14 * 86_400
    assert result.parameters.half_life_seconds == 12 * 3_600


def test_input_frame_is_not_modified(worked_example):
    before = worked_example.copy()
    attribute(worked_example, model="markov", by=None, period="M")
    pd.testing.assert_frame_equal(worked_example, before)


def test_empty_events_give_empty_credit(worked_example):
    result = attribute(worked_example.iloc[:0], model="markov")
    assert (result.conversions, result.revenue, result.credits) == (0, 0.0, ())
    assert result.to_frame().shape == (0, 3)


# ---------------------------------------------------------------- properties

CHANNELS = ["A", "B", "C", "direct", None]


@st.composite
def event_frames(draw):
    n = draw(st.integers(1, 25))
    rows = []
    for _ in range(n):
        is_purchase = draw(st.booleans())
        rows.append(
            {
                "customer_id": draw(st.integers(1, 4)),
                "timestamp": pd.Timestamp("2024-01-01")
                + pd.Timedelta(hours=draw(st.integers(0, 24 * 40))),
                "event_type": "purchase" if is_purchase else "visit",
                "channel": None if is_purchase else draw(st.sampled_from(CHANNELS)),
                "revenue": draw(st.integers(0, 100_000)) / 100 if is_purchase else None,
                "country": draw(st.sampled_from(["fr", "de"])),
            }
        )
    frame = pd.DataFrame(rows)
    frame["channel"] = frame["channel"].astype(object)
    frame["revenue"] = frame["revenue"].astype("float64")
    return frame


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    event_frames(),
    st.sampled_from(MODELS),
    st.sampled_from(["1D", "10D", "30D"]),
    st.sampled_from([None, "country"]),
    st.randoms(use_true_random=False),
)
def test_credit_is_conserved_non_negative_and_independent_of_row_order(
    events, model, lookback, by, random
):
    before = events.copy()
    result = attribute(events, model=model, lookback=lookback, by=by)
    pd.testing.assert_frame_equal(events, before)
    purchases = events[events["event_type"] == "purchase"]
    assert result.conversions == len(purchases)
    assert result.revenue == pytest.approx(purchases["revenue"].sum(), rel=1e-12, abs=1e-9)
    conversions = math.fsum(c.conversions for c in result.credits)
    revenue = math.fsum(c.revenue for c in result.credits)
    assert conversions == pytest.approx(result.conversions, rel=1e-9, abs=1e-9)
    assert revenue == pytest.approx(result.revenue, rel=1e-9, abs=1e-9)
    assert all(c.conversions >= 0 and c.revenue >= 0 for c in result.credits)
    order = list(range(len(events)))
    random.shuffle(order)
    shuffled = attribute(events.iloc[order], model=model, lookback=lookback, by=by)
    assert shuffled.model_dump_json() == result.model_dump_json()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_frames(), st.sampled_from(MODELS))
def test_polars_gives_the_same_result_as_pandas(events, model):
    reference = attribute(events, model=model, period="D")
    assert without_backend(attribute(pl.from_pandas(events), model=model, period="D")) == (
        without_backend(reference)
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_frames())
def test_single_touch_paths_give_every_model_the_same_credit(events):
    # With one touch per path, every rule gives that touch 100 %.
    events = events[events["event_type"] == "purchase"]
    touches = events.assign(event_type="visit", channel="A", revenue=float("nan"))
    frame = pd.concat([touches, events], ignore_index=True)
    for model in ("first_touch", "last_touch", "linear", "time_decay", "position_based"):
        credit = {c.channel: c.conversions for c in attribute(frame, model=model).credits}
        assert credit == ({"A": float(len(events))} if len(events) else {})


# ---------------------------------------------------------------- facade hook


def test_attributed_channel_totals_are_keyed_by_period_index_and_channel(worked_example):
    # January 2024 is period index 2024 * 12 + 0 = 24288 (retention_kpis._core.calendar).
    totals = attributed_channel_totals(worked_example, model="markov", period="M")
    assert list(totals) == [(24288, "A"), (24288, "B"), (24288, "C")]
    assert totals[(24288, "A")] == pytest.approx(ChannelTotals(18 / 23, 150 * 9 / 23))


def test_attributed_channel_totals_accept_prepared_events(worked_example):
    prepared = validate_events(worked_example, by=["channel"])
    totals = attributed_channel_totals(prepared, model="first_touch", period=None)
    assert totals == {("A",): (2.0, 150.0), ("B",): (0.0, 0.0), ("C",): (0.0, 0.0)}


def test_attributed_channel_totals_need_the_channel_in_prepared_events(worked_example):
    prepared = validate_events(worked_example)
    with pytest.raises(ColumnNotFoundError, match=r"Missing column\(s\) \['channel'\]"):
        attributed_channel_totals(prepared)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"model": "u_shaped"},
            (
                "The 'model' parameter of attribute must be one of ['first_touch', 'last_touch', "
                "'last_non_direct', 'linear', 'time_decay', 'position_based', 'markov', 'shapley']. "
                "Got 'u_shaped' instead."
            ),
        ),
        (
            {"lookback": "0D"},
            "The 'lookback' parameter of attribute must be a positive duration. Got '0D' instead.",
        ),
        (
            {"lookback": dt.timedelta(days=-1)},
            (
                "The 'lookback' parameter of attribute must be a positive duration. Got datetime.timedelta(days=-1) "
                "instead."
            ),
        ),
        (
            {"lookback": "30 days"},
            (
                "The 'lookback' parameter of attribute must be a timedelta or a string such as "
                "'7D', '1.5h', '30min', '45s' (units s, min, h, D, W). Got '30 days' instead."
            ),
        ),
        ({"half_life": 7}, None),
        (
            {"position_weights": (0.4, 0.4, 0.4)},
            (
                "The 'position_weights' parameter of attribute must be three numbers (first, middle, "
                "last) >= 0 summing to 1. Got (0.4, 0.4, 0.4) instead."
            ),
        ),
        (
            {"position_weights": (0.5, 0.5)},
            (
                "The 'position_weights' parameter of attribute must be three numbers (first, middle, "
                "last) >= 0 summing to 1. Got (0.5, 0.5) instead."
            ),
        ),
        (
            {"touch_events": ["visit", "banner_view"]},
            (
                "The 'touch_events' parameter of attribute must name event types of the schema "
                "(['cart_add', 'checkout', 'churn', 'csat_response', 'email_click', 'email_open', "
                "'email_sent', 'nps_response', 'purchase', 'referral', 'signup', 'spend', "
                "'unsubscribe', 'visit']). Got ['visit', 'banner_view'] instead."
            ),
        ),
        (
            {"conversion_event": "visit"},
            (
                "The 'conversion_event' parameter of attribute must name an event type of the schema "
                "(['cart_add', 'checkout', 'churn', 'csat_response', 'email_click', 'email_open', "
                "'email_sent', 'nps_response', 'purchase', 'referral', 'signup', 'spend', "
                "'unsubscribe', 'visit']) that is not a touch event. Got 'visit' instead."
            ),
        ),
        (
            {"by": "channel"},
            (
                "The 'by' parameter of attribute must not name the channel column or output columns. "
                "Got ['channel'] instead."
            ),
        ),
        (
            {"period": "H"},
            (
                "The 'period' parameter of attribute must be one of ['D', 'W', 'M', 'Q', 'Y'] or None. "
                "Got 'H' instead."
            ),
        ),
        (
            {"no_touch_label": "A"},
            (
                "The 'no_touch_label' parameter of attribute must differ from every channel. Got 'A', "
                "which is a channel of the touches, instead."
            ),
        ),
        (
            {"direct_channel": ""},
            "The 'direct_channel' parameter of attribute must be a non-empty string. Got '' instead.",
        ),
    ],
)
def test_attribute_bad_option_raises_named_error(worked_example, kwargs, message):
    with pytest.raises(InvalidInputError) as excinfo:
        attribute(worked_example, **kwargs)
    if message is None:
        assert str(excinfo.value).startswith("The 'half_life' parameter of attribute must be a ")
    else:
        assert str(excinfo.value) == message


def test_missing_channel_column_raises_column_not_found(worked_example):
    with pytest.raises(ColumnNotFoundError) as excinfo:
        attribute(worked_example.drop(columns="channel"))
    assert str(excinfo.value).startswith(
        "Missing column(s) ['channel'] in events (the touchpoint channel of attribute). "
        "Available columns: ['customer_id', 'timestamp', 'event_type', 'revenue']."
    )


def test_missing_by_column_raises_column_not_found(worked_example):
    with pytest.raises(ColumnNotFoundError, match=r"Missing column\(s\) \['country'\]"):
        attribute(worked_example, by="country")


def test_events_breaking_the_contract_raise_from_validation(worked_example):
    events = worked_example.assign(revenue=worked_example["revenue"].fillna(-1.0))
    with pytest.raises(InvalidInputError, match="must be >= 0"):
        attribute(events)


@pytest.mark.parametrize("model", MODELS)
def test_conversions_without_any_touch_go_to_the_no_touch_bucket(model):
    # Regression (found by hypothesis): no touchpoint at all in the frame used to raise
    # IndexError in time_decay. One purchase, no visit: all credit goes to "(none)".
    events = pd.DataFrame(
        {
            "customer_id": ["a"],
            "timestamp": [dt.datetime(2024, 1, 1)],  # noqa: DTZ001 - naive wall-clock time
            "event_type": ["purchase"],
            "channel": [None],
            "revenue": [0.0],
        }
    )
    result = attribute(events, model=model)
    assert [(row.channel, row.conversions, row.revenue) for row in result.credits] == [
        ("(none)", 1.0, 0.0)
    ]
