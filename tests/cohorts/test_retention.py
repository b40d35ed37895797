"""Tests of retention_kpis.cohorts.retention (cohort_retention)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import ColumnNotFoundError, EventSchema, InvalidInputError
from retention_kpis.cohorts import CohortTable, cohort_retention


def frame(rows):
    """Events from (customer, timestamp, event_type) rows; purchases get revenue 10."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime([str(r[1]) for r in rows], format="ISO8601"),
            "event_type": [r[2] if len(r) > 2 else "purchase" for r in rows],
            "revenue": [
                10.0 if (r[2] if len(r) > 2 else "purchase") == "purchase" else None for r in rows
            ],
        }
    )


# Worked example A (monthly). Cohorts by first purchase:
#   Jan: a (Jan 5; returns Feb 10, Apr 2), b (Jan 20; returns Mar 15), c (Jan 31; never)  -> size 3
#   Feb: d (Feb 3; returns Feb 20, Mar 1), e (Feb 28; returns Apr 30 23:00)                -> size 2
A = frame(
    [
        ("a", "2024-01-05"),
        ("a", "2024-02-10"),
        ("a", "2024-04-02"),
        ("b", "2024-01-20"),
        ("b", "2024-03-15"),
        ("c", "2024-01-31"),
        ("d", "2024-02-03"),
        ("d", "2024-02-20"),
        ("d", "2024-03-01"),
        ("e", "2024-02-28"),
        ("e", "2024-04-30 23:00"),
    ]
)
END_A = dt.date(2024, 4, 30)  # observed through 2024-04-30 23:59:59: April is complete


def test_on_calendar_monthly_matches_hand_count():
    table = cohort_retention(A, mode="on", observation_end=END_A)
    # Calendar offsets: Jan cohort: a -> Feb (1), Apr (3); b -> Mar (2); c -> none.
    #                   Feb cohort: d -> Feb (0, the cohort month), Mar (1); e -> Apr (2).
    # Last complete offset: Jan cohort: April = offset 3; Feb cohort: April = offset 2.
    assert table.cohorts == (dt.date(2024, 1, 1), dt.date(2024, 2, 1))
    assert table.columns == ("0", "1", "2", "3")
    assert table.cohort_sizes == (3, 2)
    assert table.counts == ((3, 1, 1, 1), (2, 1, 1, None))
    assert table.shares == ((1.0, 1 / 3, 1 / 3, 1 / 3), (1.0, 0.5, 0.5, None))
    # Weighted average over complete cells: offset 1: (1 + 1) / (3 + 2) = 0.4;
    # offset 2: (1 + 1) / 5 = 0.4; offset 3: only Jan is complete: 1 / 3.
    assert table.average == pytest.approx((1.0, 0.4, 0.4, 1 / 3))


def test_on_or_after_calendar_monthly_matches_hand_count():
    table = cohort_retention(A, mode="on_or_after", observation_end=END_A)
    # Latest return offset: a 3, b 2, c none | d 1, e 2.
    # Jan: k=1: a, b -> 2; k=2: a, b -> 2; k=3: a -> 1.  Feb: k=1: d, e -> 2; k=2: e -> 1.
    assert table.counts == ((3, 2, 2, 1), (2, 2, 1, None))
    # Average: k=1: (2 + 2) / 5 = 0.8; k=2: (2 + 1) / 5 = 0.6; k=3: 1 / 3.
    assert table.average == pytest.approx((1.0, 0.8, 0.6, 1 / 3))


def test_bracket_calendar_monthly_matches_hand_count():
    table = cohort_retention(A, mode="bracket", brackets=[(1, 1), (2, 3)], observation_end=END_A)
    # Jan: bracket 1: a -> 1; bracket 2-3: a (Apr), b (Mar) -> 2 (each customer once).
    # Feb: bracket 1: d -> 1; bracket 2-3 ends at offset 3 = May, not observed -> None.
    assert table.columns == ("0", "1", "2-3")
    assert table.offsets == ((0, 0), (1, 1), (2, 3))
    assert table.counts == ((3, 1, 2), (2, 1, None))
    assert table.average == pytest.approx((1.0, 2 / 5, 2 / 3))


