"""Tests of retention_kpis.attribution._paths: which touches make each path (by hand)."""

from __future__ import annotations

import pytest

from retention_kpis import EventSchema, EventTypes, validate_events
from retention_kpis.attribution import attribute
from retention_kpis.attribution._paths import JOURNEY, OUTSIDE, TOUCH, path_table


def credit_of(result):
    return {c.channel: (c.conversions, c.revenue) for c in result.credits}


def test_lookback_is_inclusive_at_both_ends(events_from):
    # Conversion at Jan 31 00:00 with lookback 30D: the window starts Jan 1 00:00.
    # X (Dec 31 23:59:59) is outside, Y (Jan 1 00:00) is the first touch inside,
    # Z at exactly the conversion time is the last touch inside.
    rows = [
        (1, "2023-12-31 23:59:59", "visit", "X", None),
        (1, "2024-01-01 00:00:00", "visit", "Y", None),
        (1, "2024-01-31 00:00:00", "visit", "Z", None),
        (1, "2024-01-31 00:00:00", "purchase", None, 10.0),
    ]
    first = attribute(events_from(rows), model="first_touch", lookback="30D")
    last = attribute(events_from(rows), model="last_touch", lookback="30D")
    assert credit_of(first) == {"Y": (1.0, 10.0), "Z": (0.0, 0.0)}
    assert credit_of(last) == {"Y": (0.0, 0.0), "Z": (1.0, 10.0)}


def test_path_resets_after_each_conversion(events_from):
    # A > buy $10 > B > buy $20: first touch of the second purchase is B, not A.
    rows = [
        (1, "2024-01-01", "visit", "A", None),
        (1, "2024-01-02", "purchase", None, 10.0),
        (1, "2024-01-03", "visit", "B", None),
        (1, "2024-01-04", "purchase", None, 20.0),
    ]
    result = attribute(events_from(rows), model="first_touch")
    assert credit_of(result) == {"A": (1.0, 10.0), "B": (1.0, 20.0)}


def test_touch_at_a_conversion_belongs_to_it_not_to_the_next(events_from):
    # A at the first purchase's timestamp counts for it; the second purchase has no
    # touch after the first one, so it goes to the "(none)" bucket.
    rows = [
        (1, "2024-01-01", "visit", "A", None),
        (1, "2024-01-01", "purchase", None, 10.0),
        (1, "2024-01-05", "purchase", None, 20.0),
    ]
    result = attribute(events_from(rows), model="linear")
    assert credit_of(result) == {"A": (1.0, 10.0), "(none)": (1.0, 20.0)}
    assert (result.converting_paths, result.conversions_without_touch) == (1, 1)


def test_conversions_at_the_same_timestamp_share_one_path(events_from):
    rows = [
        (1, "2024-01-01", "visit", "A", None),
        (1, "2024-01-02", "purchase", None, 10.0),
        (1, "2024-01-02", "purchase", None, 5.0),
    ]
    result = attribute(events_from(rows), model="linear")
    assert credit_of(result) == {"A": (2.0, 15.0)}


def test_touches_at_the_same_timestamp_are_ordered_by_channel_name(events_from):
    rows = [
        (1, "2024-01-01", "visit", "B", None),
        (1, "2024-01-01", "visit", "A", None),
        (1, "2024-01-02", "purchase", None, 10.0),
    ]
    first = attribute(events_from(rows), model="first_touch")
    reversed_rows = attribute(events_from(rows[::-1]), model="first_touch")
    assert credit_of(first) == credit_of(reversed_rows) == {"A": (1.0, 10.0), "B": (0.0, 0.0)}


def test_touches_without_channel_and_other_event_types_are_not_touchpoints(events_from):
    # The null-channel visit and the signup are ignored: the path is [B].
    rows = [
        (1, "2024-01-01", "visit", None, None),
        (1, "2024-01-01 10:00", "signup", "A", None),
        (1, "2024-01-02", "visit", "B", None),
        (1, "2024-01-03", "purchase", None, 10.0),
    ]
    result = attribute(events_from(rows), model="first_touch")
    assert credit_of(result) == {"B": (1.0, 10.0)}


