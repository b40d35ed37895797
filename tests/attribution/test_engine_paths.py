"""Paths are cut in the engine: lazy backends collect only the small path table (issue #21).

The collect spy (the ``spy_collects`` fixture of tests/conftest.py) records every narwhals collect.
Before issue #21 attribution collected every touch and conversion row (3,137 of the 4,073
events below, with the customer and timestamp columns); now it collects one table keyed by
(kind of row, group, channel, model keys) and never a customer or a timestamp column. The
credits themselves are checked against hand calculations in the other tests of this folder.
"""

from __future__ import annotations

import pandas as pd
import pytest

from retention_kpis import compute_kpis
from retention_kpis.attribution import MODELS, attribute
from retention_kpis.datasets import make_events

CHANNEL = "__rk_channel"
PRIVATE_ROW_COLUMNS = {"__rk_customer", "__rk_timestamp", "__rk_us"}


@pytest.fixture(scope="module")
def events():
    # ~4,000 events of 40 customers: 3,090 visits (the touches) and 47 purchases.
    return make_events(40, seed=11)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb"], indirect=True)
def test_attribution_collects_only_the_path_table_on_lazy_engines(
    constructor, events, spy_collects, model
):
    native = constructor(events)
    touches = int((events["event_type"] == "visit").sum())
    collected = spy_collects()
    attribute(native, model=model, unknown_events="ignore")
    tables = [(rows, columns) for rows, columns in collected if CHANNEL in columns]
    assert len(tables) == 1  # one path table per call
    rows, columns = tables[0]
    assert rows < touches / 10  # collecting the 3,090 touch rows would fail here
    assert not set(columns) & PRIVATE_ROW_COLUMNS
    assert max(rows for rows, _ in collected) < touches / 10


@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb"], indirect=True)
def test_attributed_report_builds_the_paths_once(constructor, events, spy_collects):
    # Attributed orders, revenue and new customers come from one path table (before #21
    # the facade cut the paths twice: once for revenue, once for first purchases).
    native = constructor(events)
    touches = int((events["event_type"] == "visit").sum())
    collected = spy_collects()
    compute_kpis(native, by="channel", attribution="markov", engagement=False)
    tables = [(rows, columns) for rows, columns in collected if CHANNEL in columns]
    assert len(tables) == 1
    assert tables[0][0] < touches / 10
    assert not set(tables[0][1]) & PRIVATE_ROW_COLUMNS


def hostile_events():
    """Ties, one instant with two conversions, a touch at a conversion's instant, duplicates.

    Customer 1: visits "a" and "b" at 10:00 (a tie: ordered by name, "a" first; the rows are
    reversed below, so "b" comes first in the input), "c" at 11:00
    and two purchases at 11:00 (10 and 5: one path), a purchase at 12:00 with no touch, then
    two identical "a" visits and a "direct" one (a non-converting journey). Customer 2 (segment
    null): "direct" then a purchase of 3. Customer 3: "a" 40 days before its purchase of 20
    (outside the 30-day lookback), "b" one day before.
    """
    rows = [
        (1, "2024-03-01 10:00", "visit", "a", None, "x"),
        (1, "2024-03-01 10:00", "visit", "b", None, "x"),
        (1, "2024-03-01 11:00", "visit", "c", None, "x"),
        (1, "2024-03-01 11:00", "purchase", None, 10.0, "x"),
        (1, "2024-03-01 11:00", "purchase", None, 5.0, "x"),
        (1, "2024-03-01 12:00", "purchase", None, 7.0, "x"),
        (1, "2024-03-01 13:00", "visit", "a", None, "x"),
        (1, "2024-03-01 13:00", "visit", "a", None, "x"),
        (1, "2024-03-01 14:00", "visit", "direct", None, "x"),
        (2, "2024-03-02 09:00", "visit", "direct", None, None),
        (2, "2024-03-02 09:30", "purchase", None, 3.0, None),
        (3, "2024-01-20 08:00", "visit", "a", None, "y"),
        (3, "2024-02-28 08:00", "visit", "b", None, "y"),
        (3, "2024-02-29 08:00", "purchase", None, 20.0, "y"),
    ]
    frame = pd.DataFrame(
        rows, columns=["customer_id", "timestamp", "event_type", "channel", "revenue", "segment"]
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame.iloc[::-1].reset_index(drop=True)  # the engines must not rely on row order


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # By hand from hostile_events' docstring: channel -> (conversions, revenue); a channel
        # touched in a converting path but never credited is listed with 0.
        (
            "first_touch",
            {"a": (2.0, 15.0), "b": (1.0, 20.0), "c": (0.0, 0.0), "direct": (1.0, 3.0)},
        ),
        ("last_touch", {"a": (0.0, 0.0), "b": (1.0, 20.0), "c": (2.0, 15.0), "direct": (1.0, 3.0)}),
    ],
)
@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb"], indirect=True)
def test_sorted_engine_paths_order_ties_by_channel_and_share_an_instant(
    constructor, model, expected
):
    result = attribute(constructor(hostile_events()), model=model)
    credit = {c.channel: (c.conversions, c.revenue) for c in result.credits}
    assert credit == {**expected, "(none)": (1.0, 7.0)}
    assert result.non_converting_journeys == 1


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(
    "options",
    [{}, {"by": "segment", "period": "D"}, {"lookback": None, "period": "W"}],
    ids=["plain", "by-period", "no-lookback"],
)
@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb"], indirect=True)
def test_sorted_engine_paths_equal_the_window_paths_to_the_last_bit(constructor, model, options):
    # polars (one sort and scans) and DuckDB (one shared WINDOW, a group-by and a join) against
    # the window-function paths that pandas runs: an independent implementation of the rules.
    events = hostile_events()
    reference = attribute(events, model=model, **options)
    result = attribute(constructor(events), model=model, **options)
    same_kind = result.model_copy(update={"backend": "pandas", "lazy": False})
    assert same_kind.model_dump_json() == reference.model_dump_json()  # nan equals nan in JSON


