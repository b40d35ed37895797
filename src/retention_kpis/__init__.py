"""retention_kpis: customer-retention and performance-marketing KPIs.

Pure metric functions return floats; their result models keep the parts, the
unit and the definition. :func:`compute_kpis` runs them all over a frame of
events on any backend narwhals supports.
"""

from __future__ import annotations

from retention_kpis._version import __version__
from retention_kpis.exceptions import (
    ColumnNotFoundError,
    ConvergenceError,
    InvalidInputError,
    RetentionKPIsError,
    UndefinedKPIWarning,
)
from retention_kpis.metrics.conversion import ConversionRate, conversion_rate

__all__ = [
    "ColumnNotFoundError",
    "ConvergenceError",
    "ConversionRate",
    "InvalidInputError",
    "RetentionKPIsError",
    "UndefinedKPIWarning",
    "__version__",
    "conversion_rate",
]
