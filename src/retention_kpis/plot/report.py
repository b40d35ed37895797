"""The KPI trend picture: small multiples of a report's KPIs over its periods.

:meth:`KPIReport.plot` imports this module, so it must not import
:mod:`retention_kpis.report.model` (the import graph has no cycle): it reads the
report through its public attributes (``rows``, ``by``, ``period``) and takes
each KPI's unit from :data:`retention_kpis.report.columns.UNITS`, the table the
report's display uses too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from retention_kpis._core.checks import check_columns
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.plot._layout import MAX_LEGEND_ENTRIES, percent_formatter, pyplot
from retention_kpis.report.columns import INTERVAL_METHODS, UNITS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from retention_kpis.report.model import KPIReport

__all__ = ["DEFAULT_KPIS", "plot_kpis"]

DEFAULT_KPIS = (
    "active_customers",
    "revenue",
    "conversion_rate",
    "retention_rate",
    "aov",
    "cac",
)
"""KPIs drawn when ``kpis`` is not given (those the report has values for)."""


def _check_report(report: object, func: str) -> KPIReport:
    if not all(hasattr(report, name) for name in ("rows", "by", "period", "columns")):
        msg = (
            f"The 'report' parameter of {func} must be a KPIReport (from compute_kpis). "
            f"Got {type(report).__name__} instead."
        )
        raise InvalidInputError(msg)
    return report  # type: ignore[return-value]  # duck-typed: see the module docstring


def _check_kpis(report: KPIReport, kpis: object, func: str) -> list[str]:
    if kpis is None:
        chosen = [name for name in DEFAULT_KPIS if _has_values(report, name)]
        return chosen or ["active_customers"]
    names = list(check_columns(kpis, "kpis", func))
    unknown = [name for name in names if name not in UNITS]
    if unknown or not names:
        msg = (
            f"The 'kpis' parameter of {func} must name KPI columns of the report "
            f"({', '.join(UNITS)}). Got {kpis!r} instead."
        )
        raise InvalidInputError(msg)
    return names


def _has_values(report: KPIReport, name: str) -> bool:
    values = [getattr(row, name) for row in report.rows]
    return any(v is not None and not (isinstance(v, float) and math.isnan(v)) for v in values)


def _check_by(report: KPIReport, by: object, func: str) -> tuple[str, ...]:
    if by is None:
        return tuple(report.by)
    names = check_columns(by, "by", func)
    unknown = [name for name in names if name not in report.by]
    if unknown:
        msg = (
            f"The 'by' parameter of {func} must name segment columns of the report "
            f"({list(report.by)}). Got {by!r} instead."
        )
        raise InvalidInputError(msg)
    return names


def _series(report: KPIReport, by: tuple[str, ...], func: str) -> dict[tuple[Any, ...], list[Any]]:
    """Rows per line (segment values of ``by``), each at most once per period."""
    lines: dict[tuple[Any, ...], list[Any]] = {}
    for row in report.rows:
        key = tuple(row.segment.get(name) for name in by)
        lines.setdefault(key, []).append(row)
    for key, rows in lines.items():
        periods = [row.period for row in rows]
        if len(set(periods)) != len(periods):
            msg = (
                f"The 'by' parameter of {func} must identify one row per period and line: "
                f"segment {key!r} has several rows in one period (KPIs such as rates "
                f"cannot be added up). Got by={by!r}; pass by=None or compute the report "
                "with these segments."
            )
            raise InvalidInputError(msg)
    return lines


def _value(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]  # KPI numbers


def _format_axis(ax: Axes, name: str, currency: str) -> None:
    unit = UNITS[name]
    label = name.replace("_", " ")
    if unit == "percent":
        ax.yaxis.set_major_formatter(percent_formatter())
    elif unit == "money":
        ax.yaxis.set_major_formatter(currency + "{x:,.0f}")
        label += f" ({currency.strip() or 'currency'})"
    elif unit == "count":
        ax.yaxis.set_major_formatter("{x:,.0f}")
    elif name == "nps":
        label += " (-100 to 100)"
    else:  # roas, purchase_frequency, referral_rate: ratios of two quantities
        label += " (ratio)"
    ax.set_title(label, fontsize=10, loc="left")


def plot_kpis(
    report: KPIReport,
    kpis: Sequence[str] | str | None = None,
    *,
    by: Sequence[str] | str | None = None,
    currency: str = "",
) -> Figure:
    """Small multiples of a report's KPIs over its periods: one axis per KPI, one line per segment.

    The axes share the period (x) axis and are laid out in up to three
    columns; each y axis is formatted for its KPI's unit: percent for
    fractions (``conversion_rate``, ``retention_rate``, ...), thousands
    separated counts, money with ``currency``, NPS on its -100..100 scale.
    Undefined KPIs (null) leave gaps. A report computed with ``confidence`` draws
    each interval KPI's ``<kpi>_low`` to ``<kpi>_high`` as a translucent band in its
    line's colour (gaps where the bounds are null). With up to 12 segments they are named in
    one legend to the right of the axes; with more, the legend lists them in
    several columns below the axes, so it never covers a line.

    Parameters
    ----------
    report : KPIReport
        From :func:`~retention_kpis.compute_kpis`.
    kpis : str or sequence of str, optional
        KPI columns to draw, in order. Default: those of ``active_customers``,
        ``revenue``, ``conversion_rate``, ``retention_rate``, ``aov`` and
        ``cac`` that the report has values for.
    by : str or sequence of str, optional
        Segment columns naming the lines; default all the report's ``by``
        columns (one line per segment). A subset must still leave one row per
        period and line.
    currency : str, default=""
        Prefix of money ticks (``"$"``, ``"EUR "``).

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes`` holds one axes per KPI (in ``kpis`` order; unused grid
        cells are removed), each with one line per segment.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from retention_kpis import compute_kpis
    >>> from retention_kpis.datasets import make_events
    >>> report = compute_kpis(make_events(n_customers=200, seed=1), period="M", by="channel")
    >>> fig = plot_kpis(report, ["revenue", "retention_rate"])
    >>> [ax.get_title(loc="left") for ax in fig.axes]
    ['revenue (currency)', 'retention rate']
    >>> len(fig.axes[0].get_lines()) == len({row.segment["channel"] for row in report.rows})
    True
    """
    func = "plot_kpis"
    report = _check_report(report, func)
    names = _check_kpis(report, kpis, func)
    segments = _check_by(report, by, func)
    given: object = currency
    if not isinstance(given, str):
        msg = f"The 'currency' parameter of {func} must be a str. Got {currency!r} instead."
        raise InvalidInputError(msg)
    lines = _series(report, segments, func)
    plt = pyplot(func)
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    fig: Figure
    fig, grid = plt.subplots(
        rows,
        columns,
        sharex=True,
        squeeze=False,
        figsize=(min(4.5 * columns + 2.0, 16.0), min(2.8 * rows + 0.8, 14.0)),
        layout="constrained",
    )
    axes = list(grid.ravel())
    for extra in axes[len(names) :]:
        fig.delaxes(extra)
    dates = report.period is not None
    banded = getattr(report, "confidence", None) is not None
    for ax, name in zip(axes, names, strict=False):
        for key, rows_of_line in lines.items():
            xs = [row.period if dates else 0 for row in rows_of_line]
            ys = np.array([_value(getattr(row, name)) for row in rows_of_line], dtype=float)
            label = ", ".join(str(v) for v in key) if key else "all"
            (line,) = ax.plot(
                xs, ys, marker="o" if len(xs) < 30 else None, markersize=3, label=label
            )
            if banded and name in INTERVAL_METHODS:
                low = [_value(getattr(row, f"{name}_low")) for row in rows_of_line]
                high = [_value(getattr(row, f"{name}_high")) for row in rows_of_line]
                ax.fill_between(
                    xs,
                    np.array(low, dtype=float),
                    np.array(high, dtype=float),
                    color=line.get_color(),
                    alpha=0.2,
                    linewidth=0,
                )
        _format_axis(ax, name, currency)
        ax.grid(visible=True, alpha=0.3)
    for ax in axes[: len(names)]:
        ax.tick_params(axis="x", labelbottom=True, labelsize=8)
        if dates:
            from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: PLC0415

            locator = AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    if len(lines) > 1:
        title = ", ".join(segments)
        handles, labels = axes[0].get_legend_handles_labels()  # the same lines on every axes
        if len(lines) <= MAX_LEGEND_ENTRIES:
            fig.legend(handles, labels, loc="outside right upper", title=title, fontsize=8)
        else:
            fig.legend(
                handles,
                labels,
                loc="outside lower center",
                title=title,
                fontsize=7,
                ncols=min(len(lines), 6),
            )
    period = {"D": "Day", "W": "Week", "M": "Month", "Q": "Quarter", "Y": "Year"}
    fig.supxlabel(period.get(str(report.period), "Whole frame (no period)"), fontsize=9)
    return fig