def test_on_rolling_monthly_uses_30_day_periods_from_each_first_purchase():
    table = cohort_retention(A, mode="on", window="rolling", observation_end=END_A)
    # Days after each customer's own first purchase; offset = days // 30:
    #   a: Feb 10 = 36 d -> 1; Apr 2 = 88 d -> 2.   b: Mar 15 = 55 d -> 1.
    #   d: Feb 20 = 17 d, Mar 1 = 27 d -> 0.         e: Apr 30 23:00 = 62 d 23 h -> 2.
    # Complete while (k + 1) * 30 d after the cohort's LATEST first purchase <= May 1 00:00:
    #   Jan (latest c, Jan 31): 91 d -> k <= 2;  Feb (latest e, Feb 28): 63 d -> k <= 1.
    assert table.counts == ((3, 2, 1), (2, 0, None))
    assert table.average == pytest.approx((1.0, 2 / 5, 1 / 3))


def test_default_observation_end_is_the_latest_timestamp_and_leaves_open_periods_null():
    table = cohort_retention(A)
    # Latest event: Apr 30 23:00, so April is not complete: Jan is observed to offset 2 (Mar),
    # Feb to offset 1 (Mar).
    assert table.observation_end == dt.datetime(2024, 4, 30, 23, 0)  # noqa: DTZ001 - naive
    assert table.counts == ((3, 1, 1), (2, 1, None))


def test_weekly_cohorts_start_on_monday():
    events = frame(
        [
            ("x", "2024-01-07"),  # Sunday of the week of Monday Jan 1
            ("x", "2024-01-08"),  # Monday: next week -> offset 1
            ("y", "2024-01-08"),  # cohort week Jan 8
            ("y", "2024-01-14"),  # Sunday, same week -> offset 0
            ("y", "2024-01-22"),  # two weeks later -> offset 2
        ]
    )
    table = cohort_retention(events, period="W", observation_end=dt.date(2024, 1, 28))
    # Observed through Sunday Jan 28: week Jan 1 to offset 3 (Jan 22), week Jan 8 to offset 2.
    assert table.cohorts == (dt.date(2024, 1, 1), dt.date(2024, 1, 8))
    assert table.counts == ((1, 1, 0, 0), (1, 0, 1, None))


def test_daily_calendar_and_rolling_windows_differ_around_midnight():
    events = frame([("z", "2024-01-01 23:00"), ("z", "2024-01-02 01:00")])
    calendar = cohort_retention(events, period="D", observation_end=dt.date(2024, 1, 3))
    rolling = cohort_retention(
        events, period="D", window="rolling", observation_end=dt.date(2024, 1, 3)
    )
    # Calendar: Jan 2 is the next calendar day -> offset 1; observed to Jan 3 = offset 2.
    assert calendar.counts == ((1, 1, 0),)
    # Rolling: 2 hours after the first purchase -> offset 0; offset 1 ends Jan 3 23:00, the
    # last complete offset is 1 (49 h observed // 24 h - 1).
    assert rolling.counts == ((1, 0),)


def test_distinct_cohort_and_return_events_ignore_returns_before_the_cohort_event():
    events = frame(
        [
            ("u", "2024-01-10", "purchase"),  # before the signup: not a return
            ("u", "2024-02-01", "signup"),
            ("u", "2024-03-03", "purchase"),
            ("v", "2024-02-05", "signup"),
        ]
    )
    table = cohort_retention(
        events, cohort_event="signup", return_event="purchase", observation_end=dt.date(2024, 3, 31)
    )
    # Cohort Feb = {u, v}; u buys in March (offset 1); the January purchase is ignored.
    assert table.cohorts == (dt.date(2024, 2, 1),)
    assert table.counts == ((2, 1),)
    assert (table.cohort_event, table.return_event) == ("signup", "purchase")


def test_events_after_observation_end_are_not_used():
    late = pd.concat([A, frame([("c", "2024-05-02")])], ignore_index=True)
    assert cohort_retention(late, observation_end=END_A) == cohort_retention(
        A, observation_end=END_A
    )


def test_custom_event_names_and_schema_mapping():
    renamed = A.rename(columns={"customer_id": "user"}).assign(event_type="order")
    schema = EventSchema(customer_id="user")
    table = cohort_retention(renamed, cohort_event="order", schema=schema, observation_end=END_A)
    assert table.counts == ((3, 1, 1, 1), (2, 1, 1, None))


def test_empty_events_give_an_empty_table():
    table = cohort_retention(A.iloc[:0])
    assert (table.cohorts, table.columns, table.average) == ((), ("0",), (None,))


def test_to_frame_wide_and_long_keep_nulls_as_missing_not_zero():
    table = cohort_retention(A, observation_end=END_A)
    wide = table.to_frame("counts")
    assert wide.columns.tolist() == ["cohort", "cohort_size", "0", "1", "2", "3"]
    assert wide["3"].isna().tolist() == [False, True]
    long = table.to_frame("shares", form="long")
    assert len(long) == 2 * 4
    assert long.columns.tolist() == [
        "cohort",
        "cohort_size",
        "offset",
        "offset_start",
        "offset_end",
        "shares",
    ]
    assert long["shares"].isna().sum() == 1


