"""Tests of retention_kpis.funnels.funnel."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import ColumnNotFoundError, InvalidInputError, UndefinedKPIWarning
from retention_kpis.funnels import FunnelResult, funnel

STEPS = ["visit", "cart_add", "purchase"]


def frame(rows, **extra):
    """Events from (customer, timestamp, event_type[, channel[, session]]) rows."""
    data = {
        "customer_id": [r[0] for r in rows],
        "timestamp": pd.to_datetime([str(r[1]) for r in rows], format="ISO8601"),
        "event_type": [r[2] for r in rows],
        "revenue": [10.0 if r[2] == "purchase" else None for r in rows],
        "channel": [r[3] if len(r) > 3 else "web" for r in rows],
    }
    if any(len(r) > 4 for r in rows):
        data["session"] = [r[4] for r in rows]
    return pd.DataFrame({**data, **extra})


# Worked example F (window 7 days):
#   u1: visit 10:00, cart 10:10, purchase 10:30                  -> visit, cart, purchase
#   u2: visit 10:00, purchase 10:05, cart 10:10                  -> ordered: visit, cart (no purchase after the cart)
#   u3: visit Jan 1, cart Jan 9 (8 days later, outside 7 days)   -> visit only
#   u4: cart 09:00, visit 10:00, cart 11:00                      -> visit, cart (the cart after the visit)
#   u5: purchase only                                            -> never enters
#   u6: visit Jan 1 10:00, visit Jan 1 12:00, cart Jan 8 11:00   -> visit only: the window runs from the
#       FIRST visit (7 days + 1 h before the cart), later visits do not restart it (Mixpanel's rule)
F = frame(
    [
        ("u1", "2024-01-01 10:00", "visit"),
        ("u1", "2024-01-01 10:10", "cart_add"),
        ("u1", "2024-01-01 10:30", "purchase"),
        ("u2", "2024-01-01 10:00", "visit"),
        ("u2", "2024-01-01 10:05", "purchase"),
        ("u2", "2024-01-01 10:10", "cart_add"),
        ("u3", "2024-01-01 10:00", "visit"),
        ("u3", "2024-01-09 10:00", "cart_add"),
        ("u4", "2024-01-01 09:00", "cart_add"),
        ("u4", "2024-01-01 10:00", "visit"),
        ("u4", "2024-01-01 11:00", "cart_add"),
        ("u5", "2024-01-01 10:00", "purchase"),
        ("u6", "2024-01-01 10:00", "visit"),
        ("u6", "2024-01-01 12:00", "visit"),
        ("u6", "2024-01-08 11:00", "cart_add"),
    ]
)


def test_ordered_funnel_matches_hand_count():
    result = funnel(F, STEPS, within="7D")
    rows = result.rows
    # Entrants: visit u1 u2 u3 u4 u6 = 5; cart u1 u2 u4 = 3; purchase u1 = 1.
    assert [r.entrants for r in rows] == [5, 3, 1]
    assert [r.conversion_from_first for r in rows] == pytest.approx([1.0, 3 / 5, 1 / 5])
    assert [r.conversion_from_previous for r in rows] == pytest.approx([1.0, 3 / 5, 1 / 3])
    assert [r.drop_off for r in rows] == [0, 2, 2]
    assert [r.drop_off_share for r in rows] == pytest.approx([0.0, 2 / 5, 2 / 3])
    # visit -> cart: u1 600 s, u2 600 s, u4 3600 s -> median 600 s; cart -> purchase: u1 1200 s.
    assert [r.median_seconds_from_previous for r in rows] == [None, 600.0, 1200.0]
    assert [r.event_type for r in rows] == STEPS
    assert [r.step for r in rows] == [1, 2, 3]


def test_wider_window_lets_late_steps_in():
    # With 10 days, u3's cart (8 days after its visit) and u6's (7 days 1 hour) count too.
    assert [r.entrants for r in funnel(F, STEPS, within="10D").rows] == [5, 5, 1]


def test_window_bound_is_inclusive():
    events = frame([("a", "2024-01-01 10:00", "visit"), ("a", "2024-01-01 11:00", "cart_add")])
    assert [r.entrants for r in funnel(events, STEPS[:2], within="1h").rows] == [1, 1]
    assert [r.entrants for r in funnel(events, STEPS[:2], within="59min").rows] == [1, 0]


def test_unordered_funnel_matches_hand_count():
    result = funnel(F, STEPS, within="7D", ordered=False)
    # Window opens at the first event of any step:
    #   u1 all three; u2 all three (order does not matter); u3 visit only (cart 8 days later);
    #   u4 window from its 09:00 cart: visit and cart; u5 no visit -> not counted; u6 visit only.
    assert [r.entrants for r in result.rows] == [5, 3, 2]
    # Step k is reached when the last of steps 1..k first occurs:
    #   step 2 gaps: u1 10:10 - 10:00 = 600; u2 10:10 - 10:00 = 600; u4 max(10:00, 09:00) - 10:00 = 0
    #   step 3 gaps: u1 10:30 - 10:10 = 1200; u2 max(10:10, 10:05) - 10:10 = 0 -> median 600.
    assert [r.median_seconds_from_previous for r in result.rows] == [None, 600.0, 600.0]


def test_segments_are_read_on_the_entry_event():
    events = frame(
        [
            ("a", "2024-01-01 10:00", "visit", "ads"),
            ("a", "2024-01-01 10:05", "cart_add", "email"),
            ("b", "2024-01-01 10:00", "visit", "email"),
            ("c", "2024-01-01 10:00", "cart_add", "ads"),
            ("c", "2024-01-01 11:00", "visit", "email"),
        ]
    )
    result = funnel(events, STEPS[:2], by="channel")
    # a enters by its ads visit and converts; b (email) does not; c enters by its email visit
    # (its earlier cart is before the visit and does not count).
    assert [(r.segment, r.step, r.entrants) for r in result.rows] == [
        (("ads",), 1, 1),
        (("ads",), 2, 1),
        (("email",), 1, 2),
        (("email",), 2, 0),
    ]
    frame_ = result.to_frame()
    assert frame_.columns.tolist()[:3] == ["channel", "step", "event_type"]
    assert frame_["entrants"].tolist() == [1, 1, 2, 0]


def test_session_column_makes_each_session_a_unit():
    events = frame(
        [
            ("a", "2024-01-01 10:00", "visit", "web", "s1"),
            ("a", "2024-01-01 10:05", "cart_add", "web", "s1"),
            ("a", "2024-01-01 12:00", "purchase", "web", "s2"),
            ("a", "2024-01-02 09:00", "visit", "web", "s3"),
        ]
    )
    # Users: a goes visit -> cart -> purchase.  Sessions: s1 visit -> cart; s3 visit;
    # s2 has no visit and never enters.
    assert [r.entrants for r in funnel(events, STEPS).rows] == [1, 1, 1]
    sessions = funnel(events, STEPS, unit="session", session_column="session")
    assert [r.entrants for r in sessions.rows] == [2, 1, 0]


def test_built_sessions_split_on_thirty_minutes_of_inactivity_over_all_events():
    events = frame(
        [
            # a: 40 minutes between cart and purchase -> a new session before the purchase.
            ("a", "2024-01-01 10:00", "visit"),
            ("a", "2024-01-01 10:20", "cart_add"),
            ("a", "2024-01-01 11:00", "purchase"),
            # b: exactly 30 minutes -> new session (GA: inactive for 30 minutes or more).
            ("b", "2024-01-01 10:00", "visit"),
            ("b", "2024-01-01 10:30", "cart_add"),
            # c: a signup at 10:25 (not a step) keeps the session alive: gaps 25 and 25 minutes.
            ("c", "2024-01-01 10:00", "visit"),
            ("c", "2024-01-01 10:25", "signup"),
            ("c", "2024-01-01 10:50", "cart_add"),
        ]
    )
    result = funnel(events, STEPS, unit="session")
    # Sessions entering with a visit: a#1, b#1, c#1 = 3; reaching the cart: a#1, c#1 = 2.
    assert [r.entrants for r in result.rows] == [3, 2, 0]
    assert result.session_gap_seconds == 1800
    longer = funnel(events, STEPS, unit="session", session_gap="1h")
    assert [r.entrants for r in longer.rows] == [3, 3, 1]


def test_step_after_a_step_nobody_reached_is_undefined_with_a_warning():
    events = frame([("a", "2024-01-01 10:00", "visit")])
    with pytest.warns(UndefinedKPIWarning, match="conversion_from_previous is undefined"):
        result = funnel(events, STEPS)
    assert [r.entrants for r in result.rows] == [1, 0, 0]
    assert math.isnan(result.rows[2].conversion_from_previous)
    silent = funnel(events, STEPS, zero_division=0.0)
    assert silent.rows[2].conversion_from_previous == 0.0


def test_result_is_frozen_and_round_trips_json():
    result = funnel(F, STEPS, by="channel")
    assert FunnelResult.model_validate_json(result.model_dump_json()) == result
    with pytest.raises(ValueError, match="frozen"):
        result.ordered = False


def test_unknown_event_types_are_ignored_and_reported():
    events = frame([("a", "2024-01-01 10:00", "visit"), ("a", "2024-01-01 10:01", "page_view")])
    result = funnel(events, STEPS[:1])
    assert result.notes == ("Ignored 1 row with unknown event types: 'page_view' (1 row).",)


def test_nobody_entering_gives_zero_rows_with_undefined_shares():
    events = frame([("a", "2024-01-01 10:00", "purchase")])
    with pytest.warns(UndefinedKPIWarning, match="funnel conversion is undefined"):
        result = funnel(events, STEPS)
    assert [r.entrants for r in result.rows] == [0, 0, 0]
    assert all(math.isnan(r.conversion_from_first) for r in result.rows)
    # With segments, a segment exists only through its entrants: no rows at all.
    assert funnel(events, STEPS, by="channel").rows == ()


@pytest.mark.parametrize(("ordered", "unit"), [(True, "user"), (False, "user"), (True, "session")])
def test_every_backend_gives_the_same_result(in_process_constructor, ordered, unit):
    expected = funnel(F, STEPS, ordered=ordered, unit=unit, by="channel")
    got = funnel(in_process_constructor(F), STEPS, ordered=ordered, unit=unit, by="channel")
    assert got == expected


@pytest.mark.slow
def test_pyspark_gives_the_same_session_funnel(spark):
    expected = funnel(F, STEPS, unit="session", by="channel")
    native = spark.createDataFrame(pa.Table.from_pandas(F, preserve_index=False))
    assert funnel(native, STEPS, unit="session", by="channel") == expected


# ---- Properties ------------------------------------------------------------------------------
BASE = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - event times are naive wall-clock times


@st.composite
def random_events(draw):
    n = draw(st.integers(1, 30))
    rows = [
        (
            draw(st.sampled_from("abcde")),
            BASE + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 20))),
            draw(st.sampled_from(STEPS)),
            draw(st.sampled_from(["ads", "email"])),
        )
        for _ in range(n)
    ]
    return frame(rows)


def reference_ordered(events, within):
    """Independent reference: per customer, first visit, then greedy earliest matches."""
    reached = [0, 0, 0]
    for _, group in events.sort_values("timestamp").groupby("customer_id"):
        visits = group.loc[group.event_type == "visit", "timestamp"]
        if visits.empty:
            continue
        start = current = visits.min()
        reached[0] += 1
        for k, step in enumerate(STEPS[1:], start=1):
            later = group.loc[
                (group.event_type == step)
                & (group.timestamp >= current)
                & (group.timestamp <= start + within),
                "timestamp",
            ]
            if later.empty:
                break
            current = later.min()
            reached[k] += 1
    return reached


@settings(max_examples=20, deadline=None)
@given(random_events(), st.sampled_from(["1D", "3D", "7D"]))
def test_ordered_entrants_match_an_independent_reference(events, within):
    result = funnel(events, STEPS, within=within, zero_division=0.0)
    expected = reference_ordered(events, pd.Timedelta(within))
    assert [r.entrants for r in result.rows] == expected


@settings(max_examples=25, deadline=None)
@given(random_events(), st.booleans(), st.sampled_from(["user", "session"]))
def test_entrants_never_increase_and_shares_are_fractions(events, ordered, unit):
    result = funnel(events, STEPS, ordered=ordered, unit=unit, by="channel", zero_division=0.0)
    for start in range(0, len(result.rows), 3):
        rows = result.rows[start : start + 3]
        assert [r.entrants for r in rows] == sorted((r.entrants for r in rows), reverse=True)
        assert rows[0].entrants >= 1
        for r in rows:
            assert 0.0 <= r.conversion_from_first <= 1.0
            assert 0.0 <= r.drop_off_share <= 1.0
            assert r.median_seconds_from_previous is None or r.median_seconds_from_previous >= 0


@settings(max_examples=15, deadline=None)
@given(random_events(), st.randoms(use_true_random=False), st.booleans())
def test_result_is_invariant_to_row_order_and_input_is_not_mutated(events, random, ordered):
    before = events.copy()
    result = funnel(events, STEPS, ordered=ordered, by="channel", zero_division=0.0)
    pd.testing.assert_frame_equal(events, before)
    order = list(range(len(events)))
    random.shuffle(order)
    assert (
        funnel(events.iloc[order], STEPS, ordered=ordered, by="channel", zero_division=0.0)
        == result
    )


def test_polars_eager_and_lazy_give_the_pandas_result():
    expected = funnel(F, STEPS, ordered=False, by="channel")
    for native in (pl.from_pandas(F), pl.from_pandas(F).lazy()):
        assert funnel(native, STEPS, ordered=False, by="channel") == expected


# ---- Bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            (),
            {"steps": []},
            "The 'steps' parameter of funnel must be a non-empty list of event types. Got [] instead.",
        ),
        (
            (),
            {"steps": "visit"},
            "The 'steps' parameter of funnel must be a non-empty list of event types. Got 'visit' instead.",
        ),
        (
            (),
            {"steps": ["visit", "cart_add", "visit"]},
            "The 'steps' parameter of funnel must not repeat an event type. Got ['visit'] more than once.",
        ),
        (
            (),
            {"steps": ["visit", ""]},
            "The 'steps' parameter of funnel must be a non-empty string. Got '' instead.",
        ),
        (
            (STEPS,),
            {"within": "0D"},
            "The 'within' parameter of funnel must be a positive duration. Got '0D' instead.",
        ),
        (
            (STEPS,),
            {"within": dt.timedelta(hours=-1)},
            "The 'within' parameter of funnel must be a positive duration. Got datetime.timedelta(days=-1, seconds=82800) instead.",
        ),
        (
            (STEPS,),
            {"within": "a week"},
            "The 'within' parameter of funnel must be a timedelta or a string such as '7D', '1.5h', '30min', '45s' (units s, min, h, D, W). Got 'a week' instead.",
        ),
        (
            (STEPS,),
            {"unit": "visit"},
            "The 'unit' parameter of funnel must be one of 'user', 'session'. Got 'visit' instead.",
        ),
        (
            (STEPS,),
            {"session_column": "session"},
            "The 'session_column' parameter of funnel is only used with unit='session'. Got 'session' instead.",
        ),
        (
            (STEPS,),
            {"ordered": "yes"},
            "The 'ordered' parameter of funnel must be True or False. Got 'yes' instead.",
        ),
        (
            (STEPS,),
            {"by": ["channel", "channel"]},
            "The 'by' parameter of funnel must be a column name or a sequence of distinct column names. Got ['channel', 'channel'] instead.",
        ),
    ],
)
def test_bad_input_raises_named_errors(args, kwargs, message):
    with pytest.raises(InvalidInputError) as excinfo:
        funnel(F, *args, **kwargs)
    assert str(excinfo.value) == message


def test_missing_columns_raise_column_not_found():
    with pytest.raises(ColumnNotFoundError, match=r"Missing column\(s\) \['timestamp'\]"):
        funnel(F.drop(columns="timestamp"), STEPS)
    with pytest.raises(ColumnNotFoundError, match=r"Missing column\(s\) \['session'\]"):
        funnel(F, STEPS, unit="session", session_column="session")


def test_null_session_ids_on_steps_raise():
    events = frame([("a", "2024-01-01 10:00", "visit", "web", None)])
    with pytest.raises(InvalidInputError, match="is null on 1 funnel event row"):
        funnel(events, STEPS[:1], unit="session", session_column="session")


def test_entry_ties_take_the_first_step_then_the_least_segment_nulls_last(in_process_constructor):
    """Hand count of the tie rule: events at the entry time are ordered by step (unordered
    funnels), then by the ``by`` values in column order, nulls last; the first gives the
    segment.
      a: three visits at 10:00: (web, b), (ads, None), (ads, z)  -> (ads, z): ads < web, z < null
      b: two visits at 10:00: (None, a), (web, c)                -> (web, c): null channel last
      c: 09:00 cart (ads, a) and visit (email, y); cart 09:30    -> ordered: (email, y), its only
         visit; unordered: the visit too (step 1 before step 2 at the same time), not the cart
    """
    rows = [
        ("a", "2024-01-01 10:00", "visit", "web", "b"),
        ("a", "2024-01-01 10:00", "visit", "ads", None),
        ("a", "2024-01-01 10:00", "visit", "ads", "z"),
        ("b", "2024-01-01 10:00", "visit", None, "a"),
        ("b", "2024-01-01 10:00", "visit", "web", "c"),
        ("c", "2024-01-01 09:00", "cart_add", "ads", "a"),
        ("c", "2024-01-01 09:00", "visit", "email", "y"),
        ("c", "2024-01-01 09:30", "cart_add", "ads", "a"),
    ]
    events = in_process_constructor(frame([r[:4] for r in rows], campaign=[r[4] for r in rows]))
    for ordered in (True, False):
        result = funnel(events, STEPS[:2], by=["channel", "campaign"], ordered=ordered)
        assert [(r.segment, r.entrants) for r in result.rows if r.step == 1] == [
            (("ads", "z"), 1),
            (("email", "y"), 1),
            (("web", "c"), 1),
        ]
