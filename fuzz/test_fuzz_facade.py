"""Fuzz compute_kpis with hostile frames and options.

Invariant: compute_kpis either returns a report whose values lie in their
documented ranges, or raises one of the library's own errors
(RetentionKPIsError); never KeyError, TypeError, ZeroDivisionError, a pandas
or polars error; it warns only UndefinedKPIWarning and never changes its input.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd
import polars as pl
from _frames import facade_options, hostile_frames
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import RetentionKPIsError, UndefinedKPIWarning, compute_kpis
from retention_kpis.report import KPIReport

RATES = (
    "conversion_rate",
    "retention_rate",
    "churn_rate",
    "csat",
    "referred_customer_share",
    "email_open_rate",
    "email_ctr",
    "email_cto_rate",
    "email_unsubscribe_rate",
    "pareto_share",
)


def check_report(report: KPIReport) -> None:
    """Ranges the docs promise: rates in [0, 1], NPS in [-100, 100], amounts >= 0, no inf in rates."""
    for row in report.rows:
        for name in RATES:
            value = getattr(row, name)
            assert math.isnan(value) or 0.0 <= value <= 1.0, (name, value)
        assert math.isnan(row.nps) or -100.0 <= row.nps <= 100.0, row.nps
        for name in ("revenue", "spend", "cpa", "cac", "roas", "aov", "purchase_frequency", "clv"):
            value = getattr(row, name)
            assert math.isnan(value) or value >= 0.0, (name, value)
        assert row.visitors >= 0
        assert row.active_customers >= 0


def run_facade(native: Any, options: dict[str, Any]) -> KPIReport | None:
    """Run compute_kpis; return the report, or None on a library error. Fail on anything else."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            report = compute_kpis(native, **options)
        except RetentionKPIsError:
            report = None
    unexpected = [w for w in caught if not issubclass(w.category, UndefinedKPIWarning)]
    assert not unexpected, [f"{w.category.__name__}: {w.message}" for w in unexpected]
    if report is not None:
        check_report(report)
    return report


def test_fuzz_compute_kpis_on_pandas(fuzz_loop):
    count = 0

    @settings()
    @given(hostile_frames(), facade_options())
    def batch(events: pd.DataFrame, options: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        before = events.copy(deep=True)
        run_facade(events, options)
        pd.testing.assert_frame_equal(events, before)

    def run() -> int:
        nonlocal count
        count = 0
        batch()
        return count

    fuzz_loop(run)


def test_fuzz_compute_kpis_on_polars(fuzz_loop):
    count = 0

    @settings()
    @given(hostile_frames(), facade_options(), st.booleans())
    def batch(events: pd.DataFrame, options: dict[str, Any], lazy: bool) -> None:
        nonlocal count
        count += 1
        try:
            native: Any = pl.from_pandas(events)
        except Exception:
            return
        if lazy:
            native = native.lazy()
        run_facade(native, options)

    def run() -> int:
        nonlocal count
        count = 0
        batch()
        return count

    fuzz_loop(run)
