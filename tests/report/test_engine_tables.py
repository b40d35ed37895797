"""The engines' three-query aggregation (retention_kpis.report.engine_tables) against hand counts.

Engines count new and retained customers with window functions and polars counts
distinct customers instead of grouping on them; each case below is small enough to
count by hand, and every backend must give the hand count (the eager backends use
joins of distinct pairs, so they are an independent check).
"""

from __future__ import annotations

import datetime as dt

import narwhals.stable.v2 as nw
import pandas as pd
import pytest

from retention_kpis import InvalidInputError
from retention_kpis.report import compute_kpis

D = dt.datetime


def frame(rows):
    customer, timestamp, kind, channel, revenue = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "customer_id": list(customer),
            "timestamp": list(timestamp),
            "event_type": list(kind),
            "channel": list(channel),
            "revenue": list(revenue),
        }
    )


def by_key(report, *fields):
    data = report.to_dict()
    keys = list(zip(data["period"], data["channel"], strict=True))
    return {key: tuple(data[f][i] for f in fields) for i, key in enumerate(keys)}


def test_retention_follows_the_segment_and_treats_null_as_one_segment(constructor):
    # a buys under None in Jan and Feb -> retained in (Feb, None): retention 1/1.
    # b buys under web in Jan and under email in Feb -> not retained in either segment.
    # c buys under web in Jan and Mar (gap) -> (Mar, web) has no Feb purchaser: undefined.
    events = frame(
        [
            ("a", D(2024, 1, 3), "purchase", None, 1.0),
            ("a", D(2024, 2, 3), "purchase", None, 1.0),
            ("b", D(2024, 1, 4), "purchase", "web", 1.0),
            ("b", D(2024, 2, 4), "purchase", "email", 1.0),
            ("c", D(2024, 1, 5), "purchase", "web", 1.0),
            ("c", D(2024, 3, 5), "purchase", "web", 1.0),
        ]
    )
    got = by_key(
        compute_kpis(constructor(events), by="channel"), "active_customers", "retention_rate"
    )
    jan, feb, mar = dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)
    assert got[(feb, None)] == (1, 1.0)  # 1 retained / 1 active in (Jan, None)
    assert got[(feb, "email")][0] == 1
    assert got[(feb, "email")][1] is None  # nobody bought under email in Jan
    assert got[(jan, "web")][0] == 2
    assert got[(mar, "web")] == (1, None)  # (Feb, web) has no active customers


def test_new_customers_count_a_tied_first_purchase_in_each_segment(constructor):
    # a's first purchase is at the same instant under web and email: new in both.
    # b first buys in Jan (web), again in Feb (web): new only in Jan.
    # b's Feb visit under email makes b a visitor there but not a converted one.
    t = D(2024, 1, 10, 12)
    events = frame(
        [
            ("a", t, "purchase", "web", 5.0),
            ("a", t, "purchase", "email", 5.0),
            ("b", D(2024, 1, 11), "purchase", "web", 5.0),
            ("b", D(2024, 2, 11), "purchase", "web", 5.0),
            ("b", D(2024, 2, 12), "visit", "email", None),
            ("a", D(2024, 2, 12), "visit", "email", None),
            ("a", D(2024, 2, 13), "purchase", "email", 5.0),
        ]
    )
    got = by_key(
        compute_kpis(constructor(events), by="channel"),
        "new_customers",
        "visitors",
        "conversion_rate",
    )
    jan, feb = dt.date(2024, 1, 1), dt.date(2024, 2, 1)
    assert got[(jan, "web")] == (2, 0, None)  # a and b new; no visitors
    assert got[(jan, "email")] == (1, 0, None)  # a new
    assert got[(feb, "web")] == (0, 0, None)  # b returns
    assert got[(feb, "email")] == (0, 2, 0.5)  # visitors a, b; a also bought -> 1 / 2


@pytest.mark.parametrize(
    "constructor", ["polars", "polars_lazy", "duckdb", "pyspark"], indirect=True
)
def test_engines_run_four_queries(constructor, request, monkeypatch):
    # Validation (1) + customer counts, purchasers, money and surveys (3) for the KPIs;
    # the engagement KPIs' own queries are switched off. polars runs three more: the first
    # and last timestamps, for its table of period indexes per day, and two small queries
    # of its screen (null counts, then the rows holding revenue, cost or a score).
    events = frame(
        [
            ("a", D(2024, 1, 3), "purchase", "web", 1.0),
            ("a", D(2024, 1, 4), "visit", "web", None),
        ]
    )
    native = constructor(events)
    collected = []
    original = nw.LazyFrame.collect

    def spy(self, *args, **kwargs):
        frame_ = original(self, *args, **kwargs)
        collected.append(len(frame_))
        return frame_

    monkeypatch.setattr(nw.LazyFrame, "collect", spy)
    compute_kpis(native, by="channel", engagement=False)
    polars = request.node.callspec.params["constructor"].startswith("polars")
    assert len(collected) == (7 if polars else 4)


@pytest.mark.parametrize("customers", [[7, 7, 9], ["b", "b", "a"], [7.0, 7.0, 9.0]])
def test_order_id_of_two_customers_is_found_with_any_customer_dtype(constructor, customers):
    # Engines compare each id's smallest and largest customer (float ids: distinct counts);
    # o1 belongs to two customers whatever the dtype and the row order.
    events = pd.DataFrame(
        {
            "customer_id": customers,
            "timestamp": [D(2024, 1, 3), D(2024, 1, 4), D(2024, 1, 5)],
            "event_type": ["purchase"] * 3,
            "revenue": [1.0, 2.0, 3.0],
            "order_id": ["o2", "o1", "o1"],
        }
    )
    with pytest.raises(
        InvalidInputError, match=r"holds 1 order id shared .* \(2 rows; first: 'o1'"
    ):
        compute_kpis(constructor(events))
    events["customer_id"] = [customers[0]] * 3  # one customer: no error
    assert compute_kpis(constructor(events)).to_dict()["orders"] == [2]
