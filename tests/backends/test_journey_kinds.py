"""Journey analytics return the input's kind of frame, with the pandas values (issue #5).

Cohort tables, funnels, cart KPIs, attribution credit and the engagement tables are
computed from the same synthetic events on every backend of the ``constructor`` fixture
(tests/conftest.py). Each ``to_frame`` (or frame-returning function) must return the
input's kind -- pandas, polars eager, polars lazy, pyarrow, a DuckDB relation, a PySpark
DataFrame in the input's session -- and hold the pandas result's values: integers exactly,
floats to 1e-9 relative, missing cells alike. The pandas values themselves are checked by
hand-calculated examples in tests/cohorts, tests/funnels, tests/attribution and
tests/test_engagement.py. The collect spies check where the work runs on lazy engines.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import duckdb
import narwhals.stable.v2 as nw
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import UndefinedKPIWarning
from retention_kpis.attribution import AttributionResult, attribute
from retention_kpis.cohorts import (
    CohortTable,
    RevenueRetentionTable,
    cohort_retention,
    revenue_retention,
)
from retention_kpis.datasets import make_events
from retention_kpis.funnels import CartKPIs, FunnelResult, cart_kpis, funnel
from retention_kpis.report import engagement_kpis, referred_vs_organic

END = dt.date(2025, 12, 31)


def kind_of(constructor):
    """The native type the constructor's backend must get back."""
    if constructor.name == "pyspark":
        from pyspark.sql import DataFrame  # noqa: PLC0415 - optional backend

        return DataFrame
    return {
        "pandas": pd.DataFrame,
        "polars": pl.DataFrame,
        "polars_lazy": pl.LazyFrame,
        "pyarrow": pa.Table,
        "duckdb": duckdb.DuckDBPyRelation,
    }[constructor.name]


def plain(value):
    """A cell as plain Python: nulls (None, NaN, NaT, <NA>) as None, timestamps as dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):  # pandas has no date dtype: midnight timestamps
        assert value == value.normalize(), value
        return value.date()
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, (str, bytes)) else value


def columns_of(native):
    frame = nw.from_native(native)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return {
        name: [plain(v) for v in values] for name, values in frame.to_dict(as_series=False).items()
    }


def check(native, expected_native, constructor):
    """``native`` is the constructor's kind and holds the values of the pandas frame."""
    assert isinstance(native, kind_of(constructor)), type(native)
    if constructor.name == "pyspark":
        assert native.sparkSession is constructor.request.getfixturevalue("spark")
    same_values(native, expected_native)


def same_values(native, expected_native):
    """Integers and strings exactly, floats to 1e-9 relative, missing alike, same order."""
    got, expected = columns_of(native), columns_of(expected_native)
    assert list(got) == list(expected)
    for name in expected:
        assert len(got[name]) == len(expected[name]), name
        for a, b in zip(got[name], expected[name], strict=True):
            if isinstance(b, float):
                assert isinstance(a, float), (name, a, b)
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0), (name, a, b)
            else:
                assert a == b, (name, a, b)
                assert type(a) is type(b), (name, a, b)


@pytest.fixture(scope="module")
def events():
    # ~4,000 events of 40 customers over two years: visits, signups, carts, checkouts,
    # purchases, e-mails, spend (no customer) and referrals, with channels.
    return make_events(40, seed=11)


def test_cohort_tables_are_the_input_kind_with_the_pandas_values(constructor, events):
    native = constructor(events)
    table = cohort_retention(
        native, cohort_event="signup", return_event="visit", observation_end=END
    )
    reference = cohort_retention(
        events, cohort_event="signup", return_event="visit", observation_end=END
    )
    assert table == reference  # the remembered kind is not part of the value
    assert any(None in row for row in reference.counts)  # missing cells are compared too
    check(table.to_frame("counts"), reference.to_frame("counts"), constructor)
    check(
        table.to_frame("shares", form="long"),
        reference.to_frame("shares", form="long"),
        constructor,
    )
    revenue = revenue_retention(native, period="W", observation_end=END)
    revenue_reference = revenue_retention(events, period="W", observation_end=END)
    check(revenue.to_frame(), revenue_reference.to_frame(), constructor)
    check(
        revenue.to_frame("revenue", form="long"),
        revenue_reference.to_frame("revenue", form="long"),
        constructor,
    )


