"""Deprecated home of :func:`engagement_kpis` and :func:`referred_vs_organic`.

They live in :mod:`retention_kpis.report` since 0.2 (import them from there or
from :mod:`retention_kpis`); this module re-exports them with a
:class:`DeprecationWarning` and will be removed in 0.3.
"""

from __future__ import annotations

import warnings

from retention_kpis.report import ENGAGEMENT_DEFINITIONS, engagement_kpis, referred_vs_organic

__all__ = ["ENGAGEMENT_DEFINITIONS", "engagement_kpis", "referred_vs_organic"]

warnings.warn(
    "retention_kpis.engagement is deprecated: import engagement_kpis and referred_vs_organic "
    "from retention_kpis.report (or retention_kpis) instead. It will be removed in 0.3.",
    DeprecationWarning,
    stacklevel=2,
)
