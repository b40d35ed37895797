"""Non-identified fits are refused the same way by every CLV model (issue #16, item 6).

Policy (``docs/clv/index.md``): ``fit`` raises :class:`ConvergenceError` naming the model and
the reason, and the model stays unfitted. Before the fix Pareto/NBD, BG/BB and Gamma-Gamma
returned boundary estimates with standard errors of exactly 0 (a clipped negative variance),
while BG/NBD raised.

Why each data set identifies nothing (worked out by hand, not by the code under test):

* all frequency 0: every likelihood is largest where the purchase rate goes to 0 (Fader,
  Hardie & Lee 2005, section 4: "the likelihood grows without bound"), so the dropout
  parameters are free;
* every repeat buyer spent the same amount: the Gamma-Gamma spend distribution that fits best
  is a point mass, reached only as p, q, v go to infinity together (a flat ridge);
* one repeat buyer among 50: the gamma heterogeneity of the purchase rates collapses
  (r, alpha to infinity with r/alpha fixed), again a ridge;
* no churn in an sBG cohort: the likelihood is largest as the churn probability goes to 0.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from retention_kpis import ConvergenceError
from retention_kpis.clv import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
)
from retention_kpis.clv._base import NotFittedError, check_identified

N = 50
ZEROS = np.zeros(N)
AGES = np.linspace(10.0, 40.0, N)
ONE_REPEAT = np.where(np.arange(N) == 0, 1.0, 0.0)
ONE_RECENCY = np.where(np.arange(N) == 0, 5.0, 0.0)

NO_REPEAT = "needs repeat purchases: all 50 customers have frequency 0"
FLAT = "found no identified optimum: the log-likelihood is flat along some direction"


@pytest.mark.parametrize(
    ("model", "fit", "message"),
    [
        (BetaGeoModel, lambda m: m.fit(ZEROS, ZEROS, AGES), NO_REPEAT),
        (ModifiedBetaGeoModel, lambda m: m.fit(ZEROS, ZEROS, AGES), NO_REPEAT),
        (ParetoNBDModel, lambda m: m.fit(ZEROS, ZEROS, AGES), NO_REPEAT),
        (BetaGeoBetaBinomModel, lambda m: m.fit(ZEROS, ZEROS, 6), NO_REPEAT),
        # Since main's Gamma-Gamma likelihood rewrite, L-BFGS-B stops on the ridge before the
        # Hessian check; either way the fit is refused with ConvergenceError.
        (
            GammaGammaModel,
            lambda m: m.fit([1, 2, 3, 1, 2], [10.0] * 5),
            f"{FLAT}|did not converge: ABNORMAL",
        ),
        (ParetoNBDModel, lambda m: m.fit(ONE_REPEAT, ONE_RECENCY, AGES), FLAT),
        (BetaGeoModel, lambda m: m.fit(ONE_REPEAT, ONE_RECENCY, AGES), FLAT),
        (ModifiedBetaGeoModel, lambda m: m.fit(ONE_REPEAT, ONE_RECENCY, AGES), FLAT),
        (BetaGeoBetaBinomModel, lambda m: m.fit(ONE_REPEAT, 3 * ONE_REPEAT, 6), FLAT),
        (
            ShiftedBetaGeometricModel,
            lambda m: m.fit([100, 100, 100]),
            "No customer churned: the sBG parameters are not identified.",
        ),
        (
            ShiftedBetaGeometricModel,
            lambda m: m.fit_individual([1, 1, 1], [3, 3, 3]),
            "Every customer churned in period 1: the sBG parameters are not identified.",
        ),
    ],
    ids=[
        "bgnbd-no-repeat",
        "mbgnbd-no-repeat",
        "pareto-nbd-no-repeat",
        "bgbb-no-repeat",
        "gamma-gamma-one-spend-value",
        "pareto-nbd-one-repeat-buyer",
        "bgnbd-one-repeat-buyer",
        "mbgnbd-one-repeat-buyer",
        "bgbb-one-repeat-buyer",
        "sbg-no-churn",
        "sbg-all-churn-in-period-1",
    ],
)
def test_non_identified_fit_raises_convergence_error_and_stays_unfitted(model, fit, message):
    fitted = model()
    with pytest.raises(ConvergenceError) as info:
        fit(fitted)
    assert re.search(message, str(info.value))
    assert str(info.value).startswith(model.__name__) or model is ShiftedBetaGeometricModel
    with pytest.raises(NotFittedError):
        _ = fitted.params


def test_identified_fit_keeps_positive_standard_errors():
    # A small but informative Gamma-Gamma data set (the class docstring's example) still fits.
    model = GammaGammaModel().fit([1, 2, 3, 0, 5, 1], [10.0, 25.0, 14.0, 0.0, 30.0, 8.0])
    assert all(se > 0 for se in model.standard_errors.values())


@pytest.mark.parametrize(
    ("hessian", "identified"),
    [
        (np.diag([2.0, 0.5]), True),  # eigenvalues 2 and 0.5
        (np.array([[1.0, 1.0], [1.0, 1.0]]), False),  # eigenvalues 2 and 0 (singular)
        (np.array([[1.0, 2.0], [2.0, 1.0]]), False),  # eigenvalues 3 and -1 (a saddle)
        (np.diag([1.0, 1e-9]), False),  # 1e-9 < 1e-8 * max(1, 1)
        (np.diag([1.0, 1e-7]), True),
        (np.diag([1.0, np.nan]), False),
    ],
)
def test_check_identified_follows_the_documented_eigenvalue_rule(hessian, identified):
    if identified:
        check_identified("M", hessian, 1.0)
    else:
        with pytest.raises(ConvergenceError, match="found no identified optimum"):
            check_identified("M", hessian, 1.0)
