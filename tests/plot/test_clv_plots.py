"""Tests of retention_kpis.plot.clv: the axes hold the models' numbers, not a picture."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from retention_kpis.clv._base import NotFittedError
from retention_kpis.clv.bgnbd import BetaGeoModel
from retention_kpis.clv.sbg import ShiftedBetaGeometricModel
from retention_kpis.datasets import load_sbg_cohorts
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.plot import (
    plot_calibration_purchases_vs_holdout_purchases,
    plot_frequency_recency_matrix,
    plot_probability_alive_matrix,
    plot_survival_curve,
)

# Fader, Hardie & Lee (2005), CDNOW BG/NBD estimates (weeks).
BGNBD = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)


def test_frequency_recency_matrix_cells_are_model_predictions():
    ax = plot_frequency_recency_matrix(BGNBD, T=38.86, max_frequency=5, max_recency=10, t=4)
    matrix = np.asarray(ax.images[0].get_array())
    assert matrix.shape == (6, 11)  # frequency 0..5 by recency 0..10
    for frequency, recency in [(1, 0), (3, 7), (5, 10)]:
        expected = BGNBD.expected_purchases(4, frequency, recency, 38.86)[0]
        assert matrix[frequency, recency] == pytest.approx(expected, rel=1e-12)
    # no repeat purchase: recency is 0 for every column of row 0
    assert np.all(matrix[0] == pytest.approx(BGNBD.expected_purchases(4, 0, 0.0, 38.86)[0]))
    assert ax.images[0].origin == "lower"
    assert ax.get_title() == "Expected purchases in the next 4 periods (T = 38.9 periods)"


def test_frequency_recency_matrix_defaults_to_whole_age_grid():
    ax = plot_frequency_recency_matrix(BGNBD, T=12.5)
    assert np.asarray(ax.images[0].get_array()).shape == (13, 13)  # 0..floor(T) both ways


def test_frequency_recency_matrix_draws_on_given_axes():
    _, ax = plt.subplots()
    assert plot_frequency_recency_matrix(BGNBD, T=10, ax=ax) is ax


def test_probability_alive_matrix_cells_are_model_probabilities():
    ax = plot_probability_alive_matrix(BGNBD, T=38.86, max_frequency=8, max_recency=38)
    matrix = np.asarray(ax.images[0].get_array())
    assert matrix.shape == (9, 39)
    for frequency, recency in [(2, 30), (8, 5), (8, 38)]:
        expected = BGNBD.probability_alive(frequency, recency, 38.86)[0]
        assert matrix[frequency, recency] == pytest.approx(expected, rel=1e-12)
    assert np.all((matrix >= 0) & (matrix <= 1))
    assert ax.images[0].get_clim() == (0.0, 1.0)


def test_calibration_holdout_plot_means_match_a_pandas_groupby():
    summary = pd.DataFrame(
        {
            "frequency": [0, 0, 1, 2, 2, 5, 9],
            "recency": [0, 0, 3, 10, 20, 25, 30],
            "T": [39, 30, 39, 39, 35, 39, 39],
            "frequency_holdout": [0, 1, 1, 2, 0, 3, 6],
            "duration_holdout": [39, 39, 39, 39, 39, 39, 39],
        }
    )
    ax = plot_calibration_purchases_vs_holdout_purchases(BGNBD, summary, n=3)
    actual, model = ax.lines
    # groups 0, 1, 2, "3+" (frequencies 5 and 9 pooled)
    assert actual.get_xdata().tolist() == [0, 1, 2, 3]
    assert actual.get_ydata().tolist() == pytest.approx([0.5, 1.0, 1.0, 4.5])
    predicted = BGNBD.expected_purchases(
        summary["duration_holdout"], summary["frequency"], summary["recency"], summary["T"]
    )
    expected = pd.Series(predicted).groupby(np.minimum(summary["frequency"], 3)).mean().to_numpy()
    np.testing.assert_allclose(model.get_ydata(), expected, rtol=1e-12)
    assert [label.get_text() for label in ax.get_xticklabels()] == ["0", "1", "2", "3+"]


def test_calibration_holdout_plot_skips_empty_groups():
    summary = {
        "frequency": [0, 4],
        "recency": [0, 10],
        "T": [20, 20],
        "frequency_holdout": [0, 2],
        "duration_holdout": [10, 10],
    }
    ax = plot_calibration_purchases_vs_holdout_purchases(BGNBD, summary, n=7)
    assert ax.lines[0].get_xdata().tolist() == [0, 4]


def test_survival_curve_plots_model_and_observed_shares():
    survivors = load_sbg_cohorts()["regular"].to_numpy()
    # Fader & Hardie (2007) sBG estimates for the "regular" cohort: alpha=0.704, beta=1.182.
    model = ShiftedBetaGeometricModel.from_params(alpha=0.704, beta=1.182)
    ax = plot_survival_curve(model, survivors[:8], n_periods=12)
    line, points = ax.lines
    assert line.get_xdata().tolist() == list(range(13))
    np.testing.assert_allclose(line.get_ydata(), model.survival(np.arange(13)), rtol=1e-12)
    # observed shares: survivors / 1000, e.g. 631 / 1000 after year 1
    np.testing.assert_allclose(points.get_ydata(), survivors[:8] / 1000.0)
    assert points.get_ydata()[1] == pytest.approx(0.631)


def test_survival_curve_without_data_plots_twelve_periods():
    ax = plot_survival_curve(ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0))
    assert len(ax.lines) == 1
    # S(t) = B(1, 1 + t) / B(1, 1) = 1 / (1 + t)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 1 / (1 + np.arange(13)))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: plot_frequency_recency_matrix(BGNBD, T=10, max_recency=11),
            "The 'max_recency' parameter of plot_frequency_recency_matrix must be <= T (10). Got 11 instead.",
        ),
        (
            lambda: plot_frequency_recency_matrix(BGNBD, T=0),
            "The 'T' parameter of plot_frequency_recency_matrix must be > 0. Got 0 instead.",
        ),
        (
            lambda: plot_probability_alive_matrix(BGNBD, T=10, max_frequency=-1),
            "The 'max_frequency' parameter of plot_probability_alive_matrix must be >= 0. Got -1 instead.",
        ),
        (
            lambda: plot_calibration_purchases_vs_holdout_purchases(BGNBD, {}, n=0),
            "The 'n' parameter of plot_calibration_purchases_vs_holdout_purchases must be > 0. Got 0 instead.",
        ),
        (
            lambda: plot_survival_curve(
                ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0), [0, 0]
            ),
            "The 'survivors' parameter of plot_survival_curve must start with a count > 0. Got [0, 0] instead.",
        ),
        (
            lambda: plot_survival_curve(BGNBD),
            "The 'sbg_model' parameter of plot_survival_curve must have a survival() method. Got BetaGeoModel instead.",
        ),
        (
            lambda: plot_probability_alive_matrix(
                ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0), T=3
            ),
            "The 'model' parameter of plot_probability_alive_matrix must have a probability_alive() method. Got ShiftedBetaGeometricModel instead.",
        ),
    ],
)
def test_plots_reject_bad_input_with_exact_message(call, message):
    with pytest.raises(InvalidInputError) as error:
        call()
    assert str(error.value) == message


def test_plots_reject_unfitted_models():
    with pytest.raises(NotFittedError):
        plot_frequency_recency_matrix(BetaGeoModel(), T=10)


def test_plots_name_the_plot_extra_when_matplotlib_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'retention-kpis\[plot\]'"):
        plot_frequency_recency_matrix(BGNBD, T=10)


def test_importing_the_plot_package_does_not_import_matplotlib():
    code = (
        "import sys; import retention_kpis.plot; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 - fixed code string
