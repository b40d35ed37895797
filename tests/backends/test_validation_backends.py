"""validate_events on every backend: the one-scan screen and its exact fallback.

Valid frames are checked by one aggregation (polars: three small ones; null counts
exact, bounds screened); a frame whose bounds may break a rule gets the exact per-row
count as well. Expected
messages are written by hand from the rows of each frame.
"""

from __future__ import annotations

import math

import narwhals.stable.v2 as nw
import pandas as pd
import polars as pl
import pytest

from retention_kpis import InvalidInputError
from retention_kpis.events import validate_events


def events(**columns):
    base = {
        "customer_id": ["a", "a", "b", None],
        "timestamp": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"]),
        "event_type": ["visit", "purchase", "nps_response", "spend"],
        "revenue": [None, 20.0, None, None],
        "cost": [None, None, None, 5.0],
        "score": [None, None, 9.0, None],
    }
    base.update(columns)
    return pd.DataFrame(base)


def count_collects(monkeypatch):
    collected = []
    original = nw.LazyFrame.collect

    def spy(self, *args, **kwargs):
        frame = original(self, *args, **kwargs)
        collected.append(len(frame))
        return frame

    monkeypatch.setattr(nw.LazyFrame, "collect", spy)
    return collected


def screen_queries(native, types_with_values):
    """The row counts of the screen's collects, by hand from the frame.

    Every backend but polars: one aggregation, one row per event type (4 types).
    polars (events.checks.screen_by_type): the customer/timestamp null counts (1 row),
    rows per event type (4), then a group-by over the rows holding revenue, cost or a
    score (one row per type that holds one).
    """
    if isinstance(native, (pl.DataFrame, pl.LazyFrame)):
        return [1, 4, types_with_values]
    return [4]


def test_a_valid_frame_is_checked_by_one_aggregation(constructor, monkeypatch):
    native = constructor(events())
    collected = count_collects(monkeypatch)
    prepared = validate_events(native)
    assert prepared.type_counts == {"nps_response": 1, "purchase": 1, "spend": 1, "visit": 1}
    # purchase (revenue), spend (cost), nps_response (score) hold values; no exact count after
    assert collected == screen_queries(native, 3)


def test_a_frame_that_may_break_a_rule_gets_the_exact_count(constructor, monkeypatch):
    # Revenue -1 on the visit row and -20 on the purchase: 2 rows, types 'purchase', 'visit'.
    native = constructor(events(revenue=[-1.0, -20.0, None, None]))
    collected = count_collects(monkeypatch)
    with pytest.raises(InvalidInputError) as info:
        validate_events(native)
    assert str(info.value) == (
        "Column 'revenue' of events must be >= 0 (refunds are not supported). "
        "Got 2 rows that do not (event types: 'purchase', 'visit')."
    )
    # the visit row holds revenue too (4 types hold values); then the exact count, 4 types
    assert collected == [*screen_queries(native, 4), 4]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"cost": [None, None, None, -5.0]},
            "Column 'cost' of events must be >= 0. Got 1 row that does not (event types: 'spend').",
        ),
        (
            # 10.5 is fractional, 11 above 10; the visit row's score is not an NPS answer.
            {
                "event_type": ["visit", "nps_response", "nps_response", "spend"],
                "revenue": [None, None, None, None],
                "score": [-3.0, 10.5, 11.0, None],
            },
            (
                "Column 'score' of events must hold whole NPS scores in [0, 10] on NPS responses. "
                "Got 2 rows that do not (event types: 'nps_response')."
            ),
        ),
        (
            # CSAT 0 is below the (1, 5) scale; the NPS 9 is fine.
            {
                "event_type": ["visit", "purchase", "csat_response", "spend"],
                "score": [None, None, 0.0, None],
            },
            (
                "Column 'score' of events must hold whole CSAT scores in [1, 5] (csat_scale) on CSAT "
                "responses. Got 1 row that does not (event types: 'csat_response')."
            ),
        ),
        (
            # An infinite score is neither whole nor in range.
            {"score": [None, None, math.inf, None]},
            (
                "Column 'score' of events must hold whole NPS scores in [0, 10] on NPS responses. "
                "Got 1 row that does not (event types: 'nps_response')."
            ),
        ),
    ],
)
def test_bad_values_give_the_same_message_on_every_backend(constructor, changes, expected):
    with pytest.raises(InvalidInputError) as info:
        validate_events(constructor(events(**changes)))
    assert str(info.value) == expected


def test_null_counts_come_from_the_screen_exactly(constructor):
    # Null customer on the visit (not allowed) and on spend (allowed): 1 row counted.
    with pytest.raises(InvalidInputError) as info:
        validate_events(constructor(events(customer_id=[None, "a", "b", None])))
    assert str(info.value) == (
        "Column 'customer_id' of events is null on 1 row of customer events "
        "(event types: 'visit'). Only 'spend' rows may have no customer."
    )


@pytest.mark.parametrize(
    ("score", "problem"),
    [
        (math.nan, r"must not be null on survey responses\. Got 1 row "),
        (12.0, r"whole NPS scores in \[0, 10\].* Got 1 row "),
    ],
)
def test_polars_nan_score_is_not_screened_away(score, problem):
    # polars keeps nan apart from null and its min/max skip nan: validation reads a nan
    # as null (as pandas does), so it is counted as a missing score; 12 is out of range.
    frame = pl.DataFrame(
        {
            "customer_id": ["a", "b"],
            "timestamp": [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-06")],
            "event_type": ["nps_response", "nps_response"],
            "score": [9.0, score],
        }
    )
    with pytest.raises(InvalidInputError, match=problem):
        validate_events(frame.lazy())
