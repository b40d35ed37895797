"""validate_events in two halves: prepare_events, then finish_events from screen rows.

A caller (the report, cohorts) may run the screen aggregations grouped finer than by event
type, beside its own aggregations; finish_events must then give the counts and errors that
validate_events gives. Expected values are hand counts of the small frames below.
"""

from __future__ import annotations

import narwhals.stable.v2 as nw
import pandas as pd
import pytest

from retention_kpis import InvalidInputError
from retention_kpis._core.columns import EVENT
from retention_kpis._core.frames import collect
from retention_kpis.events import validate_events
from retention_kpis.events.checks import screen_aggs, with_screen_columns
from retention_kpis.events.validate import finish_events, prepare_events

EVENTS = {
    "customer_id": ["a", "a", "b", "b", "c", None],
    "timestamp": [
        "2024-01-05",
        "2024-01-06",
        "2024-02-01",
        "2024-02-03",
        "2024-02-04",
        "2024-02-05",
    ],
    "event_type": ["visit", "purchase", "visit", "purchase", "nps_response", "spend"],
    "revenue": [None, 20.0, None, 5.0, None, None],
    "cost": [None, None, None, None, None, 3.0],
    "score": [None, None, None, None, 9.0, None],
    "channel": ["web", "web", "mail", "mail", "web", "web"],
}


def finer_screen(events, **options):
    """finish_events from the screen grouped by (event type, channel): two rows per type."""
    pending = prepare_events(events, by=["channel"], **options)
    screened = with_screen_columns(pending.frame, pending.columns)
    rows = collect(screened.group_by(EVENT, "channel").agg(*screen_aggs(pending.columns)))
    return finish_events(pending, rows.rows(named=True))


def test_finer_screen_gives_the_type_counts_of_validate_events(constructor):
    events = constructor(pd.DataFrame(EVENTS))
    # Hand count: 2 visits, 2 purchases, 1 NPS response, 1 spend row.
    expected = {"nps_response": 1, "purchase": 2, "spend": 1, "visit": 2}
    assert finer_screen(events).type_counts == expected
    assert validate_events(events, by=["channel"]).type_counts == expected


@pytest.mark.parametrize(
    ("column", "values", "problem"),
    [
        # b's purchase (mail) is negative; a's (web) is not: the web and mail groups differ.
        ("revenue", [None, 20.0, None, -5.0, None, None], "must be >= 0"),
        # the NPS answer 11 is out of [0, 10].
        ("score", [None, None, None, None, 11.0, None], "whole NPS scores in [0, 10]"),
    ],
)
def test_finer_screen_raises_the_message_of_validate_events(constructor, column, values, problem):
    events = constructor(pd.DataFrame({**EVENTS, column: values}))
    with pytest.raises(InvalidInputError) as finer:
        finer_screen(events)
    with pytest.raises(InvalidInputError) as alone:
        validate_events(events, by=["channel"])
    assert problem in str(alone.value)
    assert "Got 1 row that does not" in str(alone.value)
    assert str(finer.value) == str(alone.value)


def test_null_customers_are_counted_over_every_group(constructor):
    # One null customer on a web visit and one on a mail visit: 2 rows, not 1 per group.
    events = constructor(pd.DataFrame({**EVENTS, "customer_id": [None, "a", None, "b", "c", None]}))
    with pytest.raises(InvalidInputError, match=r"null on 2 rows of customer events"):
        finer_screen(events)


def test_prepare_events_leaves_the_row_checks_to_finish_events():
    # A negative revenue passes prepare_events (columns only) and fails in finish_events.
    import polars as pl  # noqa: PLC0415 - an optional backend of the tests

    events = pl.LazyFrame({**EVENTS, "revenue": [None, -1.0, None, 5.0, None, None]})
    pending = prepare_events(events)
    assert isinstance(pending.frame, nw.LazyFrame)
    assert pending.columns == frozenset({"revenue", "cost", "score"})
    with pytest.raises(InvalidInputError, match=r"'revenue' of events must be >= 0"):
        finer_screen(events)
