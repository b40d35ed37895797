"""Tests of compare_models: fit statistics and holdout errors across transaction models."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from retention_kpis.clv import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    calibration_holdout_split,
    compare_models,
)
from retention_kpis.datasets import load_cdnow, load_cdnow_summary
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

N_CDNOW = 23_570


@pytest.fixture(scope="module")
def cdnow_split():
    """All CDNOW customers: 39 calibration weeks to 1997-09-30, holdout to 1998-06-30."""
    return calibration_holdout_split(
        load_cdnow(),
        customer_id="customer_id",
        timestamp="date",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_scaler=7.0,
    )


@pytest.fixture(scope="module")
def cdnow_table(cdnow_split):
    return compare_models(cdnow_split)


def test_holdout_actual_is_the_count_of_holdout_purchase_days(cdnow_table):
    # Independent count: distinct (customer, day) pairs after the calibration end, up to the
    # observation end; every CDNOW customer first bought in Q1 1997, so all are in the cohort.
    log = load_cdnow()
    holdout = log[(log["date"] > "1997-09-30") & (log["date"] <= "1998-06-30")]
    days = len(holdout[["customer_id", "date"]].drop_duplicates())
    assert days == 19_684
    assert cdnow_table["holdout_actual"].tolist() == [days] * 3


@pytest.mark.parametrize(
    ("name", "model_type"),
    [("bgnbd", BetaGeoModel), ("mbgnbd", ModifiedBetaGeoModel), ("pareto_nbd", ParetoNBDModel)],
)
def test_each_row_matches_its_model_fitted_alone(cdnow_split, cdnow_table, name, model_type):
    s = cdnow_split
    f, r, T = s["frequency"], s["recency"], s["T"]
    model = model_type().fit(f, r, T)
    row = cdnow_table.loc[name]
    ll = model.log_likelihood
    assert row["parameters"] == 4
    assert row["log_likelihood"] == pytest.approx(ll, rel=1e-12)
    assert row["aic"] == pytest.approx(8 - 2 * ll, rel=1e-12)
    assert row["bic"] == pytest.approx(4 * math.log(N_CDNOW) - 2 * ll, rel=1e-12)
    predicted = model.expected_purchases(s["duration_holdout"], f, r, T)
    error = predicted - s["frequency_holdout"].to_numpy()
    assert row["holdout_mae"] == pytest.approx(np.abs(error).mean(), rel=1e-10)
    assert row["holdout_rmse"] == pytest.approx(np.sqrt((error**2).mean()), rel=1e-10)
    assert row["holdout_bias"] == pytest.approx(error.mean(), rel=1e-10, abs=1e-12)
    assert row["holdout_predicted"] == pytest.approx(predicted.sum(), rel=1e-10)
    assert row["aggregate_error"] == pytest.approx(predicted.sum() / 19_684 - 1, rel=1e-10)


def test_cdnow_numbers_printed_in_the_docs_stay_as_printed(cdnow_table):
    # docs/clv/index.md prints this table; a change here must update the page. The BG/NBD
    # prediction (16,874) is also the one examples/predictive_clv.py reports.
    got = cdnow_table.round({"log_likelihood": 1, "holdout_predicted": 0, "holdout_mae": 3})
    assert got["log_likelihood"].tolist() == [-95368.4, -95337.0, -95415.1]
    assert got["holdout_predicted"].tolist() == [16874.0, 15934.0, 17153.0]
    assert list(cdnow_table.index) == ["bgnbd", "mbgnbd", "pareto_nbd"]


def test_model_instances_are_templates_and_are_not_fitted():
    summary = load_cdnow_summary().assign(frequency_holdout=0, duration_holdout=39.0)
    template = BetaGeoModel(penalizer_coef=0.01)
    table = compare_models(summary, {"penalised": template})
    assert repr(template) == "BetaGeoModel(<not fitted>)"
    alone = BetaGeoModel(penalizer_coef=0.01).fit(
        summary["frequency"], summary["recency"], summary["T"]
    )
    assert table.loc["penalised", "log_likelihood"] == pytest.approx(alone.log_likelihood)
    # Nobody bought in this holdout: the relative aggregate error is undefined.
    assert math.isnan(table.loc["penalised", "aggregate_error"])
    assert table.loc["penalised", "holdout_bias"] == table.loc["penalised", "holdout_mae"]


@pytest.mark.parametrize("models", [[], ["foo"], "bgnbd", {"x": object()}])
def test_bad_models_use_the_message_template(models):
    summary = pd.DataFrame(
        {
            "frequency": [1],
            "recency": [1.0],
            "T": [2.0],
            "frequency_holdout": [0],
            "duration_holdout": [1.0],
        }
    )
    message = (
        "The 'models' parameter of compare_models must be a non-empty sequence of names in "
        "['bgnbd', 'mbgnbd', 'pareto_nbd'] or a mapping of labels to BetaGeoModel, "
        f"ModifiedBetaGeoModel or ParetoNBDModel. Got {models!r} instead."
    )
    with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}$"):
        compare_models(summary, models)


def test_missing_holdout_columns_are_named():
    with pytest.raises(ColumnNotFoundError, match="frequency_holdout"):
        compare_models(load_cdnow_summary(), ["bgnbd"])


def simulate_bgnbd(n, *, r, alpha, a, b, calibration, holdout, seed):
    """BG/NBD customers (FHL 2005 assumptions): Poisson purchases at rate lambda ~ Gamma(r,
    alpha) until dropping out with probability p ~ Beta(a, b) after each purchase. Returns
    frequency, recency, T in the calibration window and purchases in the holdout window."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    end = calibration + holdout
    out = np.zeros((n, 4))
    for i in range(n):
        t, times = 0.0, []
        while True:
            t += rng.exponential(1 / rate[i])
            if t > end:
                break
            times.append(t)
            if rng.random() < p[i]:
                break
        calib = [u for u in times if u <= calibration]
        out[i] = (len(calib), calib[-1] if calib else 0.0, calibration, len(times) - len(calib))
    return pd.DataFrame(out, columns=["frequency", "recency", "T", "frequency_holdout"]).assign(
        duration_holdout=holdout
    )


def test_simulated_bgnbd_data_are_predicted_without_aggregate_bias():
    # Customers observed from time 0 (a trial purchase at 0 is not counted, as in FHL), so the
    # calibration summary is the BG/NBD one. With the true model the holdout total should be
    # predicted within sampling error: 6,000 customers give a total of a few thousand
    # purchases, whose relative standard error is a few percent.
    summary = simulate_bgnbd(
        6_000, r=0.25, alpha=4.0, a=0.8, b=2.5, calibration=39.0, holdout=39.0, seed=5
    )
    table = compare_models(summary, ["bgnbd"], penalizer_coef=0.0)
    assert abs(table.loc["bgnbd", "aggregate_error"]) < 0.05
    assert abs(table.loc["bgnbd", "holdout_bias"]) < 0.05
    # Recovery of the known parameters within 2.5 standard errors, plain and with a penalty
    # small enough (1e-5 * sum(theta ** 2) ~ 2e-4 per customer) not to move them much.
    for coef in (0.0, 1e-5):
        model = BetaGeoModel(penalizer_coef=coef).fit(
            summary["frequency"], summary["recency"], summary["T"]
        )
        se = model.standard_errors
        for name, true in {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}.items():
            assert abs(getattr(model.params, name) - true) < 2.5 * se[name], (coef, name)
