"""The events facades: every KPI over a frame of events, as one typed report.

* :func:`compute_kpis` (:mod:`~retention_kpis.report.compute`) and its result
  :class:`KPIReport` / :class:`KPIRow` (:mod:`~retention_kpis.report.model`);
* :func:`engagement_kpis` and :func:`referred_vs_organic`
  (:mod:`~retention_kpis.report.engagement`);
* :func:`compare_kpis` and its result :class:`KPIComparison`
  (:mod:`~retention_kpis.report.compare`); :func:`detect_changes` and
  :class:`ChangeReport` (:mod:`~retention_kpis.report.changes`).

Where things are computed: the option checks are in
:mod:`~retention_kpis.report.options`; the report's columns and their definitions in
:mod:`~retention_kpis.report.columns`; each row calls the pure functions of
:mod:`retention_kpis.metrics` in :mod:`~retention_kpis.report.rows` (core KPIs) and
:mod:`~retention_kpis.report.engagement_rows` (referral, email, Pareto). The counts
behind a row come from :mod:`~retention_kpis.report.tables`, which runs
:mod:`~retention_kpis.report.eager_tables` on pandas/pyarrow and
:mod:`~retention_kpis.report.engine_tables` on polars, DuckDB and Spark, both standing
on :mod:`~retention_kpis.report.plan`; the engagement counts come from
:mod:`~retention_kpis.report.engagement_tables`, attributed orders from
:mod:`~retention_kpis.report.attributed`.
"""

from __future__ import annotations

from retention_kpis.report.changes import ChangeReport, KPIChange, detect_changes
from retention_kpis.report.columns import ENGAGEMENT_DEFINITIONS
from retention_kpis.report.compare import KPIComparison, KPIDifference, compare_kpis
from retention_kpis.report.compute import ChurnFrom, compute_kpis
from retention_kpis.report.engagement import engagement_kpis, referred_vs_organic
from retention_kpis.report.model import KPIReport, KPIRow

__all__ = [
    "ENGAGEMENT_DEFINITIONS",
    "ChangeReport",
    "ChurnFrom",
    "KPIChange",
    "KPIComparison",
    "KPIDifference",
    "KPIReport",
    "KPIRow",
    "compare_kpis",
    "compute_kpis",
    "detect_changes",
    "engagement_kpis",
    "referred_vs_organic",
]