def test_touch_events_and_conversion_event_are_parameters(events_from):
    # email_click counts as a touch when named; signup is the conversion (no revenue -> 0).
    rows = [
        (1, "2024-01-01", "email_click", "email", None),
        (1, "2024-01-02", "visit", "B", None),
        (1, "2024-01-03", "signup", None, None),
    ]
    schema = EventSchema(event_types=EventTypes(other=("email_click",)))
    result = attribute(
        events_from(rows),
        model="linear",
        schema=schema,
        touch_events=["visit", "email_click"],
        conversion_event="signup",
    )
    assert credit_of(result) == {"B": (0.5, 0.0), "email": (0.5, 0.0)}


def test_by_segments_split_paths_by_row_values(events_from):
    # Customer 1 touches A in "fr" and B in "de" and buys in "de": the "de" path is [B].
    rows = [
        (1, "2024-01-01", "visit", "A", None),
        (1, "2024-01-02", "visit", "B", None),
        (1, "2024-01-03", "purchase", None, 10.0),
        (2, "2024-01-01", "visit", "A", None),
        (2, "2024-01-02", "purchase", None, 30.0),
    ]
    events = events_from(rows, country=["fr", "de", "de", "fr", "fr"])
    result = attribute(events, model="first_touch", by="country")
    assert [(c.segment, c.channel, c.conversions, c.revenue) for c in result.credits] == [
        ({"country": "de"}, "B", 1.0, 10.0),
        ({"country": "fr"}, "A", 1.0, 30.0),
    ]


def test_period_is_the_conversion_period(events_from):
    # A touched in January, purchase in February: the credit is February's.
    rows = [
        (1, "2024-01-30", "visit", "A", None),
        (1, "2024-02-02", "purchase", None, 10.0),
        (2, "2024-01-02", "visit", "B", None),
        (2, "2024-01-03", "purchase", None, 5.0),
    ]
    result = attribute(events_from(rows), model="last_touch", period="M")
    assert [(str(c.period), c.channel, c.revenue) for c in result.credits] == [
        ("2024-01-01", "B", 5.0),
        ("2024-02-01", "A", 10.0),
    ]


def test_non_converting_journey_is_after_the_last_conversion_within_lookback(events_from):
    # Customer 1: A (Jan 1), buy (Jan 2), B (Jan 3), C (Mar 1). The journey after the
    # purchase, limited to 30 days before its last touch C, is [C] (B is 58 days before).
    # Customer 2: D (Jan 1), never buys: journey [D].
    rows = [
        (1, "2024-01-01", "visit", "A", None),
        (1, "2024-01-02", "purchase", None, 10.0),
        (1, "2024-01-03", "visit", "B", None),
        (1, "2024-03-01", "visit", "C", None),
        (2, "2024-01-01", "visit", "D", None),
    ]
    prepared = validate_events(events_from(rows), by=["channel"])
    table = path_table(
        prepared.frame,
        touch_events=["visit"],
        conversion_event="purchase",
        channel="channel",
        by=[],
        period=None,
        lookback_us=30 * 86_400 * 10**6,
        has_revenue=True,
        model="markov",
        options={},
    )
    names = table.channels

    def rows_of(part):
        # Markov rows: (channel, previous channel, journey end / path end flag, weight).
        where = table.part == part
        return sorted(
            (
                names[c],
                None if p < 0 else names[p],
                int(a if part == JOURNEY else b),
                float(n),
            )
            for c, p, a, b, n in zip(
                table.channel[where],
                table.previous[where],
                table.a[where],
                table.b[where],
                table.n[where],
                strict=True,
            )
        )

    # Two one-touch journeys [C] and [D] (no previous channel, each its journey's end).
    assert rows_of(JOURNEY) == [("C", None, 1, 1.0), ("D", None, 1, 1.0)]
    assert rows_of(OUTSIDE) == [("B", None, 0, 0.0)]  # outside the 30-day window of C
    assert rows_of(TOUCH) == [("A", None, 1, 1.0)]  # the one converting path [A]


def test_no_lookback_takes_every_touch_since_the_previous_conversion(events_from):
    rows = [
        (1, "2020-01-01", "visit", "A", None),
        (1, "2024-01-01", "purchase", None, 10.0),
    ]
    assert credit_of(attribute(events_from(rows), lookback=None)) == {"A": (1.0, 10.0)}
    assert credit_of(attribute(events_from(rows))) == {"(none)": (1.0, 10.0)}


@pytest.mark.parametrize("label", ["(none)", "unattributed"])
def test_conversions_without_touch_go_to_the_no_touch_label(events_from, label):
    rows = [(1, "2024-01-01", "purchase", None, 10.0)]
    result = attribute(events_from(rows), no_touch_label=label)
    assert credit_of(result) == {label: (1.0, 10.0)}
