"""Uncertainty of the KPIs: confidence intervals, comparisons and multiple testing.

Pure functions returning floats (they import only :mod:`retention_kpis._core`), and
frozen models carrying a value with its interval:

* :mod:`~retention_kpis.stats.proportions`: Wilson and Jeffreys intervals for a share,
  Newcombe's interval for a difference of shares, the two-proportion z-test;
* :mod:`~retention_kpis.stats.nps`: the NPS's Wald and adjusted-Wald intervals;
* :mod:`~retention_kpis.stats.ratios`: delta-method and bootstrap intervals for a
  ratio of customer-level totals (AOV, purchase frequency, survey means, ROAS);
* :mod:`~retention_kpis.stats.totals`: intervals for a total over customers (ROAS, CPA,
  CAC with spend fixed) and for a product of independent estimates (the facade's CLV);
* :mod:`~retention_kpis.stats.top_shares`: the influence-function interval of a top
  share (the report's Pareto share);
* :mod:`~retention_kpis.stats.differences`: the normal test of two independent estimates;
* :mod:`~retention_kpis.stats.multiple`: Benjamini-Hochberg adjustment;
* :mod:`~retention_kpis.stats.models`: :class:`ProportionEstimate`,
  :class:`NPSEstimate`, :class:`RatioEstimate`.

Formulas and references: ``docs/metrics/intervals.md``.
"""

from __future__ import annotations

from retention_kpis.stats.differences import normal_difference_test
from retention_kpis.stats.models import (
    IntervalEstimate,
    NPSEstimate,
    ProportionEstimate,
    RatioEstimate,
)
from retention_kpis.stats.multiple import benjamini_hochberg
from retention_kpis.stats.nps import nps_interval, nps_standard_error
from retention_kpis.stats.proportions import (
    proportion_difference_interval,
    proportion_interval,
    two_proportion_ztest,
)
from retention_kpis.stats.ratios import (
    bootstrap_interval,
    ratio_interval,
    ratio_interval_from_sums,
    ratio_standard_error,
)
from retention_kpis.stats.top_shares import (
    top_share_interval_from_sums,
    top_share_standard_error,
)
from retention_kpis.stats.totals import (
    log_product_interval,
    log_product_standard_error,
    total_interval,
)

__all__ = [
    "IntervalEstimate",
    "NPSEstimate",
    "ProportionEstimate",
    "RatioEstimate",
    "benjamini_hochberg",
    "bootstrap_interval",
    "log_product_interval",
    "log_product_standard_error",
    "normal_difference_test",
    "nps_interval",
    "nps_standard_error",
    "proportion_difference_interval",
    "proportion_interval",
    "ratio_interval",
    "ratio_interval_from_sums",
    "ratio_standard_error",
    "top_share_interval_from_sums",
    "top_share_standard_error",
    "total_interval",
    "two_proportion_ztest",
]
