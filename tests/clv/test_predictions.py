"""Tests of typed predictions: the time unit they carry, frames, and JSON for services."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from retention_kpis.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    Prediction,
    ShiftedBetaGeometricModel,
    customer_lifetime_value,
    predict_clv,
)
from retention_kpis.clv.units import describe_horizon, units_per_month
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import InvalidInputError

# Fader, Hardie & Lee (2005), CDNOW in weeks; Gamma-Gamma: FHL (2005), "RFM and CLV".
BGNBD_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA_CDNOW = {"p": 6.25, "q": 3.74, "v": 15.44}


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()


# -- the unit ------------------------------------------------------------------------
def test_a_model_records_its_time_unit_and_keeps_it_in_json():
    model = BetaGeoModel(time_unit="W")
    assert model.time_unit == "W"
    fitted = BetaGeoModel.from_params(**BGNBD_CDNOW)
    fitted.time_unit = "7D"
    restored = BetaGeoModel.from_json(fitted.to_json())
    assert restored.time_unit == "7D"
    assert json.loads(fitted.to_json())["time_unit"] == "7D"
    fitted.time_unit = None
    assert "time_unit" not in json.loads(fitted.to_json())  # the old documents stay the same


def test_unit_spellings_are_normalised_and_bad_ones_refused():
    assert BetaGeoModel(time_unit="H").time_unit == "h"
    assert BetaGeoModel(time_unit="1W").time_unit == "W"
    with pytest.raises(InvalidInputError) as error:
        BetaGeoModel(time_unit="week")
    assert str(error.value) == (
        "The 'time_unit' parameter of BetaGeoModel must be 'h', 'D', 'W' or 'M', optionally "
        "after a positive multiplier ('7D'). Got 'week' instead."
    )
    with pytest.raises(
        InvalidInputError, match=r"'time_unit' parameter of BetaGeoModel\.from_json"
    ):
        BetaGeoModel.from_json(
            json.dumps({"model": "BetaGeoModel", "params": BGNBD_CDNOW, "time_unit": 7})
        )


def test_month_lengths_follow_lifetimes_convention():
    # lifetimes: 30 days, 4.345 weeks, 720 hours a month; a 7-day unit has 30 / 7 a month.
    assert units_per_month("D", "f") == 30.0
    assert units_per_month("W", "f") == 4.345
    assert units_per_month("h", "f") == 720.0
    assert units_per_month("7D", "f") == pytest.approx(30 / 7, rel=1e-15)
    assert describe_horizon(52, "W") == "t = 52 time units = 52 weeks"


def test_predictions_say_what_t_means():
    model = BetaGeoModel.from_params(**BGNBD_CDNOW)
    model.time_unit = "W"
    result = model.predict("expected_purchases", 39, 2, 30.43, 38.86)
    assert result.time_unit == "W"
    assert result.time_unit_description == "1 time unit = 1 week"
    assert result.horizon == "t = 39 time units = 39 weeks"
    assert result.unit == "purchases"
    # FHL 2005 customer 1 (weeks): 1.226 expected purchases in the next 39 weeks.
    assert round(result.value[0], 3) == 1.226
    unrecorded = BetaGeoModel.from_params(**BGNBD_CDNOW)
    assert unrecorded.predict("probability_alive", 2, 30.43, 38.86).time_unit is None


def test_clv_uses_the_models_unit_and_refuses_another(cdnow):
    bgnbd = BetaGeoModel.from_params(**BGNBD_CDNOW)
    spend = GammaGammaModel.from_params(**GAMMA_GAMMA_CDNOW)
    weekly = customer_lifetime_value(bgnbd, spend, cdnow, time_unit="W")
    bgnbd.time_unit = "W"
    np.testing.assert_array_equal(customer_lifetime_value(bgnbd, spend, cdnow), weekly)
    with pytest.raises(InvalidInputError) as error:
        customer_lifetime_value(bgnbd, spend, cdnow, time_unit="D")
    assert str(error.value) == (
        "The 'time_unit' parameter of customer_lifetime_value must be the model's time unit 'W' "
        "(1 time unit = 1 week) or None. Got 'D' instead."
    )


def test_clv_with_a_seven_day_unit_uses_30_over_7_units_a_month(cdnow):
    bgnbd = BetaGeoModel.from_params(**BGNBD_CDNOW)
    spend = GammaGammaModel.from_params(**GAMMA_GAMMA_CDNOW)
    seven_days = customer_lifetime_value(bgnbd, spend, cdnow, time_unit="7D")
    # The same sum written out: month i ends at T + 30 i / 7, discounted by 1.01 ** i.
    first = cdnow.iloc[:3]
    grid = 30 / 7 * np.arange(1, 13)
    expected = []
    for _, row in first.iterrows():
        cumulative = bgnbd.expected_purchases(grid, row["frequency"], row["recency"], row["T"])
        monthly = np.diff(cumulative, prepend=0.0)
        average = spend.expected_average_value(row["frequency"], row["monetary_value"])[0]
        expected.append(float(monthly @ (1.01 ** -np.arange(1, 13)) * average))
    np.testing.assert_allclose(seven_days[:3], expected, rtol=1e-10)


def test_clv_prediction_says_its_horizon_and_currency(cdnow):
    bgnbd = BetaGeoModel.from_params(**BGNBD_CDNOW)
    bgnbd.time_unit = "W"
    spend = GammaGammaModel.from_params(**GAMMA_GAMMA_CDNOW)
    result = predict_clv(bgnbd, spend, cdnow, customer_id="customer_id")
    assert result.horizon == "12 months = 52.14 time units = 52.14 weeks"
    assert result.unit == "currency of monetary_value"
    # lifetimes 0.11.3 (see tests/clv/test_value.py): total 12-month CLV at 1 % a month.
    assert result.total == pytest.approx(71560.20884012154, rel=1e-6)


# -- frames and JSON ---------------------------------------------------------------------
def test_frame_has_named_columns_in_customer_order(cdnow):
    model = ParetoNBDModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    model.time_unit = "W"
    result = model.predict(
        "probability_alive",
        cdnow["frequency"],
        cdnow["recency"],
        cdnow["T"],
        customer_id=cdnow["customer_id"],
        confidence=0.95,
        method="delta",
    )
    frame = result.to_frame()
    assert list(frame.columns) == ["customer_id", "value", "low", "high"]
    assert frame["customer_id"].tolist() == cdnow["customer_id"].tolist()
    np.testing.assert_array_equal(
        frame["value"].to_numpy(),
        model.probability_alive(cdnow["frequency"], cdnow["recency"], cdnow["T"]),
    )
    assert frame.attrs["time_unit"] == "W"
    assert isinstance(result.values, np.ndarray)


def test_plain_methods_still_return_arrays():
    model = BetaGeoModel.from_params(**BGNBD_CDNOW)
    assert isinstance(model.expected_purchases(39, 2, 30.43, 38.86), np.ndarray)


def test_a_service_can_return_a_prediction_as_strict_json(cdnow):
    """What a web handler does: call, serialise, send; the client parses strict JSON."""
    model = BetaGeoModel(time_unit="W").fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])

    def handler(customer_ids, frequency, recency, T):
        result = model.predict(
            "expected_purchases",
            39,
            frequency,
            recency,
            T,
            customer_id=customer_ids,
            confidence=0.9,
            n_draws=50,
        )
        return result.model_dump_json()

    rows = cdnow.iloc[:5]
    body = handler(rows["customer_id"], rows["frequency"], rows["recency"], rows["T"])
    parsed = json.loads(body, parse_constant=lambda token: pytest.fail(f"non-JSON {token}"))
    assert parsed["time_unit"] == "W"
    assert parsed["customer_id"] == rows["customer_id"].tolist()
    assert len(parsed["low"]) == 5
    assert Prediction.model_validate_json(body) == Prediction.model_validate(parsed)
    # numpy arrays themselves are what a service could not send:
    with pytest.raises(TypeError):
        json.dumps(model.expected_purchases(39, rows["frequency"], rows["recency"], rows["T"]))


def test_undefined_values_are_null_in_json_and_read_back_as_nan():
    result = Prediction(
        quantity="expected_lifetime",
        model="ShiftedBetaGeometricModel",
        unit="time units",
        time_unit="M",
        time_unit_description="1 time unit = 1 month",
        value=[math.nan, 2.0],
        total=math.nan,
    )
    body = result.model_dump_json()
    assert '"value":[null,2.0]' in body
    assert "NaN" not in body
    back = Prediction.model_validate_json(body)
    assert math.isnan(back.value[0])
    assert back.value[1] == 2.0


def test_infinite_predictions_are_strict_json_strings():
    # sBG with alpha <= 1 has an infinite mean lifetime (Fader & Hardie 2007).
    model = ShiftedBetaGeometricModel.from_params(alpha=0.7, beta=1.2)
    body = model.predict("expected_lifetime").model_dump_json()
    assert json.loads(body)["value"] == ["Infinity"]
    assert math.isinf(Prediction.model_validate_json(body).value[0])


def test_pandas_ids_of_any_integer_dtype_serialise():
    model = BetaGeoModel.from_params(**BGNBD_CDNOW)
    ids = pd.Series([10, 20], dtype="int32")
    result = model.predict("probability_alive", [0, 1], [0, 5.0], 10.0, customer_id=ids)
    assert json.loads(result.model_dump_json())["customer_id"] == [10, 20]


def test_keyword_arguments_are_passed_through_and_t_is_read_from_them(cdnow):
    model = BetaGeoModel(time_unit="W").fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    rows = cdnow.iloc[:30]
    by_keyword = model.predict(
        "expected_purchases",
        t=26,
        frequency=rows["frequency"],
        recency=rows["recency"],
        T=rows["T"],
        confidence=0.95,
        method="delta",
    )
    by_position = model.predict(
        "expected_purchases",
        26,
        rows["frequency"],
        rows["recency"],
        rows["T"],
        confidence=0.95,
        method="delta",
    )
    assert by_keyword.horizon == "t = 26 time units = 26 weeks"
    assert by_keyword.low == by_position.low
    assert (
        by_keyword.value
        == model.expected_purchases(26, rows["frequency"], rows["recency"], rows["T"]).tolist()
    )
