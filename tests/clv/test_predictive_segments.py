"""Tests of segment_value: P(alive) and CLV per RFM segment, on CDNOW and by hand."""

from __future__ import annotations

import re

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest

from retention_kpis.clv import (
    BetaGeoModel,
    GammaGammaModel,
    customer_lifetime_value,
    rfm_segments,
    rfm_summary,
    segment_value,
)
from retention_kpis.datasets import load_cdnow
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

# Fader, Hardie & Lee (2005) BG/NBD and Gamma-Gamma estimates for CDNOW (weeks).
BGNBD = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
GAMMA_GAMMA = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)


@pytest.fixture(scope="module")
def cdnow_segments():
    """CDNOW's 23,570 customers, 39 calibration weeks (to 1997-09-30), scored and segmented."""
    summary = rfm_summary(
        load_cdnow(),
        customer_id="customer_id",
        timestamp="date",
        monetary_value="dollar_value",
        observation_end="1997-09-30",
        time_scaler=7.0,
    )
    return rfm_segments(summary, customer_id="customer_id", monetary_value="monetary_value")


@pytest.fixture(scope="module")
def cdnow_models(cdnow_segments):
    s = cdnow_segments
    bgnbd = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    paid = (s["frequency"] > 0) & (s["monetary_value"] > 0)
    gamma_gamma = GammaGammaModel().fit(s.loc[paid, "frequency"], s.loc[paid, "monetary_value"])
    return bgnbd, gamma_gamma


def test_cdnow_segment_table_matches_a_pandas_groupby_of_the_customer_predictions(
    cdnow_segments, cdnow_models
):
    bgnbd, gamma_gamma = cdnow_models
    s = cdnow_segments
    got = segment_value(s, bgnbd, gamma_gamma, time_unit="W").set_index("segment")
    # Independent aggregation: the per-customer predictions (each tested against the papers in
    # test_bgnbd.py and test_value.py) grouped by pandas.
    per_customer = s.assign(
        alive=bgnbd.probability_alive(s["frequency"], s["recency"], s["T"]),
        clv=customer_lifetime_value(bgnbd, gamma_gamma, s, time_unit="W"),
    )
    expected = per_customer.groupby("segment").agg(
        customers=("customer_id", "size"),
        mean_probability_alive=("alive", "mean"),
        expected_alive=("alive", "sum"),
        mean_clv=("clv", "mean"),
        total_clv=("clv", "sum"),
    )
    assert sorted(got.index) == sorted(expected.index)
    for column in expected.columns:
        np.testing.assert_allclose(
            got.loc[expected.index, column], expected[column], rtol=1e-12, err_msg=column
        )
    assert got["customers"].sum() == 23_570
    np.testing.assert_allclose(got["share_of_customers"], got["customers"] / 23_570, rtol=1e-15)
    np.testing.assert_allclose(got["share_of_clv"], got["total_clv"] / per_customer["clv"].sum())
    assert got["total_clv"].is_monotonic_decreasing


def test_cdnow_recent_frequent_segments_are_more_alive_than_at_risk(cdnow_segments, cdnow_models):
    # BG/NBD's P(alive) falls with the time since the last repeat purchase for repeat buyers:
    # champions (recent, frequent) must be more alive on average than at_risk and cannot_lose
    # (frequent, not recent). Customers without repeats have P(alive) = 1 under BG/NBD, which
    # keeps "lost" (mostly one-off buyers) high: a known property of the model.
    got = segment_value(cdnow_segments, *cdnow_models, time_unit="W").set_index("segment")
    alive = got["mean_probability_alive"]
    assert alive["champions"] > alive["at_risk"] > 0
    assert alive["champions"] > alive["cannot_lose"]
    assert got.loc["champions", "mean_clv"] > got.loc["lost", "mean_clv"]


