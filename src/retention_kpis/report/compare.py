"""Compare KPIs between segments or between periods: :func:`compare_kpis`.

Every comparison is computed from the counts and customer sums behind each row's
interval (:attr:`KPIRow.interval_inputs`, filled by ``compute_kpis(confidence=...)``):

* shares (``conversion_rate``, ``retention_rate``, ``churn_rate``, ``csat``): the
  difference with Newcombe's hybrid score interval and the pooled two-proportion z-test;
* ``nps``: the difference with its trinomial (Wald) standard errors, normal interval and test;
* ``aov``, ``purchase_frequency`` and ``referral_rate``: the difference with delta-method
  standard errors (customers as clusters), normal interval and test;
* the engagement shares (``email_open_rate``, ``email_ctr``, ``email_cto_rate``,
  ``email_unsubscribe_rate``, ``referred_customer_share``; with ``engagement=True``) as the
  shares above.

The p-values of one call are adjusted together with Benjamini-Hochberg. The tests treat
the two sides as independent samples: true for disjoint segments; for two periods of the
same customers it is an approximation (see ``docs/metrics/intervals.md``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._core.backends import FrameBackend, from_columns
from retention_kpis._core.checks import check_choice, check_confidence
from retention_kpis._core.kinds import dtype_of
from retention_kpis._core.values import MaybeNaN
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.report.columns import COMPARED_KPIS, DEFAULT_COMPARED, ENGAGEMENT_COMPARED
from retention_kpis.report.interval_rows import (
    ENGAGEMENT_SHARES,
    LOG_SCALE_KPIS,
    log_scale_standard_error,
)
from retention_kpis.report.model import KPIReport, KPIRow, SegmentValue
from retention_kpis.stats import (
    benjamini_hochberg,
    normal_difference_test,
    nps_standard_error,
    proportion_difference_interval,
    ratio_standard_error,
    two_proportion_ztest,
)

__all__ = ["Between", "KPIComparison", "KPIDifference", "compare_kpis"]

Between: TypeAlias = Literal["segments", "periods"]
_FUNC = "compare_kpis"
_SHARES = (
    "conversion_rate",
    "retention_rate",
    "churn_rate",
    "csat",
    *ENGAGEMENT_SHARES,  # the email rates and the referred customer share
)
_RATIOS = ("aov", "purchase_frequency", "referral_rate")
_METHOD = {
    **dict.fromkeys(_SHARES, "Newcombe hybrid score interval; pooled two-proportion z-test"),
    "nps": "trinomial standard errors; normal interval and z-test",
    **dict.fromkeys(_RATIOS, "delta-method standard errors (customer clusters); normal z-test"),
    **dict.fromkeys(
        LOG_SCALE_KPIS, "delta-method standard errors (spend fixed, log scale); normal z-test"
    ),
}


class KPIDifference(BaseModel):
    """One KPI of one row against its baseline row: the difference, its interval and test."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    kpi: str
    period: dt.date | None
    segment: dict[str, SegmentValue] = Field(default_factory=dict)
    baseline_period: dt.date | None
    baseline_segment: dict[str, SegmentValue] = Field(default_factory=dict)
    value: MaybeNaN
    baseline_value: MaybeNaN
    difference: MaybeNaN
    relative_difference: MaybeNaN
    ci_low: MaybeNaN
    ci_high: MaybeNaN
    p_value: MaybeNaN
    p_adjusted: MaybeNaN
    significant: bool
    method: str