def test_cohort_table_is_frozen_and_round_trips_json():
    table = cohort_retention(A, mode="bracket", brackets=[(1, 3)], observation_end=END_A)
    # Feb's bracket 1-3 ends with May, not observed: null in JSON, None back in Python.
    assert CohortTable.model_validate_json(table.model_dump_json()) == table
    assert json.loads(table.model_dump_json())["counts"] == [[3, 2], [2, None]]
    with pytest.raises(ValueError, match="frozen"):
        table.mode = "on"


def test_cohort_table_rejects_shares_outside_unit_interval():
    table = cohort_retention(A, observation_end=END_A)
    bad = table.model_dump()
    bad["shares"] = ((1.0, 1.5, 0.0, 0.0), (1.0, 0.5, 0.5, None))
    with pytest.raises(ValueError, match="less than or equal to 1"):
        CohortTable.model_validate(bad)


@pytest.mark.parametrize(
    ("mode", "brackets", "window"),
    [
        ("on", None, "calendar"),
        ("on_or_after", None, "calendar"),
        ("bracket", [(1, 1), (2, 3)], "calendar"),
        ("on", None, "rolling"),
        ("on_or_after", None, "rolling"),
        ("bracket", [(1, 1), (2, 3)], "rolling"),
    ],
)
def test_every_backend_gives_the_same_table(in_process_constructor, mode, brackets, window):
    expected = cohort_retention(
        A, mode=mode, brackets=brackets, window=window, observation_end=END_A
    )
    got = cohort_retention(
        in_process_constructor(A),
        mode=mode,
        brackets=brackets,
        window=window,
        observation_end=END_A,
    )
    assert got == expected


@pytest.mark.slow
def test_pyspark_gives_the_same_bracket_rolling_table(spark):
    brackets = [(1, 1), (2, 3)]
    expected = cohort_retention(
        A, mode="bracket", brackets=brackets, window="rolling", observation_end=END_A
    )
    native = spark.createDataFrame(pa.Table.from_pandas(A, preserve_index=False))
    got = cohort_retention(
        native, mode="bracket", brackets=brackets, window="rolling", observation_end=END_A
    )
    assert got == expected


# ---- Properties ------------------------------------------------------------------------------
BASE = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - event times are naive wall-clock times


@st.composite
def random_events(draw):
    n = draw(st.integers(1, 25))
    customers = draw(st.lists(st.sampled_from("abcdef"), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 24 * 120), min_size=n, max_size=n))
    return frame([(c, BASE + dt.timedelta(hours=h)) for c, h in zip(customers, hours, strict=True)])


