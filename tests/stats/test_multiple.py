"""Tests of retention_kpis.stats.multiple against statsmodels' multipletests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from retention_kpis import InvalidInputError, benjamini_hochberg


@pytest.mark.parametrize("seed", range(5))
def test_matches_statsmodels_fdr_bh(seed):
    p = np.random.default_rng(seed).uniform(0, 0.2, 25)
    expected = multipletests(p, method="fdr_bh")[1]
    assert benjamini_hochberg(p) == pytest.approx(list(expected), abs=1e-15)


def test_nan_stays_nan_and_does_not_count():
    got = benjamini_hochberg([0.01, math.nan, 0.04])
    assert math.isnan(got[1])
    assert [got[0], got[2]] == pytest.approx([0.02, 0.04])


def test_out_of_range_raises():
    with pytest.raises(
        InvalidInputError, match=r"must hold values in \[0, 1\]\. Got 1 above 1 instead\."
    ):
        benjamini_hochberg([0.5, 1.5])