class KPIComparison(BaseModel):
    """The result of :func:`compare_kpis`: one :class:`KPIDifference` per KPI and row pair.

    Attributes
    ----------
    rows : tuple of KPIDifference
        In report order, then KPI order.
    between : {"segments", "periods"}
        What was compared.
    confidence : float
        Level of the intervals; ``significant`` means ``p_adjusted < 1 - confidence``.
    adjustment : str
        The multiple-testing adjustment of ``p_adjusted``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    rows: tuple[KPIDifference, ...]
    between: Between
    confidence: float = Field(gt=0.0, lt=1.0)
    adjustment: Literal["benjamini-hochberg"] = "benjamini-hochberg"

    def to_frame(self, *, backend: FrameBackend = "pandas") -> Any:  # noqa: ANN401 - a native frame
        """Return one row per comparison; segment columns spelled out, then the baseline's.

        Examples
        --------
        >>> KPIComparison(rows=(), between="segments", confidence=0.95).to_frame().shape
        (0, 13)
        """
        segment_names = list(dict.fromkeys(n for r in self.rows for n in r.segment))
        data: dict[str, list[Any]] = {"kpi": [], "period": [], "baseline_period": []}
        data.update({name: [] for name in segment_names})
        data.update({f"baseline_{name}": [] for name in segment_names})
        numbers = [
            "value",
            "baseline_value",
            "difference",
            "relative_difference",
            "ci_low",
            "ci_high",
            "p_value",
            "p_adjusted",
        ]
        data.update({name: [] for name in [*numbers, "significant", "method"]})
        for row in self.rows:
            data["kpi"].append(row.kpi)
            data["period"].append(row.period)
            data["baseline_period"].append(row.baseline_period)
            for name in segment_names:
                data[name].append(row.segment.get(name))
                data[f"baseline_{name}"].append(row.baseline_segment.get(name))
            for name in numbers:
                value = getattr(row, name)
                data[name].append(None if math.isnan(value) else value)
            data["significant"].append(row.significant)
            data["method"].append(row.method)
        schema: dict[str, Any] = {name: dtype_of(values) for name, values in data.items()}
        schema.update({name: _float_dtype() for name in numbers})
        return from_columns(data, schema, backend=backend)


def _float_dtype() -> Any:  # noqa: ANN401 - a narwhals dtype
    import narwhals.stable.v2 as nw  # noqa: PLC0415 - narwhals is loaded with the report

    return nw.Float64()


def _value(row: KPIRow, kpi: str) -> float:
    return float(getattr(row, kpi))


def _difference(
    kpi: str, row: KPIRow, base: KPIRow, confidence: float
) -> tuple[float, float, float]:
    """Interval and p-value of ``row[kpi] - base[kpi]`` from the rows' interval inputs."""
    mine = (row.interval_inputs or {}).get(kpi)
    theirs = (base.interval_inputs or {}).get(kpi)
    if mine is None or theirs is None:
        return math.nan, math.nan, math.nan
    if kpi in _SHARES:
        x1, n1 = int(mine[0]), int(mine[1])
        x2, n2 = int(theirs[0]), int(theirs[1])
        low, high = proportion_difference_interval(x1, n1, x2, n2, confidence=confidence)
        return low, high, two_proportion_ztest(x1, n1, x2, n2)
    if kpi == "nps":
        se1 = nps_standard_error(int(mine[0]), int(mine[1]), int(mine[2]))
        se2 = nps_standard_error(int(theirs[0]), int(theirs[1]), int(theirs[2]))
    elif kpi in LOG_SCALE_KPIS:
        se1 = log_scale_standard_error(kpi, _value(row, kpi), mine)
        se2 = log_scale_standard_error(kpi, _value(base, kpi), theirs)
    else:
        names = ("sum_x", "sum_y", "sum_xx", "sum_yy", "sum_xy")
        se1 = ratio_standard_error(int(mine[0]), **dict(zip(names, mine[1:], strict=True)))
        se2 = ratio_standard_error(int(theirs[0]), **dict(zip(names, theirs[1:], strict=True)))
    low, high, p_value = normal_difference_test(
        _value(row, kpi), se1, _value(base, kpi), se2, confidence=confidence
    )
    if kpi == "nps":  # a difference of two scores in [-100, 100]
        low, high = max(-200.0, low), min(200.0, high)
    return low, high, p_value