def test_funnel_and_cart_kpis_are_the_input_kind_with_the_pandas_values(constructor, events):
    native = constructor(events)
    steps = ["visit", "cart_add", "checkout", "purchase"]
    # Some channels have no step-2 entrant: undefined rates (null; NaN on pandas) compare too.
    with pytest.warns(UndefinedKPIWarning):
        result = funnel(native, steps, within="14D", by="channel")
    with pytest.warns(UndefinedKPIWarning):
        reference = funnel(events, steps, within="14D", by="channel")
    assert result == reference
    assert any(math.isnan(row.conversion_from_previous) for row in reference.rows)
    check(result.to_frame(), reference.to_frame(), constructor)
    sessions = funnel(native, steps[:2], unit="session", within="1D")
    check(
        sessions.to_frame(),
        funnel(events, steps[:2], unit="session", within="1D").to_frame(),
        constructor,
    )
    with pytest.warns(UndefinedKPIWarning):
        carts = cart_kpis(native, by="channel")
    with pytest.warns(UndefinedKPIWarning):
        carts_reference = cart_kpis(events, by="channel")
    assert carts == carts_reference
    assert any(math.isnan(row.checkout_conversion_rate) for row in carts_reference.rows)
    check(carts.to_frame(), carts_reference.to_frame(), constructor)


def test_attribution_credit_is_the_input_kind_with_the_pandas_values(constructor, events):
    native = constructor(events)
    result = attribute(native, model="position_based", period="M", unknown_events="ignore")
    reference = attribute(events, model="position_based", period="M", unknown_events="ignore")
    assert result.backend == ("polars" if constructor.name == "polars_lazy" else constructor.name)
    assert result.lazy is constructor.lazy
    check(result.to_frame(), reference.to_frame(), constructor)


def test_engagement_tables_are_the_input_kind_with_the_pandas_values(constructor, events):
    native = constructor(events)
    check(engagement_kpis(native), engagement_kpis(events), constructor)
    check(
        referred_vs_organic(native, unknown_events="ignore"),
        referred_vs_organic(events, unknown_events="ignore"),
        constructor,
    )


def test_results_built_directly_or_read_from_json_return_pandas(events):
    # The kind is remembered outside the fields: JSON holds the values only.
    lazy = pl.from_pandas(events).lazy()
    results = [
        cohort_retention(lazy, observation_end=END),
        revenue_retention(lazy, observation_end=END),
        funnel(lazy, ["visit", "purchase"]),
        cart_kpis(lazy),
    ]
    for result in results:
        assert isinstance(result.to_frame(), pl.LazyFrame)
        text = result.model_dump_json()
        assert "polars" not in text
        assert "lazy" not in json.loads(text)
        back = type(result).model_validate_json(text)
        assert back == result
        assert isinstance(back.to_frame(), pd.DataFrame)
    built = (
        CohortTable,
        RevenueRetentionTable,
        FunnelResult,
        CartKPIs,
    )
    assert [type(r) for r in results] == list(built)


def test_attribution_backend_override_and_json_keep_the_kind(events):
    result = attribute(pl.from_pandas(events).lazy(), model="linear", unknown_events="ignore")
    assert isinstance(result.to_frame(), pl.LazyFrame)
    assert isinstance(result.to_frame(backend="polars"), pl.DataFrame)  # an override is eager
    assert isinstance(result.to_frame(backend="duckdb"), duckdb.DuckDBPyRelation)
    back = AttributionResult.model_validate_json(result.model_dump_json())
    assert (back.backend, back.lazy) == ("polars", True)


