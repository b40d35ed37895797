"""Plots of cohort retention tables: a heatmap of shares and the retention curves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from retention_kpis.cohorts import CohortTable, RevenueRetentionTable
from retention_kpis.exceptions import InvalidInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_cohort_heatmap", "plot_retention_curves"]

_INSTALL_HINT = "pip install 'retention-kpis[plot]'"


def new_axes(ax: Axes | None, func: str) -> Axes:
    """Return ``ax`` or the axes of a new figure, importing matplotlib lazily."""
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415 - optional dependency, imported lazily
    except ImportError as exc:  # pragma: no cover - the test extra installs matplotlib
        msg = f"{func} needs matplotlib, which is not installed. Install it with: {_INSTALL_HINT}"
        raise ImportError(msg) from exc
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _check_table(table: object, func: str) -> CohortTable | RevenueRetentionTable:
    if not isinstance(table, (CohortTable, RevenueRetentionTable)):
        msg = (
            f"The 'table' parameter of {func} must be a CohortTable or a RevenueRetentionTable. "
            f"Got {type(table).__name__} instead."
        )
        raise InvalidInputError(msg)
    return table


def plot_cohort_heatmap(table: CohortTable | RevenueRetentionTable, ax: Axes | None = None) -> Axes:
    """Draw the retention shares as a cohort x offset heatmap, cells annotated in percent.

    Cells not yet observed are left blank (masked), never drawn as 0.

    Parameters
    ----------
    table : CohortTable or RevenueRetentionTable
        From :func:`~retention_kpis.cohorts.cohort_retention` or
        :func:`~retention_kpis.cohorts.revenue_retention`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import datetime as dt
    >>> from retention_kpis.cohorts import CohortTable
    >>> table = CohortTable(
    ...     period="M", window="calendar", mode="on", cohort_event="purchase",
    ...     return_event="purchase", observation_end=dt.datetime(2024, 3, 1),
    ...     cohorts=(dt.date(2024, 1, 1),), offsets=((0, 0), (1, 1)), cohort_sizes=(4,),
    ...     counts=((4, 1),), shares=((1.0, 0.25),), average=(1.0, 0.25),
    ... )
    >>> plot_cohort_heatmap(table).get_xlabel()
    'Periods since first event'
    """
    func = "plot_cohort_heatmap"
    table = _check_table(table, func)
    ax = new_axes(ax, func)
    values = np.array(
        [[np.nan if v is None else v for v in row] for row in table.shares], dtype=float
    ).reshape(len(table.cohorts), len(table.offsets))
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap="viridis", vmin=0.0)
    for (row, column), value in np.ndenumerate(values):
        if not np.isnan(value):
            ax.text(column, row, f"{value:.0%}", ha="center", va="center", fontsize=8, color="w")
    ax.set_xticks(range(len(table.offsets)), table.columns)
    ax.set_yticks(
        range(len(table.cohorts)),
        [
            f"{c.isoformat()} (n={n})"
            for c, n in zip(table.cohorts, table.cohort_sizes, strict=True)
        ],
    )
    ax.set_xlabel("Periods since first event")
    ax.set_ylabel("Cohort")
    ax.figure.colorbar(image, ax=ax)
    return ax


def plot_retention_curves(
    table: CohortTable | RevenueRetentionTable, ax: Axes | None = None
) -> Axes:
    """Draw one retention curve per cohort (thin) and the weighted average (thick).

    Parameters
    ----------
    table : CohortTable or RevenueRetentionTable
        A cohort table; unobserved cells end each cohort's curve.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on, with one line per cohort plus the ``average`` line.

    Examples
    --------
    >>> import datetime as dt
    >>> from retention_kpis.cohorts import CohortTable
    >>> table = CohortTable(
    ...     period="M", window="calendar", mode="on", cohort_event="purchase",
    ...     return_event="purchase", observation_end=dt.datetime(2024, 3, 1),
    ...     cohorts=(dt.date(2024, 1, 1),), offsets=((0, 0), (1, 1)), cohort_sizes=(4,),
    ...     counts=((4, 1),), shares=((1.0, 0.25),), average=(1.0, 0.25),
    ... )
    >>> len(plot_retention_curves(table).get_lines())
    2
    """
    func = "plot_retention_curves"
    table = _check_table(table, func)
    ax = new_axes(ax, func)
    positions = np.arange(len(table.offsets))
    for cohort, row in zip(table.cohorts, table.shares, strict=True):
        ys = np.array([np.nan if v is None else v for v in row], dtype=float)
        ax.plot(positions, ys, linewidth=0.8, alpha=0.5, label=cohort.isoformat())
    average = np.array([np.nan if v is None else v for v in table.average], dtype=float)
    ax.plot(positions, average, linewidth=2.5, color="k", label="average")
    ax.set_xticks(positions, table.columns)
    ax.set_xlabel("Periods since first event")
    ax.set_ylabel("Retention" if isinstance(table, CohortTable) else "Net revenue retention")
    ax.legend(fontsize=7)
    return ax