def _require_engagement(
    kpis: Sequence[str], func: str, *, report: KPIReport | None, options: dict[str, Any]
) -> None:
    """Refuse an engagement KPI when the report (or the one options give) has no engagement.

    A report computed with ``engagement=False`` has null engagement counts in every row.
    """
    wanted = [name for name in kpis if name in ENGAGEMENT_COMPARED]
    if not wanted:
        return
    if report is None:
        missing = not options.get("engagement")
    else:
        missing = bool(report.rows) and all(row.emails_delivered is None for row in report.rows)
    if missing:
        msg = (
            f"The 'kpis' parameter of {func} can name {wanted[0]!r} only for a report "
            "computed with compute_kpis(..., engagement=True, confidence=...). Got a report "
            "without the engagement columns instead: pass engagement=True."
        )
        raise InvalidInputError(msg)


def _segment_pairs(report: KPIReport, baseline: object) -> list[tuple[KPIRow, KPIRow]]:
    if not report.by:
        msg = (
            "The 'between' parameter of compare_kpis can be 'segments' only for a report "
            "computed with by=... Got a report without segments instead."
        )
        raise InvalidInputError(msg)
    wanted = baseline if isinstance(baseline, dict) else None
    if wanted is None:
        if len(report.by) != 1:
            msg = (
                f"The 'baseline' parameter of {_FUNC} must be a dict of segment values when "
                f"the report has several by columns {report.by}. Got {baseline!r} instead."
            )
            raise InvalidInputError(msg)
        wanted = {report.by[0]: baseline}
    bases = {row.period: row for row in report.rows if row.segment == wanted}
    if not bases:
        msg = (
            f"The 'baseline' parameter of {_FUNC} must be a segment of the report. "
            f"Got {baseline!r} instead."
        )
        raise InvalidInputError(msg)
    return [
        (row, bases[row.period])
        for row in report.rows
        if row.segment != wanted and row.period in bases
    ]


def _period_pairs(report: KPIReport, baseline: object) -> list[tuple[KPIRow, KPIRow]]:
    if report.period is None:
        msg = (
            "compare_kpis(between='periods') needs a report with periods; Got period=None instead."
        )
        raise InvalidInputError(msg)
    by_segment: dict[str, list[KPIRow]] = {}
    for row in report.rows:
        by_segment.setdefault(repr(sorted(row.segment.items(), key=str)), []).append(row)
    pairs = []
    for rows in by_segment.values():
        ordered = sorted(rows, key=lambda r: r.period or dt.date.min)
        if baseline is None:
            pairs += list(zip(ordered[1:], ordered[:-1], strict=True))
            continue
        if not isinstance(baseline, dt.date):
            msg = (
                f"The 'baseline' parameter of {_FUNC} must be None (the previous period) or a "
                f"period start date. Got {baseline!r} instead."
            )
            raise InvalidInputError(msg)
        base = next((r for r in ordered if r.period == baseline), None)
        if base is not None:
            pairs += [(row, base) for row in ordered if row is not base]
    return pairs


