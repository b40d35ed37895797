"""Tests of retention_kpis.clv.customers (customer_table over an event frame)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

from retention_kpis.clv import customer_lifetime_value, customer_table, rfm_summary
from retention_kpis.clv.bgnbd import BetaGeoModel
from retention_kpis.clv.gamma_gamma import GammaGammaModel
from retention_kpis.datasets import load_cdnow, make_events
from retention_kpis.events import EventSchema, EventTypes
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

COLUMNS = [
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "probability_alive",
    "expected_purchases",
    "expected_average_value",
    "clv",
]


@pytest.fixture(scope="module")
def events():
    return make_events(n_customers=400, seed=3)


@pytest.fixture(scope="module")
def table(events):
    return customer_table(events)


@pytest.fixture(scope="module")
def cdnow_events():
    cdnow = load_cdnow()
    return pd.DataFrame(
        {
            "customer_id": cdnow["customer_id"],
            "timestamp": cdnow["date"],
            "event_type": "purchase",
            "revenue": cdnow["dollar_value"],
        }
    )


def test_customer_table_equals_the_public_steps_run_by_hand(events):
    table = customer_table(events, time_scaler=1.0, horizon_months=6, discount_rate=0.02)
    purchases = events[events["event_type"] == "purchase"]
    summary = rfm_summary(
        purchases, customer_id="customer_id", timestamp="timestamp", monetary_value="revenue"
    )
    bgnbd = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    spend = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    history = (summary["frequency"], summary["recency"], summary["T"])
    assert table.columns.tolist() == COLUMNS
    np.testing.assert_array_equal(table["customer_id"], summary["customer_id"])
    np.testing.assert_allclose(table["T"], summary["T"])
    np.testing.assert_allclose(
        table["probability_alive"], bgnbd.probability_alive(*history), rtol=1e-6
    )
    np.testing.assert_allclose(
        table["expected_purchases"], bgnbd.expected_purchases(6 * 30.0, *history), rtol=1e-6
    )
    np.testing.assert_allclose(
        table["expected_average_value"],
        spend.expected_average_value(summary["frequency"], summary["monetary_value"]),
        rtol=1e-6,
    )
    clv = customer_lifetime_value(
        bgnbd, spend, summary, horizon_months=6, discount_rate=0.02, time_unit="D"
    )
    np.testing.assert_allclose(table["clv"], clv, rtol=1e-6)


def test_customer_table_has_one_row_per_purchaser_and_valid_ranges(events, table):
    purchasers = events.loc[events["event_type"] == "purchase", "customer_id"].nunique()
    assert len(table) == purchasers
    assert table["customer_id"].is_unique
    assert table["probability_alive"].between(0.0, 1.0).all()
    assert (table["clv"] >= 0).all()
    assert (table["expected_purchases"] >= 0).all()
    assert (table["expected_average_value"] > 0).all()
    assert np.isfinite(table[COLUMNS[1:]].to_numpy(dtype=float)).all()


def test_customer_table_does_not_mutate_events(events):
    before = events.copy()
    customer_table(events, horizon_months=1)
    pd.testing.assert_frame_equal(events, before)


def test_customer_table_returns_the_input_kind_with_the_same_values(events, table):
    polars = pl.from_pandas(events)
    eager = customer_table(polars)
    lazy = customer_table(polars.lazy())
    assert isinstance(eager, pl.DataFrame)
    assert isinstance(lazy, pl.LazyFrame)
    np.testing.assert_allclose(eager["clv"].to_numpy(), table["clv"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(lazy.collect()["clv"].to_numpy(), table["clv"].to_numpy(), rtol=1e-6)


def test_customer_table_keeps_duckdb_lazy(events, table):
    relation = duckdb.from_arrow(pl.from_pandas(events).to_arrow())
    result = customer_table(relation)
    assert isinstance(result, duckdb.DuckDBPyRelation)
    frame = result.pl().sort("customer_id")
    np.testing.assert_allclose(frame["clv"].to_numpy(), table["clv"].to_numpy(), rtol=1e-6)


def test_customer_table_follows_the_schema_names(events, table):
    renamed = events.rename(columns={"customer_id": "user", "revenue": "amount"}).replace(
        {"event_type": {"purchase": "order"}}
    )
    schema = EventSchema(
        customer_id="user", revenue="amount", event_types=EventTypes(purchase="order")
    )
    result = customer_table(renamed, schema=schema)
    assert result.columns[0] == "user"
    np.testing.assert_allclose(result["clv"], table["clv"], rtol=1e-6)


def test_customer_table_pareto_nbd_gives_valid_ranges(events):
    result = customer_table(events, model="pareto_nbd")
    assert result["probability_alive"].between(0.0, 1.0).all()
    assert (result["clv"] >= 0).all()


def test_customer_table_on_cdnow_purchases_as_events(cdnow_events):
    result = customer_table(cdnow_events, observation_end="1998-06-30")
    # 23,570 customers in the CDNOW cohort (Fader, Hardie & Lee 2005), all purchasers.
    assert len(result) == 23_570
    assert result["probability_alive"].between(0.0, 1.0).all()
    assert (result["clv"] >= 0).all()
    # T in weeks from a first purchase in Q1 1997 to 1998-06-30: between 65 and 78 weeks.
    assert result["T"].between(65.0, 78.0).all()


def test_customer_table_free_repeat_buyer_gets_the_gamma_gamma_limit(events, table):
    # Make every purchase of one repeat buyer free: Gamma-Gamma cannot fit a zero mean spend.
    free_id = table.loc[table["frequency"] >= 2, "customer_id"].iloc[0]
    x = table.loc[table["customer_id"] == free_id, "frequency"].iloc[0]
    free = events.copy()
    free.loc[(free["customer_id"] == free_id) & (free["event_type"] == "purchase"), "revenue"] = 0.0
    result = customer_table(free).set_index("customer_id")
    paying = table[(table["customer_id"] != free_id) & (table["frequency"] > 0)]
    spend = GammaGammaModel().fit(paying["frequency"], paying["monetary_value"])
    p, q, v = spend.params.p, spend.params.q, spend.params.v
    # E[Z | x, zbar] = p (v + x zbar) / (p x + q - 1) (Fader, Hardie & Lee 2005b) at zbar -> 0
    assert result.loc[free_id, "monetary_value"] == 0.0
    assert result.loc[free_id, "expected_average_value"] == pytest.approx(
        p * v / (p * x + q - 1), rel=1e-6
    )


def test_customer_table_rejects_events_without_purchases(events):
    visits = events[events["event_type"] == "visit"]
    with pytest.raises(InvalidInputError) as error:
        customer_table(visits)
    assert str(error.value) == (
        "events hold no purchase rows (event_type 'purchase'); customer_table needs purchases. "
        "Event types found: ['visit']."
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"model": "bg"},
            "The 'model' parameter of customer_table must be one of ['bgnbd', 'mbgnbd', 'pareto_nbd']. Got 'bg' instead.",
        ),
        (
            {"horizon_months": 0},
            "The 'horizon_months' parameter of customer_table must be > 0. Got 0 instead.",
        ),
        (
            {"discount_rate": -1},
            "The 'discount_rate' parameter of customer_table must be >= 0. Got -1 instead.",
        ),
        (
            {"time_scaler": 0},
            "The 'time_scaler' parameter of customer_table must be > 0. Got 0 instead.",
        ),
        (
            {"time_unit": "Y"},
            "The 'time_unit' parameter of customer_table must be one of 'D', 'W', 'M', 'h'. Got 'Y' instead.",
        ),
    ],
)
def test_customer_table_rejects_bad_parameters_with_exact_message(events, options, message):
    with pytest.raises(InvalidInputError) as error:
        customer_table(events, **options)
    assert str(error.value) == message


def test_customer_table_rejects_purchases_without_revenue_column(events):
    with pytest.raises(ColumnNotFoundError, match=r"Missing column\(s\) \['revenue'\]"):
        customer_table(events.drop(columns="revenue"))


def test_customer_table_on_pyspark_is_a_spark_frame_of_the_input_session(events, table, spark):
    # Before the fix: a raw "ValueError: Spark like backends require session" from narwhals.
    import pyarrow as pa  # noqa: PLC0415 - test extra

    frame = spark.createDataFrame(pa.Table.from_pandas(events, preserve_index=False))
    result = customer_table(frame)
    assert type(result).__name__ == "DataFrame"
    assert result.sparkSession is spark
    values = result.toArrow().to_pandas().sort_values("customer_id")
    np.testing.assert_allclose(values["clv"].to_numpy(), table["clv"].to_numpy(), rtol=1e-6)
