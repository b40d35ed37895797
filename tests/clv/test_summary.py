"""summary() of the fitted CLV models: lifetimes' columns, the fit's own numbers, the paper's."""

from __future__ import annotations

import math

import pytest

from retention_kpis.clv import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    NotFittedError,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
    rfm_summary,
)
from retention_kpis.datasets import load_cdnow_summary, make_events

# lifetimes' BaseFitter.summary names its columns so (checked in lifetimes/fitters/__init__.py).
LIFETIMES_COLUMNS = ["coef", "se(coef)", "lower 95% bound", "upper 95% bound"]
FHL_2005 = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader & Hardie (2007), "How to project customer retention", table 1: survivors of the
# 1,000-customer "regular" cohort at years 0-7 (their sBG fit: alpha 0.704, beta 1.182).
REGULAR_SURVIVORS = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.fixture(scope="module")
def cdnow_bgnbd():
    cdnow = load_cdnow_summary()
    return BetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


def test_bgnbd_summary_matches_fader_hardie_lee_2005_cdnow(cdnow_bgnbd):
    """FHL 2005, section 4: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4, n = 2,357."""
    summary = cdnow_bgnbd.summary()
    assert list(summary.columns) == LIFETIMES_COLUMNS
    assert list(summary.index) == ["r", "alpha", "a", "b"]
    for name, value in FHL_2005.items():
        assert summary.loc[name, "coef"] == pytest.approx(value, abs=5e-4)
        assert summary.loc[name, "coef"] == getattr(cdnow_bgnbd.params, name)
    assert summary.attrs["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert summary.attrs["n"] == 2357
    assert cdnow_bgnbd.n_customers == 2357


def test_bgnbd_summary_bounds_are_the_models_log_scale_intervals(cdnow_bgnbd):
    """se and bounds are the model's own (Hessian) figures; bounds bracket the estimate."""
    summary = cdnow_bgnbd.summary()
    for name, (lower, upper) in cdnow_bgnbd.confidence_intervals.items():
        assert summary.loc[name, "se(coef)"] == cdnow_bgnbd.standard_errors[name]
        assert (summary.loc[name, "lower 95% bound"], summary.loc[name, "upper 95% bound"]) == (
            lower,
            upper,
        )
        # log-scale Wald interval: the estimate is the geometric mean of the bounds
        assert math.sqrt(lower * upper) == pytest.approx(summary.loc[name, "coef"], rel=1e-12)


def test_bgnbd_str_and_html_show_the_summary(cdnow_bgnbd, html_cells):
    """The model shows its estimates (6 significant digits), log-likelihood and n."""
    text = str(cdnow_bgnbd)
    assert text.splitlines()[0] == "BetaGeoModel: fitted to 2,357 customers"
    assert "log-likelihood: -9,582.4" in text
    cells = html_cells(cdnow_bgnbd._repr_html_())
    assert cells.headers == ["parameter", *LIFETIMES_COLUMNS]
    assert [row[0] for row in cells.rows] == ["r", "alpha", "a", "b"]
    assert cells.rows[0][1] == f"{cdnow_bgnbd.params.r:.6g}"
    assert float(cells.rows[0][1]) == pytest.approx(0.243, abs=5e-4)  # FHL 2005: r = 0.243
    assert repr(cdnow_bgnbd).startswith("BetaGeoModel(r=0.2426, alpha=4.414")


def test_model_from_parameters_has_no_standard_errors():
    """A model built from a paper's estimates has coefs but nan se, bounds, LL and n."""
    summary = BetaGeoModel.from_params(**FHL_2005).summary()
    assert summary["coef"].tolist() == list(FHL_2005.values())
    assert summary[LIFETIMES_COLUMNS[1:]].isna().all().all()
    assert math.isnan(summary.attrs["log_likelihood"])
    assert math.isnan(summary.attrs["n"])
    assert str(BetaGeoModel.from_params(**FHL_2005)).splitlines()[0] == (
        "BetaGeoModel: from parameters"
    )


@pytest.fixture(scope="module")
def weekly():
    purchases = make_events(400, seed=3).query("event_type == 'purchase'")
    return rfm_summary(
        purchases,
        customer_id="customer_id",
        timestamp="timestamp",
        monetary_value="revenue",
        time_unit="W",
    )


def _fits(weekly):
    f, r, t = weekly["frequency"], weekly["recency"], weekly["T"]
    return {
        "ModifiedBetaGeoModel": lambda: ModifiedBetaGeoModel().fit(f, r, t),
        "ParetoNBDModel": lambda: ParetoNBDModel().fit(f, r, t),
        "GammaGammaModel": lambda: GammaGammaModel().fit(f, weekly["monetary_value"]),
        "BetaGeoBetaBinomModel": lambda: BetaGeoBetaBinomModel().fit(f, r, t),
        "ShiftedBetaGeometricModel": lambda: ShiftedBetaGeometricModel().fit(REGULAR_SURVIVORS),
    }


@pytest.mark.parametrize(
    "name",
    [
        "ModifiedBetaGeoModel",
        "ParetoNBDModel",
        "GammaGammaModel",
        "BetaGeoBetaBinomModel",
        "ShiftedBetaGeometricModel",
    ],
)
def test_every_model_summary_holds_its_fit(weekly, name, html_cells):
    """Every model: index = parameters, coef = params, se/bounds = the model's, LL and n in attrs."""
    model = _fits(weekly)[name]()
    summary = model.summary()
    params = model.params.model_dump()
    assert list(summary.columns) == LIFETIMES_COLUMNS
    assert list(summary.index) == list(params)
    assert summary["coef"].tolist() == list(params.values())
    assert summary["se(coef)"].tolist() == list(model.standard_errors.values())
    assert summary["lower 95% bound"].tolist() == [
        lo for lo, _ in model.confidence_intervals.values()
    ]
    assert summary.attrs == {"log_likelihood": model.log_likelihood, "n": model.n_customers}
    assert str(model).startswith(f"{name}: fitted to ")
    assert [row[0] for row in html_cells(model._repr_html_()).rows] == list(params)


def test_sbg_summary_matches_fader_hardie_2007():
    """The regular cohort's sBG estimates: alpha = 0.704, beta = 1.182 (FH 2007)."""
    summary = ShiftedBetaGeometricModel().fit(REGULAR_SURVIVORS).summary()
    assert summary.loc["alpha", "coef"] == pytest.approx(0.704, abs=5e-4)
    assert summary.loc["beta", "coef"] == pytest.approx(1.182, abs=5e-4)


def test_unfitted_model_shows_itself_and_summary_says_why():
    """Before fit there is nothing to tabulate: str and HTML say so; summary() raises."""
    model = BetaGeoModel()
    assert str(model) == repr(model) == "BetaGeoModel(<not fitted>)"
    assert model._repr_html_() == "<pre>BetaGeoModel(&lt;not fitted&gt;)</pre>"
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.summary()
