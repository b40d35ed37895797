"""Is this period's change real? :func:`detect_changes` against a baseline, with a flag.

For each period, segment and KPI: the change against a baseline value, its interval,
and a flag when the change is beyond sampling noise.

The test (documented in ``docs/metrics/intervals.md``): ``z = (value - baseline) / se`` with
``se^2 = Var(value) + Var(baseline)``, two-sided normal p-value. Variances come from each
row's interval inputs: for shares the binomial variance at the baseline share (the null
hypothesis; the engagement shares too), for NPS the trinomial variance, for ``aov``,
``purchase_frequency`` and ``referral_rate`` the delta method over customers. The baseline
is the previous period, the same period a year earlier, or the median of the ``k`` periods
before (its variance: ``pi / 2`` times the mean of their variances over ``k``, the
asymptotic variance of a median of normal estimates). Within each period the p-values of all
segments and KPIs are adjusted together with Benjamini-Hochberg and a change is flagged when
its adjusted p-value is at most ``alpha``: when nothing changed, the chance that a period
raises any flag is at most ``alpha`` (BH controls the family-wise rate under the global
null), so a weekly monitor raises a false alarm in about ``alpha`` of weeks.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._core.backends import FrameBackend, from_columns
from retention_kpis._core.calendar import Period
from retention_kpis._core.checks import check_choice, check_fraction
from retention_kpis._core.kinds import dtype_of
from retention_kpis._core.values import MaybeNaN
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.report.columns import COMPARED_KPIS, DEFAULT_COMPARED
from retention_kpis.report.compare import _require_engagement
from retention_kpis.report.interval_rows import (
    ENGAGEMENT_SHARES,
    LOG_SCALE_KPIS,
    log_scale_standard_error,
)
from retention_kpis.report.model import KPIReport, KPIRow, SegmentValue
from retention_kpis.stats import benjamini_hochberg, nps_standard_error, ratio_standard_error

__all__ = ["ChangeReport", "KPIChange", "detect_changes"]

_FUNC = "detect_changes"
_SHARES = (
    "conversion_rate",
    "retention_rate",
    "churn_rate",
    "csat",
    *ENGAGEMENT_SHARES,  # the email rates and the referred customer share
)
_TRAILING = re.compile(r"trailing_median\((\d+)\)")


class KPIChange(BaseModel):
    """One KPI of one period and segment against its baseline."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    kpi: str
    period: dt.date
    segment: dict[str, SegmentValue] = Field(default_factory=dict)
    value: MaybeNaN
    baseline: MaybeNaN
    change: MaybeNaN
    ci_low: MaybeNaN
    ci_high: MaybeNaN
    p_value: MaybeNaN
    p_adjusted: MaybeNaN
    flagged: bool
    direction: str


class ChangeReport(BaseModel):
    """The result of :func:`detect_changes`.

    Attributes
    ----------
    rows : tuple of KPIChange
        Per period, segment and KPI (periods without a baseline are left out).
    baseline : str
        The baseline used.
    alpha : float
        False-alarm rate per period (Benjamini-Hochberg within each period).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    rows: tuple[KPIChange, ...]
    baseline: str
    alpha: float = Field(gt=0.0, lt=1.0)

    @property
    def flagged(self) -> tuple[KPIChange, ...]:
        """The changes beyond noise."""
        return tuple(row for row in self.rows if row.flagged)

    def to_frame(self, *, backend: FrameBackend = "pandas") -> Any:  # noqa: ANN401 - a native frame
        """Return one row per period, segment and KPI.

        Examples
        --------
        >>> ChangeReport(rows=(), baseline="previous", alpha=0.05).to_frame().shape
        (0, 11)
        """
        import narwhals.stable.v2 as nw  # noqa: PLC0415 - loaded with the report already

        names = list(dict.fromkeys(n for row in self.rows for n in row.segment))
        numbers = ["value", "baseline", "change", "ci_low", "ci_high", "p_value", "p_adjusted"]
        data: dict[str, list[Any]] = {"kpi": [], "period": [], **{n: [] for n in names}}
        data.update({name: [] for name in [*numbers, "flagged", "direction"]})
        for row in self.rows:
            data["kpi"].append(row.kpi)
            data["period"].append(row.period)
            for name in names:
                data[name].append(row.segment.get(name))
            for name in numbers:
                value = getattr(row, name)
                data[name].append(None if math.isnan(value) else value)
            data["flagged"].append(row.flagged)
            data["direction"].append(row.direction)
        schema: dict[str, Any] = {name: dtype_of(values) for name, values in data.items()}
        schema.update({name: nw.Float64() for name in numbers})
        return from_columns(data, schema, backend=backend)


def _shift(period: Period, start: dt.date, steps: int) -> dt.date:
    """Return the start of the period ``steps`` periods before ``start``."""
    if period == "D":
        return start - dt.timedelta(days=steps)
    if period == "W":
        return start - dt.timedelta(weeks=steps)
    months = {"M": 1, "Q": 3, "Y": 12}[period] * steps
    index = start.year * 12 + start.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _year_ago(period: Period, start: dt.date) -> dt.date:
    steps = {"D": 364, "W": 52, "M": 12, "Q": 4, "Y": 1}[period]
    return _shift(period, start, steps)


def _variance(kpi: str, row: KPIRow, null_value: float) -> float:
    """Return the sampling variance of a row's KPI (shares at the null ``null_value``)."""
    inputs = (row.interval_inputs or {}).get(kpi)
    if inputs is None:
        return math.nan
    if kpi in _SHARES:
        trials = inputs[1]
        if not trials or math.isnan(null_value):
            return math.nan
        return null_value * (1 - null_value) / trials
    if kpi == "nps":
        se = nps_standard_error(int(inputs[0]), int(inputs[1]), int(inputs[2]))
    elif kpi in LOG_SCALE_KPIS:
        se = log_scale_standard_error(kpi, float(getattr(row, kpi)), inputs)
    else:
        n, sx, sy, sxx, syy, sxy = inputs
        se = ratio_standard_error(int(n), sum_x=sx, sum_y=sy, sum_xx=sxx, sum_yy=syy, sum_xy=sxy)
    return se * se