def compare_kpis(
    report_or_events: object,
    *,
    between: Between = "segments",
    baseline: object = None,
    kpis: Sequence[str] | None = None,
    confidence: float = 0.95,
    **options: Any,  # noqa: ANN401 - forwarded to compute_kpis
) -> KPIComparison:
    """Compare KPIs segment against segment, or period against period, with tests.

    Parameters
    ----------
    report_or_events : KPIReport or DataFrame
        A report from ``compute_kpis(..., confidence=...)`` (its rows keep the counts the
        comparisons need), or events, from which that report is computed with
        ``options``.
    between : {"segments", "periods"}, default="segments"
        ``"segments"``: each segment against ``baseline`` in the same period;
        ``"periods"``: each period against the previous period of the same segment (or
        against the period starting on ``baseline``, a date).
    baseline : object, optional
        The reference: a segment value (a dict of values with several ``by`` columns)
        for ``"segments"``; None or a period start date for ``"periods"``.
    kpis : sequence of str, optional
        KPIs to compare, among ``conversion_rate``, ``aov``, ``purchase_frequency``,
        ``csat``, ``nps``, ``retention_rate`` and ``churn_rate`` (the default), and
        ``roas``, ``cpa``, ``cac`` and ``clv`` (delta-method standard errors of their
        log-scale intervals, :func:`~retention_kpis.log_product_standard_error`), and,
        from a report computed with ``engagement=True``, ``email_open_rate``,
        ``email_ctr``, ``email_cto_rate``, ``email_unsubscribe_rate`` and
        ``referred_customer_share`` (as ``conversion_rate``) and ``referral_rate``
        (delta method, customers as clusters).
    confidence : float, default=0.95
        Level of the difference intervals; a comparison is ``significant`` when its
        Benjamini-Hochberg adjusted p-value is below ``1 - confidence``.
    **options
        Options of :func:`~retention_kpis.compute_kpis` (``period``, ``by``, ...) when
        events are given.

    Returns
    -------
    KPIComparison
        One :class:`KPIDifference` per KPI and compared pair of rows; ``to_frame()``.

    Raises
    ------
    InvalidInputError
        If an option is invalid, a report lacks the interval inputs (computed without
        ``confidence``, or read back without them) or the engagement columns an
        engagement KPI needs, or the baseline is not in the report.

    Examples
    --------
    >>> from retention_kpis.datasets import make_events
    >>> events = make_events(300, seed=1)
    >>> result = compare_kpis(events, period="Y", by="channel", baseline="organic",
    ...                       kpis=["conversion_rate"])
    >>> row = result.rows[0]
    >>> row.kpi, row.baseline_segment, row.method.split(";")[0]
    ('conversion_rate', {'channel': 'organic'}, 'Newcombe hybrid score interval')
    """
    level = check_confidence(confidence, _FUNC)
    how = check_choice(between, "between", _FUNC, ("segments", "periods"))
    names = list(DEFAULT_COMPARED) if kpis is None else list(kpis)
    for name in names:
        check_choice(name, "kpis", _FUNC, COMPARED_KPIS)
    report_given = report_or_events if isinstance(report_or_events, KPIReport) else None
    _require_engagement(names, _FUNC, report=report_given, options=options)
    if isinstance(report_or_events, KPIReport):
        if options:
            msg = (
                f"compare_kpis takes compute_kpis options only with events. Got {sorted(options)} "
                "with a report instead."
            )
            raise InvalidInputError(msg)
        report = report_or_events
        if report.rows and all(row.interval_inputs is None for row in report.rows):
            msg = (
                f"The 'report_or_events' parameter of {_FUNC} must be a report computed with "
                "compute_kpis(..., confidence=...), whose rows keep the counts behind each "
                "interval. Got a report without them instead."
            )
            raise InvalidInputError(msg)
    else:
        from retention_kpis.report.compute import compute_kpis  # noqa: PLC0415 - no cycle at import

        report = compute_kpis(report_or_events, confidence=level, **options)
    pairs = (
        _segment_pairs(report, baseline) if how == "segments" else _period_pairs(report, baseline)
    )
    drafts: list[dict[str, Any]] = []
    for row, base in pairs:
        for kpi in names:
            value, reference = _value(row, kpi), _value(base, kpi)
            low, high, p_value = _difference(kpi, row, base, level)
            drafts.append(
                {
                    "kpi": kpi,
                    "period": row.period,
                    "segment": row.segment,
                    "baseline_period": base.period,
                    "baseline_segment": base.segment,
                    "value": value,
                    "baseline_value": reference,
                    "difference": value - reference,
                    "relative_difference": value / reference - 1 if reference else math.nan,
                    "ci_low": low,
                    "ci_high": high,
                    "p_value": p_value,
                    "method": _METHOD[kpi],
                }
            )
    adjusted = benjamini_hochberg([d["p_value"] for d in drafts]) if drafts else []
    rows = tuple(
        KPIDifference(**draft, p_adjusted=p, significant=(not math.isnan(p)) and p < 1 - level)
        for draft, p in zip(drafts, adjusted, strict=True)
    )
    return KPIComparison(rows=rows, between=how, confidence=level)