def naive_on_counts(events, end, period_days=None):
    """Independent reference: per cohort month, distinct customers returning in offset k."""
    firsts = events.groupby("customer_id")["timestamp"].min()
    counts = {}
    for row in events.itertuples():
        t0 = firsts[row.customer_id]
        if row.timestamp > end:
            continue
        if period_days is None:
            k = (row.timestamp.year * 12 + row.timestamp.month) - (t0.year * 12 + t0.month)
        else:
            k = int((row.timestamp - t0).total_seconds() // (period_days * 86400))
        if k >= 1:
            cohort = dt.date(t0.year, t0.month, 1)
            counts.setdefault((cohort, k), set()).add(row.customer_id)
    return {key: len(value) for key, value in counts.items()}


@settings(max_examples=15, deadline=None)
@given(random_events(), st.sampled_from(["calendar", "rolling"]))
def test_on_counts_match_an_independent_count(events, window):
    end = events["timestamp"].max().to_pydatetime()
    table = cohort_retention(events, window=window)
    reference = naive_on_counts(events, end, None if window == "calendar" else 30)
    for cohort, row in zip(table.cohorts, table.counts, strict=True):
        for (lo, _), n in zip(table.offsets[1:], row[1:], strict=True):
            if n is not None:
                assert n == reference.get((cohort, lo), 0)


@settings(max_examples=15, deadline=None)
@given(random_events(), st.sampled_from(["calendar", "rolling"]), st.sampled_from(["D", "W", "M"]))
def test_offset_zero_is_one_shares_are_fractions_and_on_or_after_dominates_on(
    events, window, period
):
    on = cohort_retention(events, period=period, window=window)
    after = cohort_retention(events, period=period, window=window, mode="on_or_after")
    assert on.columns == after.columns
    for row_on, row_after in zip(on.shares, after.shares, strict=True):
        assert row_on[0] == 1.0
        for a, b in zip(row_on, row_after, strict=True):
            assert (a is None) == (b is None)
            if a is not None:
                assert 0.0 <= a <= b <= 1.0
    assert all(v is None or 0.0 <= v <= 1.0 for v in on.average)


@settings(max_examples=10, deadline=None)
@given(random_events(), st.randoms(use_true_random=False))
def test_table_is_invariant_to_row_order_and_input_is_not_mutated(events, random):
    before = events.copy()
    table = cohort_retention(events, mode="on_or_after")
    pd.testing.assert_frame_equal(events, before)
    order = list(range(len(events)))
    random.shuffle(order)
    assert cohort_retention(events.iloc[order], mode="on_or_after") == table


def test_polars_eager_and_lazy_give_the_pandas_table():
    expected = cohort_retention(A, mode="on_or_after", window="rolling", observation_end=END_A)
    for native in (pl.from_pandas(A), pl.from_pandas(A).lazy()):
        assert (
            cohort_retention(native, mode="on_or_after", window="rolling", observation_end=END_A)
            == expected
        )


# ---- Bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"mode": "daily"},
            "The 'mode' parameter of cohort_retention must be one of 'on', 'on_or_after', 'bracket'. Got 'daily' instead.",
        ),
        (
            {"period": "Q"},
            "The 'period' parameter of cohort_retention must be one of 'D', 'W', 'M'. Got 'Q' instead.",
        ),
        (
            {"window": "sliding"},
            "The 'window' parameter of cohort_retention must be one of 'calendar', 'rolling'. Got 'sliding' instead.",
        ),
        (
            {"mode": "bracket"},
            "The 'brackets' parameter of cohort_retention must be a non-empty list of (first, last) offsets. Got None instead.",
        ),
        (
            {"mode": "bracket", "brackets": [(1, 3), (2, 4)]},
            "The 'brackets' parameter of cohort_retention must be sorted and must not overlap (each first > previous last). Got [(1, 3), (2, 4)] instead.",
        ),
        (
            {"mode": "bracket", "brackets": [(4, 6), (1, 1)]},
            "The 'brackets' parameter of cohort_retention must be sorted and must not overlap (each first > previous last). Got [(4, 6), (1, 1)] instead.",
        ),
        (
            {"mode": "bracket", "brackets": [(0, 1)]},
            "The 'brackets' parameter of cohort_retention must hold pairs with 1 <= first <= last. Got [(0, 1)] instead.",
        ),
        (
            {"mode": "bracket", "brackets": [(3, 2)]},
            "The 'brackets' parameter of cohort_retention must hold pairs with 1 <= first <= last. Got [(3, 2)] instead.",
        ),
        (
            {"mode": "bracket", "brackets": [(1, 2.5)]},
            "The 'brackets' parameter of cohort_retention must hold (first, last) pairs of whole offsets. Got [(1, 2.5)] instead.",
        ),
        (
            {"mode": "bracket", "brackets": []},
            "The 'brackets' parameter of cohort_retention must be a non-empty list of (first, last) offsets. Got [] instead.",
        ),
        (
            {"brackets": [(1, 1)]},
            "The 'brackets' parameter of cohort_retention is only used with mode='bracket'. Got [(1, 1)] instead.",
        ),
        (
            {"cohort_event": ""},
            "The 'cohort_event' parameter of cohort_retention must be a non-empty string. Got '' instead.",
        ),
        (
            {"observation_end": "2024-04-30"},
            "The 'observation_end' parameter of cohort_retention must be a datetime, a date or None. Got '2024-04-30' instead.",
        ),
        (
            {"observation_end": dt.datetime(2024, 4, 30, tzinfo=dt.timezone.utc)},
            "The 'observation_end' parameter of cohort_retention must be a naive datetime (event timestamps are compared as wall-clock times). Got datetime.datetime(2024, 4, 30, 0, 0, tzinfo=datetime.timezone.utc) instead.",
        ),
    ],
)
def test_bad_options_raise_named_errors(kwargs, message):
    with pytest.raises(InvalidInputError) as excinfo:
        cohort_retention(A, **kwargs)
    assert str(excinfo.value) == message


def test_missing_columns_raise_column_not_found():
    with pytest.raises(ColumnNotFoundError, match=r"Missing column\(s\) \['customer_id'\]"):
        cohort_retention(A.drop(columns="customer_id"))
