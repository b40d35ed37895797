"""Properties of the plots: each draws exactly the numbers of the object it is given, and
never modifies it (hypothesis over generated event frames and model parameters)."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from retention_kpis.clv.sbg import ShiftedBetaGeometricModel
from retention_kpis.cohorts import cohort_retention
from retention_kpis.funnels import funnel
from retention_kpis.plot import plot_cohort_heatmap, plot_funnel, plot_survival_curve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "properties"))
from strategies import TYPES, event_frames

STEPS = [TYPES.visit, TYPES.cart_add, TYPES.checkout, TYPES.purchase]


@settings(max_examples=25, deadline=None)
@given(frame=event_frames(max_rows=40, kinds=(TYPES.visit, TYPES.purchase, TYPES.purchase)))
def test_heatmap_draws_the_cohort_shares_and_masks_exactly_the_null_cells(frame):
    assume((frame["event_type"] == TYPES.purchase).any())
    table = cohort_retention(frame)
    before = table.model_dump_json()
    image = plot_cohort_heatmap(table).get_images()[0].get_array()
    values = table.to_frame().drop(columns=["cohort", "cohort_size"]).to_numpy(dtype=float)
    assert image.shape == values.shape
    assert np.array_equal(np.ma.getmaskarray(image), np.isnan(values))
    np.testing.assert_allclose(image.compressed(), values[~np.isnan(values)], rtol=1e-12)
    assert table.model_dump_json() == before
    plt.close("all")


@settings(max_examples=25, deadline=None)
@given(frame=event_frames(max_rows=40, kinds=(*STEPS, TYPES.visit)))
def test_funnel_bars_are_the_entrants_and_never_grow(frame):
    result = funnel(frame, STEPS, zero_division=0.0)  # empty steps are expected here
    before = result.model_dump_json()
    widths = [bar.get_width() for bar in plot_funnel(result).containers[0]]
    assert widths == result.to_frame()["entrants"].tolist()
    assert all(later <= earlier for earlier, later in itertools.pairwise(widths))
    assert result.model_dump_json() == before
    plt.close("all")


@settings(max_examples=40, deadline=None)
@given(
    alpha=st.floats(0.05, 20.0),
    beta=st.floats(0.05, 20.0),
    survivors=st.lists(st.integers(1, 10_000), min_size=1, max_size=12).map(
        lambda xs: sorted(xs, reverse=True)
    ),
)
def test_survival_curve_starts_at_one_never_rises_and_shows_the_observed_shares(
    alpha, beta, survivors
):
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    observed = np.array(survivors)
    copy = observed.copy()
    line, points = plot_survival_curve(model, observed, n_periods=12).lines
    curve = line.get_ydata()
    assert curve[0] == 1.0  # S(0) = 1: everyone is a customer at the start
    assert np.all(np.diff(curve) <= 0)
    assert np.all((curve >= 0) & (curve <= 1))
    np.testing.assert_allclose(points.get_ydata(), observed / observed[0], rtol=1e-12)
    np.testing.assert_array_equal(observed, copy)
    plt.close("all")