def test_frequency_zero_customers_are_alive_hand_calculation():
    # BG/NBD: P(alive | x = 0) = 1 exactly (FHL 2005); a segment of one-off buyers has mean 1
    # and expected_alive equal to its size.
    segments = pd.DataFrame(
        {
            "frequency": [0, 0, 0],
            "recency": [0.0, 0.0, 0.0],
            "T": [5.0, 20.0, 38.0],
            "monetary_value": [0.0, 0.0, 0.0],
            "segment": ["lost", "lost", "lost"],
        }
    )
    got = segment_value(segments, BGNBD, GAMMA_GAMMA, time_unit="W")
    assert got["mean_probability_alive"].tolist() == [1.0]
    assert got["expected_alive"].tolist() == [3.0]
    assert got["share_of_customers"].tolist() == [1.0]
    assert got["share_of_clv"].tolist() == [1.0]


def test_lazy_and_other_backends_give_the_pandas_answer(constructor, cdnow_segments):
    small = cdnow_segments.iloc[:400]
    expected = segment_value(small, BGNBD, GAMMA_GAMMA, time_unit="W")
    got = nw.from_native(segment_value(constructor(small), BGNBD, GAMMA_GAMMA, time_unit="W"))
    assert isinstance(got, nw.LazyFrame) == constructor.lazy
    got = got.collect() if isinstance(got, nw.LazyFrame) else got
    got_dict = got.sort("segment").to_dict(as_series=False)
    exp_dict = expected.sort_values("segment").to_dict(orient="list")
    assert got_dict["segment"] == exp_dict["segment"]
    for column in ("customers", "mean_probability_alive", "mean_clv", "share_of_clv"):
        np.testing.assert_allclose(got_dict[column], exp_dict[column], rtol=1e-12)


def test_missing_segment_column_and_bad_models_are_rejected():
    summary = pd.DataFrame(
        {"frequency": [1], "recency": [1.0], "T": [2.0], "monetary_value": [3.0]}
    )
    message = (
        "Missing column(s) ['segment'] in segments for segment_value. Available columns: "
        "['frequency', 'recency', 'T', 'monetary_value'].\nHint: pass the output of rfm_segments."
    )
    with pytest.raises(ColumnNotFoundError, match=f"^{re.escape(message)}$"):
        segment_value(summary, BGNBD, GAMMA_GAMMA)
    message = (
        "The 'transaction_model' parameter of segment_value must have a probability_alive() "
        "method. Got GammaGammaModel instead."
    )
    with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}$"):
        segment_value(summary.assign(segment="x"), GAMMA_GAMMA, GAMMA_GAMMA)


def test_cdnow_numbers_printed_in_the_docs_stay_as_printed(cdnow_segments, cdnow_models):
    # docs/clv/segments.md prints this table; a change here must update the page.
    got = segment_value(cdnow_segments, *cdnow_models, time_unit="W")
    assert got["segment"].tolist() == [
        "champions", "loyal", "need_attention", "lost", "at_risk",
        "about_to_sleep", "cannot_lose", "potential_loyalists", "promising",
    ]  # fmt: skip
    assert got["customers"].tolist() == [7931, 5419, 4691, 4452, 536, 249, 256, 23, 13]
    assert got["share_of_clv"].round(3).tolist() == [
        0.794, 0.078, 0.061, 0.053, 0.007, 0.003, 0.003, 0.0, 0.0
    ]  # fmt: skip


def test_segment_value_reads_the_time_unit_the_model_recorded(cdnow_segments, cdnow_models):
    """A model that recorded weeks gives the weekly table without time_unit (default: "D")."""
    bgnbd, gamma_gamma = cdnow_models
    weekly = segment_value(cdnow_segments, bgnbd, gamma_gamma, time_unit="W")
    recorded = BetaGeoModel.from_json(bgnbd.to_json())
    recorded.time_unit = "W"
    pd.testing.assert_frame_equal(segment_value(cdnow_segments, recorded, gamma_gamma), weekly)
    with pytest.raises(InvalidInputError, match=r"of segment_value must be the model's time unit"):
        segment_value(cdnow_segments, recorded, gamma_gamma, time_unit="D")
