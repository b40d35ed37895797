"""Cohort retention: N-period, unbounded and bracket retention, and net revenue retention.

See ``docs/cohorts.md`` for the definitions and the sources they follow.
"""

from __future__ import annotations

from retention_kpis.cohorts._table import CohortTable, RevenueRetentionTable
from retention_kpis.cohorts.retention import cohort_retention
from retention_kpis.cohorts.revenue import revenue_retention

__all__ = ["CohortTable", "RevenueRetentionTable", "cohort_retention", "revenue_retention"]
