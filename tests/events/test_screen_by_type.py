"""The polars screen (screen_by_type): same counts and messages as the one-query screen.

On polars, validate_events screens rows with :func:`screen_by_type` (a group-by counting
rows per event type, then a group-by over the rows holding revenue, cost or a score) instead
of the one aggregation of :func:`screen_aggs`. Expected values: hand counts of the small
frame below, and the messages pandas gives (pandas keeps the one-query screen).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from retention_kpis import InvalidInputError
from retention_kpis._core.columns import EVENT
from retention_kpis._core.frames import collect
from retention_kpis.events import EventSchema, validate_events
from retention_kpis.events.checks import (
    screen_aggs,
    screen_by_type,
    screened_totals,
    with_screen_columns,
)
from retention_kpis.events.validate import prepare_events

pl = pytest.importorskip("polars")

EVENTS = {
    "customer_id": ["a", "a", "b", "b", "c", None, "c"],
    "timestamp": [
        "2024-01-05",
        "2024-01-06",
        "2024-02-01",
        "2024-02-03",
        "2024-02-04",
        "2024-02-05",
        "2024-02-06",
    ],
    "event_type": [
        "visit",
        "purchase",
        "visit",
        "purchase",
        "nps_response",
        "spend",
        "csat_response",
    ],
    "revenue": [None, 20.0, None, 5.0, None, None, None],
    "cost": [None, None, None, None, None, 3.0, None],
    "score": [None, None, None, None, 9.0, None, 4.0],
}

# (column, values, start of the message, hand count of the rows and their event types)
PROBLEMS = [
    (
        "revenue",
        [None, 20.0, -1.0, 5.0, None, None, None],
        "'revenue' of events must be >= 0",
        "Got 1 row that does not (event types: 'visit').",
    ),
    (
        "revenue",
        [None, math.inf, None, 5.0, None, None, None],
        "'revenue' of events must be finite",
        "Got 1 row that does not (event types: 'purchase').",
    ),
    (
        "revenue",
        [None, math.nan, None, None, None, None, None],
        "'revenue' of events must not be null on purchases",
        "Got 2 rows that do not (event types: 'purchase').",
    ),
    (
        "cost",
        [None, None, None, None, None, -math.inf, None],
        "'cost' of events must be finite",
        "Got 1 row that does not (event types: 'spend').",
    ),
    (
        "cost",
        [None, None, None, None, None, None, None],
        "'cost' of events must not be null",
        "Got 1 row that does not (event types: 'spend').",
    ),
    (
        "score",
        [None, None, None, None, 9.5, None, 4.0],
        "whole NPS scores in [0, 10]",
        "Got 1 row that does not (event types: 'nps_response').",
    ),
    (
        "score",
        [None, None, None, None, 9.0, None, 6.0],
        "whole CSAT scores in [1, 5]",
        "Got 1 row that does not (event types: 'csat_response').",
    ),
    (
        "score",
        [None, None, None, None, math.nan, None, 4.0],
        "must not be null on survey responses",
        "Got 1 row that does not (event types: 'nps_response').",
    ),
]


def polars_kinds(frame: pd.DataFrame) -> list[object]:
    """The frame as a polars DataFrame and LazyFrame (nan kept apart from null)."""
    eager = pl.from_pandas(frame, nan_to_null=False)
    return [eager, eager.lazy()]


def test_valid_frame_gives_the_type_counts_by_hand():
    # Hand count: 2 visits, 2 purchases, 1 NPS and 1 CSAT response, 1 spend row without customer.
    expected = {"csat_response": 1, "nps_response": 1, "purchase": 2, "spend": 1, "visit": 2}
    for events in polars_kinds(pd.DataFrame(EVENTS)):
        assert validate_events(events).type_counts == expected


@pytest.mark.parametrize(("column", "values", "problem", "count"), PROBLEMS)
def test_problems_give_the_message_pandas_gives(column, values, problem, count):
    frame = pd.DataFrame({**EVENTS, column: values})
    with pytest.raises(InvalidInputError) as pandas_error:
        validate_events(frame)
    assert problem in str(pandas_error.value)
    assert count in str(pandas_error.value)
    for events in polars_kinds(frame):
        with pytest.raises(InvalidInputError) as polars_error:
            validate_events(events)
        assert str(polars_error.value) == str(pandas_error.value)


def test_null_customer_and_timestamp_are_counted_per_type():
    # A visit without a customer (an error) beside the spend row without one (allowed).
    frame = pd.DataFrame({**EVENTS, "customer_id": [None, "a", "b", "b", "c", None, "c"]})
    for events in polars_kinds(frame):
        with pytest.raises(InvalidInputError, match=r"null on 1 row of customer events"):
            validate_events(events)
    late = [None, *EVENTS["timestamp"][1:]]
    for events in polars_kinds(pd.DataFrame({**EVENTS, "timestamp": late})):
        with pytest.raises(InvalidInputError, match=r"'timestamp' of events is null on 1 row"):
            validate_events(events)


def test_revenue_on_other_rows_is_screened_and_allowed_when_valid():
    # A zero revenue on the visits is valid: the screen reads it, and nothing is raised.
    frame = pd.DataFrame({**EVENTS, "revenue": [0.0, 20.0, 0.0, 5.0, None, None, None]})
    for events in polars_kinds(frame):
        assert validate_events(events).type_counts["visit"] == 2


def test_screen_by_type_reads_as_the_one_query_screen_on_every_backend(in_process_constructor):
    # The two screens are independent queries: their problem counts must agree per type.
    frame = pd.DataFrame({**EVENTS, "revenue": [0.0, 20.0, None, 5.0, None, None, None]})
    pending = prepare_events(in_process_constructor(frame))
    types = EventSchema().event_types
    one = collect(
        with_screen_columns(pending.frame, pending.columns)
        .group_by(EVENT)
        .agg(*screen_aggs(pending.columns))
    ).rows(named=True)
    expected = screened_totals(one, types, (1, 5))
    got = screened_totals(screen_by_type(pending.frame, pending.columns), types, (1, 5))
    assert expected is not None
    assert got is not None
    assert sorted(got, key=str) == sorted(expected, key=str)