def _check_baseline(baseline: object) -> tuple[str, int]:
    if baseline in {"previous", "same_period_last_year"}:
        return str(baseline), 1
    match = _TRAILING.fullmatch(baseline) if isinstance(baseline, str) else None
    if match is None or int(match.group(1)) < 1:
        msg = (
            f"The 'baseline' parameter of {_FUNC} must be 'previous', 'trailing_median(k)' "
            f"with k >= 1, or 'same_period_last_year'. Got {baseline!r} instead."
        )
        raise InvalidInputError(msg)
    return "trailing_median", int(match.group(1))


def _baseline_rows(
    how: str, k: int, period: Period, row: KPIRow, rows: dict[dt.date, KPIRow]
) -> list[KPIRow]:
    assert row.period is not None
    if how == "previous":
        found = rows.get(_shift(period, row.period, 1))
        return [] if found is None else [found]
    if how == "same_period_last_year":
        found = rows.get(_year_ago(period, row.period))
        return [] if found is None else [found]
    window = [rows.get(_shift(period, row.period, step)) for step in range(1, k + 1)]
    return [found for found in window if found is not None] if None not in window else []


def _change(kpi: str, row: KPIRow, bases: list[KPIRow]) -> dict[str, Any]:
    value = float(getattr(row, kpi))
    values = [float(getattr(base, kpi)) for base in bases]
    if math.isnan(value) or any(math.isnan(v) for v in values):
        return {"value": value, "baseline": math.nan, "change": math.nan, "se": math.nan}
    reference = statistics.median(values)
    variances = [_variance(kpi, base, reference) for base in bases]
    base_variance = sum(variances) / len(variances)
    if len(bases) > 1:
        base_variance *= math.pi / 2 / len(bases)
    se = math.sqrt(_variance(kpi, row, reference) + base_variance)
    return {"value": value, "baseline": reference, "change": value - reference, "se": se}


def _p_value(change: float, se: float) -> float:
    from scipy.special import ndtr  # noqa: PLC0415 - scipy loads only when needed

    if math.isnan(se) or math.isnan(change):
        return math.nan
    if se == 0:
        return 1.0 if change == 0 else 0.0
    return float(2 * ndtr(-abs(change) / se))


def _direction(change: float) -> str:
    if change < 0:
        return "drop"
    return "rise" if change > 0 else "none"


def _segment_drafts(
    rows: dict[dt.date, KPIRow], how: str, k: int, period: Period, *, names: list[str], z: float
) -> list[dict[str, Any]]:
    """Return the changes of one segment's periods, before the adjustment."""
    drafts = []
    for start in sorted(rows):
        row = rows[start]
        bases = _baseline_rows(how, k, period, row, rows)
        if not bases:
            continue
        for kpi in names:
            parts = _change(kpi, row, bases)
            se, change = parts.pop("se"), parts["change"]
            drafts.append(
                {
                    "kpi": kpi,
                    "period": start,
                    "segment": row.segment,
                    **parts,
                    "ci_low": change - z * se,
                    "ci_high": change + z * se,
                    "p_value": _p_value(change, se),
                }
            )
    return drafts