@st.composite
def small_events(draw):
    """Up to 40 visits and purchases of up to 6 customers over 120 days of 2024."""
    n = draw(st.integers(min_value=1, max_value=40))
    ints = st.integers
    customers = draw(st.lists(ints(1, 6), min_size=n, max_size=n))
    days = draw(st.lists(ints(0, 119), min_size=n, max_size=n))
    kinds = draw(st.lists(st.sampled_from(["visit", "purchase"]), min_size=n, max_size=n))
    channels = draw(st.lists(st.sampled_from(["web", "email"]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": customers,
            "timestamp": [
                pd.Timestamp("2024-01-01") + pd.Timedelta(days=d, hours=c)
                for d, c in zip(days, customers, strict=True)
            ],
            "event_type": kinds,
            "revenue": [
                10.0 * c if k == "purchase" else None for k, c in zip(kinds, customers, strict=True)
            ],
            "channel": channels,
        }
    )


@settings(max_examples=20, deadline=None)
@given(events=small_events())
def test_polars_lazy_journey_frames_hold_the_pandas_values_and_leave_the_input_alone(events):
    before = events.copy()
    lazy = pl.from_pandas(events).lazy()
    options = {"period": "W", "observation_end": dt.date(2024, 4, 30)}
    for form in ("wide", "long"):
        got = cohort_retention(lazy, **options).to_frame("counts", form=form)
        assert isinstance(got, pl.LazyFrame)
        same_values(got, cohort_retention(events, **options).to_frame("counts", form=form))
    steps = ["visit", "purchase"]
    got = funnel(lazy, steps, by="channel", zero_division=0.0).to_frame()
    assert isinstance(got, pl.LazyFrame)
    same_values(got, funnel(events, steps, by="channel", zero_division=0.0).to_frame())
    pd.testing.assert_frame_equal(events, before)


# --- Where the work runs on lazy engines --------------------------------------------------------


@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb"], indirect=True)
def test_cohorts_collect_only_aggregates_on_lazy_engines(constructor, events, spy_collects):
    native = constructor(events)
    collected = spy_collects()
    table = cohort_retention(
        native, cohort_event="signup", return_event="visit", observation_end=END
    )
    revenue = revenue_retention(native, observation_end=END)
    # At most one row per (cohort, offset) cell, or per event type (validation screen: 13).
    bound = max(
        len(table.cohorts) * len(table.offsets), len(revenue.cohorts) * len(revenue.offsets), 13
    )
    visits = int((events["event_type"] == "visit").sum())
    assert bound < visits / 4  # collecting the 3,090 visit rows would fail the check
    assert collected, "nothing was collected through narwhals"
    assert max(rows for rows, _ in collected) <= bound


def test_cohorts_on_a_relation_generated_in_duckdb_collect_only_aggregates(spy_collects):
    # 200,000 rows made by DuckDB's range(), never Python objects. Customer i % 5000;
    # i % 4 == 0 rows are purchases. 5000 is a multiple of 4, so customer c's rows all have
    # i % 4 == c % 4: the 5000 / 4 = 1,250 customers with c % 4 == 0 purchase, the rest never.
    relation = duckdb.connect().sql(
        """
        SELECT i % 5000 AS customer_id,
               TIMESTAMP '2023-01-01' + to_seconds(((i * 7919) % 63072000)::BIGINT) AS timestamp,
               CASE WHEN i % 4 = 0 THEN 'purchase' ELSE 'visit' END AS event_type,
               CASE WHEN i % 4 = 0 THEN (i % 100)::DOUBLE END AS revenue
        FROM range(200000) t(i)
        """
    )
    collected = spy_collects()
    table = cohort_retention(relation, period="M")
    revenue = revenue_retention(relation, period="M")
    # 63,072,000 s = 730 days from 2023-01-01: 24 monthly cohorts at most, offsets 0..23.
    assert max(rows for rows, _ in collected) <= 24 * 24
    assert sum(table.cohort_sizes) == 1_250
    assert sum(revenue.cohort_sizes) == 1_250
    frame = table.to_frame("counts", form="long")
    assert isinstance(frame, duckdb.DuckDBPyRelation)
    assert frame.columns == [
        "cohort",
        "cohort_size",
        "offset",
        "offset_start",
        "offset_end",
        "counts",
    ]


# Funnels and attribution collect only aggregates: tests/funnels/test_collects.py and
# tests/attribution/test_engine_paths.py.
