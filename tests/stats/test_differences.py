"""Tests of the standard-error helpers and normal_difference_test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from retention_kpis import (
    InvalidInputError,
    normal_difference_test,
    nps_standard_error,
    ratio_interval_from_sums,
    ratio_standard_error,
)


def _mean_se(values):
    n = values.size
    return ratio_standard_error(
        n, sum_x=n, sum_y=values.sum(), sum_xx=n, sum_yy=(values**2).sum(), sum_xy=values.sum()
    )


def test_difference_of_means_matches_statsmodels_compare_means_unequal():
    rng = np.random.default_rng(0)
    a, b = rng.poisson(2.0, 50).astype(float), rng.poisson(2.5, 40).astype(float)
    means = CompareMeans(DescrStatsW(a), DescrStatsW(b))
    low, high, p = normal_difference_test(a.mean(), _mean_se(a), b.mean(), _mean_se(b))
    assert (low, high) == pytest.approx(means.zconfint_diff(usevar="unequal"))
    assert p == pytest.approx(means.ztest_ind(usevar="unequal")[1])


def test_nps_standard_error_is_the_population_sd_of_signed_answers():
    answers = np.repeat([100.0, 0.0, -100.0], [50, 30, 20])
    assert nps_standard_error(50, 30, 20) == pytest.approx(answers.std(ddof=0) / math.sqrt(100))
    assert math.isnan(nps_standard_error(0, 0, 0))


def test_ratio_interval_from_sums_is_value_plus_minus_z_standard_errors():
    sums = {"sum_x": 4, "sum_y": 80, "sum_xx": 6, "sum_yy": 3000, "sum_xy": 130}
    se = ratio_standard_error(3, **sums)
    assert se == pytest.approx(math.sqrt(18.75))  # hand calculation in test_ratios.py
    assert ratio_interval_from_sums(3, **sums) == pytest.approx(
        (20 - 1.959964 * se, 20 + 1.959964 * se)
    )


def test_zero_standard_errors_and_nan():
    assert normal_difference_test(1.0, 0.0, 1.0, 0.0) == (0.0, 0.0, 1.0)
    assert all(math.isnan(v) for v in normal_difference_test(math.nan, 1.0, 1.0, 1.0))
    with pytest.raises(
        InvalidInputError,
        match=r"^The 'standard_error2' parameter of normal_difference_test must be >= 0\. Got -1\.0 instead\.$",
    ):
        normal_difference_test(1.0, 1.0, 1.0, -1.0)
