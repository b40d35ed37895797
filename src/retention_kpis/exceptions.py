"""Exceptions and warnings raised by :mod:`retention_kpis`.

Every error the library raises on bad input is a :class:`RetentionKPIsError`,
which subclasses :class:`ValueError`, so ``except ValueError`` keeps working for
callers that do not know the library.
"""

from __future__ import annotations

__all__ = [
    "ColumnNotFoundError",
    "ConvergenceError",
    "InvalidInputError",
    "RetentionKPIsError",
    "UndefinedKPIWarning",
]


class RetentionKPIsError(ValueError):
    """Base class of every error raised by retention_kpis."""


class InvalidInputError(RetentionKPIsError):
    """An argument or a column holds values the metric cannot accept."""


class ColumnNotFoundError(InvalidInputError):
    """One or more required columns are missing from a frame."""


class ConvergenceError(RetentionKPIsError):
    """A maximum-likelihood fit did not reach an optimum."""


class UndefinedKPIWarning(UserWarning):
    """A KPI is undefined for the data (for example a zero denominator)."""