def _spy_packed_key(monkeypatch):
    """Record whether polars sorted on the packed key (True) or fell back (False)."""
    from retention_kpis.attribution import _polars_paths  # noqa: PLC0415 - the spied module

    used = []
    packed_key = _polars_paths._packed_key

    def spy(*args, **kwargs):
        key = packed_key(*args, **kwargs)
        used.append(key is not None)
        return key

    monkeypatch.setattr(_polars_paths, "_packed_key", spy)
    return used


def _hostile_variant(case):
    events = hostile_events()
    if case == "microseconds":  # one instant 1 us later: the key counts microseconds
        first = events.index[events["customer_id"] == 3][-1]
        events.loc[first, "timestamp"] += pd.Timedelta(microseconds=1)
    elif case == "wide":  # owners 2**40 apart and a century of time: more than 63 bits
        events["customer_id"] = events["customer_id"] * 2**40
        late = events["customer_id"] == 3 * 2**40
        events.loc[late, "timestamp"] += pd.Timedelta(days=36_500)
    elif case == "text":  # text customers: their rank among the sorted names
        events["customer_id"] = "customer " + events["customer_id"].astype(str)
    return events


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(
    ("case", "packed"),
    [("seconds", True), ("microseconds", True), ("wide", False), ("text", True)],
)
@pytest.mark.parametrize(
    "options",
    [{}, {"lookback": None, "period": "W"}, {"by": "segment", "period": "D"}],
    ids=["plain", "W", "by"],
)
def test_packed_sort_key_and_its_fallback_equal_the_window_paths(
    monkeypatch, model, case, packed, options
):
    # The packed Int64 key (owner offset or rank, time offset, kind bit, channel rank) where the
    # ranges fit in 63 bits, the multi-column sort otherwise: both give the pandas result.
    import polars as pl  # noqa: PLC0415 - optional backend

    events = _hostile_variant(case)
    reference = attribute(events, model=model, **options)
    used = _spy_packed_key(monkeypatch)
    result = attribute(pl.from_pandas(events).lazy(), model=model, **options)
    assert used == [packed]
    same_kind = result.model_copy(update={"backend": "pandas", "lazy": False})
    assert same_kind.model_dump_json() == reference.model_dump_json()


@pytest.mark.parametrize("by", [False, True], ids=["customer", "by-customer"])
@pytest.mark.parametrize("text", [False, True], ids=["integer-owner", "text-owner"])
def test_packed_sort_key_orders_like_the_multi_column_sort(monkeypatch, text, by):
    # Against polars' own multi-column sort (nulls first): null owners and channels, ties,
    # millisecond times, labels whose order is by byte ("Z" < "a" < "é"), an empty label.
    import numpy as np  # noqa: PLC0415
    import polars as pl  # noqa: PLC0415 - optional backend

    from retention_kpis.attribution._polars_paths import _sorted  # noqa: PLC0415

    rng = np.random.default_rng(5)
    size = 5_000
    labels = ["a", "Z", "é", "", "b", None]
    frame = pl.DataFrame(
        {
            "owner": pl.Series(rng.integers(-3, 40, size), dtype=pl.Int32),
            "us": rng.integers(0, 50, size) * 1_000 + 1_700_000_000_000_000,
            "conv": rng.integers(0, 2, size),
            "channel": [labels[i] for i in rng.integers(0, len(labels), size)],
            "row": np.arange(size),
        }
    ).with_columns(
        pl.when(pl.col("owner") < 0).then(None).otherwise(pl.col("owner")).alias("owner")
    )
    if text:  # names whose order is by byte: "Z9" < "a10" < "a9" < "é1"
        prefix = pl.Series(["a", "Z", "é"])[rng.integers(0, 3, size)]
        frame = frame.with_columns((prefix + pl.col("owner").cast(pl.String)).alias("owner"))
    owner = ["owner"]
    if by:  # a segment column before the owner: text with nulls, or small integers
        segment = pl.Series(["x", None, "y", "Y"])[rng.integers(0, 4, size)]
        if not text:
            segment = pl.Series(rng.integers(-2, 3, size), dtype=pl.Int16)
        frame = frame.with_columns(segment.alias("segment"))
        owner = ["segment", "owner"]
    keys = [*owner, "us", "conv", "channel"]
    expected = frame.sort(keys).select(keys)
    used = _spy_packed_key(monkeypatch)
    result = _sorted(frame.lazy(), owner=owner, keys=keys[len(owner) :]).collect()
    assert used == [True]
    assert result.select(keys).equals(expected)
    assert sorted(result["row"].to_list()) == list(range(size))
    # Ties (rows equal on every key) keep their input order.
    tie = pl.struct(keys).rank("dense")
    assert (
        result.with_columns(tie.alias("tie"))
        .group_by("tie")
        .agg(pl.col("row").diff().drop_nulls().min().alias("step"))
        .filter(pl.col("step") <= 0)
        .height
        == 0
    )