def _adjusted_per_period(drafts: list[dict[str, Any]]) -> list[float]:
    """Benjamini-Hochberg within each period (over its segments and KPIs)."""
    adjusted = [math.nan] * len(drafts)
    for start in {draft["period"] for draft in drafts}:
        indices = [i for i, draft in enumerate(drafts) if draft["period"] == start]
        values = benjamini_hochberg([drafts[i]["p_value"] for i in indices])
        for i, value in zip(indices, values, strict=True):
            adjusted[i] = value
    return adjusted


def detect_changes(
    report: KPIReport,
    *,
    kpis: Sequence[str] | None = None,
    baseline: str = "previous",
    alpha: float = 0.05,
) -> ChangeReport:
    """Flag KPI changes beyond sampling noise, per period and segment.

    Parameters
    ----------
    report : KPIReport
        From ``compute_kpis(..., confidence=...)`` with periods (its rows keep the counts
        and customer sums the variances come from).
    kpis : sequence of str, optional
        Among ``conversion_rate``, ``aov``, ``purchase_frequency``, ``csat``, ``nps``,
        ``retention_rate`` and ``churn_rate`` (the default), and ``roas``, ``cpa``,
        ``cac`` and ``clv`` (each row's delta-method standard error of its log-scale
        interval), and, from a report computed with ``engagement=True``, the shares
        ``email_open_rate``, ``email_ctr``, ``email_cto_rate``, ``email_unsubscribe_rate``
        and ``referred_customer_share`` (as ``conversion_rate``) and ``referral_rate``
        (delta method, customers as clusters).
    baseline : str, default="previous"
        ``"previous"`` (the calendar-previous period), ``"trailing_median(k)"`` (the
        median of the ``k`` calendar-previous periods, all present) or
        ``"same_period_last_year"``.
    alpha : float, default=0.05
        False-alarm rate per period: Benjamini-Hochberg within each period over segments
        and KPIs, flag where the adjusted p-value is at most ``alpha``.

    Returns
    -------
    ChangeReport
        One :class:`KPIChange` per period with a baseline, segment and KPI, with the change,
        its ``1 - alpha`` interval, the p-values and ``flagged``.

    Raises
    ------
    InvalidInputError
        If the report has no periods or no interval inputs, an engagement KPI is asked of
        a report computed without ``engagement=True``, or an option is invalid.

    Examples
    --------
    >>> from retention_kpis import compute_kpis
    >>> from retention_kpis.datasets import make_events
    >>> report = compute_kpis(make_events(300, seed=1), period="Q", confidence=0.95)
    >>> changes = detect_changes(report, kpis=["conversion_rate"])
    >>> [row.flagged for row in changes.rows][:3]
    [False, False, False]
    """
    how, k = _check_baseline(baseline)
    level = check_fraction(alpha, "alpha", _FUNC)
    if not 0 < level < 1:
        msg = f"The 'alpha' parameter of {_FUNC} must be in (0, 1). Got {alpha!r} instead."
        raise InvalidInputError(msg)
    names = list(DEFAULT_COMPARED) if kpis is None else list(kpis)
    for name in names:
        check_choice(name, "kpis", _FUNC, COMPARED_KPIS)
    if not isinstance(report, KPIReport) or report.period is None:
        got = "period=None" if isinstance(report, KPIReport) else type(report).__name__
        msg = (
            f"The 'report' parameter of {_FUNC} must be a KPIReport with periods. "
            f"Got {got} instead."
        )
        raise InvalidInputError(msg)
    if report.rows and all(row.interval_inputs is None for row in report.rows):
        msg = (
            f"The 'report' parameter of {_FUNC} must be computed with "
            "compute_kpis(..., confidence=...). Got a report without interval inputs instead."
        )
        raise InvalidInputError(msg)
    _require_engagement(names, _FUNC, report=report, options={})
    from scipy.special import ndtri  # noqa: PLC0415 - scipy loads only when needed

    z = float(ndtri(1 - level / 2))
    segments: dict[str, dict[dt.date, KPIRow]] = {}
    for row in report.rows:
        assert row.period is not None
        segments.setdefault(repr(sorted(row.segment.items(), key=str)), {})[row.period] = row
    drafts = [
        draft
        for rows in segments.values()
        for draft in _segment_drafts(rows, how, k, report.period, names=names, z=z)
    ]
    adjusted = _adjusted_per_period(drafts)
    changes = tuple(
        KPIChange(
            **draft,
            p_adjusted=p,
            flagged=(not math.isnan(p)) and p <= level,
            direction=_direction(draft["change"]),
        )
        for draft, p in zip(drafts, adjusted, strict=True)
    )
    return ChangeReport(rows=changes, baseline=str(baseline), alpha=level)
