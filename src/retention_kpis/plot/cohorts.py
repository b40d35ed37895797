"""Plots of cohort retention tables: a heatmap of shares and the retention curves.

Both size a new figure to the table (within 6 x 4 and 16 x 12 inches), label at
most ~25 ticks per axis so that no two labels overlap, and name the period unit
on the axes. Many cohorts do not hide the data: the heatmap drops its cell
annotations when cells get small, and the curves colour cohorts along a colour
bar instead of a legend when there are more than 12 of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from retention_kpis.cohorts import CohortTable, RevenueRetentionTable
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.plot._layout import (
    MAX_LEGEND_ENTRIES,
    Ticks,
    figure_size,
    new_axes,
    percent_formatter,
    thin_ticks,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from retention_kpis._core.arrays import FloatArray

__all__ = ["plot_cohort_heatmap", "plot_retention_curves"]

PERIOD_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
# A cell is annotated (annotate=None) when it is at least this wide and high, in points.
_MIN_CELL_POINTS = (24.0, 11.0)


def _check_table(table: object, func: str) -> CohortTable | RevenueRetentionTable:
    if not isinstance(table, (CohortTable, RevenueRetentionTable)):
        msg = (
            f"The 'table' parameter of {func} must be a CohortTable or a RevenueRetentionTable. "
            f"Got {type(table).__name__} instead."
        )
        raise InvalidInputError(msg)
    if not table.cohorts:
        msg = (
            f"The 'table' parameter of {func} must hold at least one cohort. Got an empty "
            f"table (no {table.cohort_event} event by {table.observation_end}) instead."
        )
        raise InvalidInputError(msg)
    return table


def _check_annotate(annotate: object, func: str) -> bool | None:
    if annotate is not None and not isinstance(annotate, bool):
        msg = (
            f"The 'annotate' parameter of {func} must be None, True or False. "
            f"Got {annotate!r} instead."
        )
        raise InvalidInputError(msg)
    return annotate


def _offset_label(table: CohortTable | RevenueRetentionTable) -> str:
    name = PERIOD_NAMES.get(str(table.period), "period")
    return f"{name.capitalize()}s since first {table.cohort_event}"


def _shares(table: CohortTable | RevenueRetentionTable) -> FloatArray:
    values: FloatArray = np.array(
        [[np.nan if v is None else v for v in row] for row in table.shares], dtype=float
    ).reshape(len(table.cohorts), len(table.offsets))
    return values


def _cell_points(ax: Axes, rows: int, columns: int) -> tuple[float, float]:
    """Return the width and height of one heatmap cell in points, as last laid out."""
    box = ax.get_window_extent()
    to_points = 72.0 / ax.figure.dpi
    return (box.width * to_points / max(columns, 1), box.height * to_points / max(rows, 1))


def plot_cohort_heatmap(
    table: CohortTable | RevenueRetentionTable,
    ax: Axes | None = None,
    *,
    annotate: bool | None = None,
) -> Axes:
    """Draw the retention shares as a cohort x offset heatmap, cells annotated in percent.

    Cells not yet observed are left blank (masked), never drawn as 0. A new
    figure grows with the table (within 6 x 4 and 16 x 12 inches); tick labels
    are thinned so that none overlap (at most ~25 per axis), and the colour bar
    reads in percent.

    Parameters
    ----------
    table : CohortTable or RevenueRetentionTable
        From :func:`~retention_kpis.cohorts.cohort_retention` or
        :func:`~retention_kpis.cohorts.revenue_retention`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's axes by default.
    annotate : bool, optional
        Write each cell's share in it. None (default): only when the cells are
        at least 24 points wide and 11 points high once drawn (a 24 x 24 table
        on the default figure is; a 105-cohort weekly table is not).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import datetime as dt
    >>> from retention_kpis.cohorts import CohortTable
    >>> table = CohortTable(
    ...     period="M", window="calendar", mode="on", cohort_event="purchase",
    ...     return_event="purchase", observation_end=dt.datetime(2024, 3, 1),
    ...     cohorts=(dt.date(2024, 1, 1),), offsets=((0, 0), (1, 1)), cohort_sizes=(4,),
    ...     counts=((4, 1),), shares=((1.0, 0.25),), average=(1.0, 0.25),
    ... )
    >>> ax = plot_cohort_heatmap(table)
    >>> ax.get_xlabel(), [text.get_text() for text in ax.texts]
    ('Months since first purchase', ['100%', '25%'])
    """
    func = "plot_cohort_heatmap"
    table = _check_table(table, func)
    wanted = _check_annotate(annotate, func)
    rows, columns = len(table.cohorts), len(table.offsets)
    ax = new_axes(ax, func, size=figure_size(columns, rows))
    values = _shares(table)
    image = ax.imshow(
        np.ma.masked_invalid(values),
        aspect="auto",
        cmap="viridis",
        vmin=0.0,
        interpolation="nearest",
    )
    colorbar = ax.figure.colorbar(image, ax=ax)
    colorbar.ax.yaxis.set_major_formatter(percent_formatter())
    colorbar.set_label(
        "Share retained" if isinstance(table, CohortTable) else "Net revenue retention"
    )
    ax.set_xlabel(_offset_label(table))
    ax.set_ylabel("Cohort (customers)")
    cohort_labels = [
        f"{cohort.isoformat()} ({size:,})"
        for cohort, size in zip(table.cohorts, table.cohort_sizes, strict=True)
    ]
    thin_ticks(
        Ticks(ax, "x", list(range(columns)), list(table.columns)),
        Ticks(ax, "y", list(range(rows)), cohort_labels),
    )
    if wanted is None:
        width, height = _cell_points(ax, rows, columns)
        wanted = width >= _MIN_CELL_POINTS[0] and height >= _MIN_CELL_POINTS[1]
    if wanted:
        top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
        for (row, column), value in np.ndenumerate(values):
            if not np.isnan(value):
                colour = "k" if value > 0.6 * top else "w"  # viridis is light at the top
                ax.text(
                    column, row, f"{value:.0%}", ha="center", va="center", fontsize=7, color=colour
                )
    return ax


def plot_retention_curves(
    table: CohortTable | RevenueRetentionTable, ax: Axes | None = None
) -> Axes:
    """Draw one retention curve per cohort (thin) and the weighted average (thick).

    With up to 12 cohorts each is named in a legend placed outside the axes,
    to their right; with more, the cohorts are coloured from oldest (dark) to
    newest (light) along a colour bar labelled with their dates, so the
    legend never covers the curves. The y axis reads in percent.

    Parameters
    ----------
    table : CohortTable or RevenueRetentionTable
        A cohort table; unobserved cells end each cohort's curve.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on, with one line per cohort plus the ``average`` line (last).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
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
    columns, cohorts = len(table.offsets), len(table.cohorts)
    ax = new_axes(ax, func, size=figure_size(columns, 0, extra=(5.0, 4.5), high=(12.0, 12.0)))
    from matplotlib import colormaps  # noqa: PLC0415 - matplotlib is optional
    from matplotlib.cm import ScalarMappable  # noqa: PLC0415
    from matplotlib.colors import Normalize  # noqa: PLC0415

    positions = np.arange(columns)
    many = cohorts > MAX_LEGEND_ENTRIES
    cmap = colormaps["viridis"]
    norm = Normalize(vmin=0, vmax=max(cohorts - 1, 1))
    for index, (cohort, row) in enumerate(zip(table.cohorts, table.shares, strict=True)):
        ys = np.array([np.nan if v is None else v for v in row], dtype=float)
        colour = cmap(norm(index)) if many else None
        ax.plot(positions, ys, linewidth=0.8, alpha=0.6, color=colour, label=cohort.isoformat())
    average = np.array([np.nan if v is None else v for v in table.average], dtype=float)
    ax.plot(positions, average, linewidth=2.5, color="k", label="average")
    ax.set_xlabel(_offset_label(table))
    ax.set_ylabel("Retention" if isinstance(table, CohortTable) else "Net revenue retention")
    ax.yaxis.set_major_formatter(percent_formatter())
    offsets = Ticks(ax, "x", list(positions), list(table.columns))
    if many:
        mappable = ScalarMappable(norm=norm, cmap=cmap)
        colorbar = ax.figure.colorbar(mappable, ax=ax)
        colorbar.set_label("Cohort")
        labels = [cohort.isoformat() for cohort in table.cohorts]
        thin_ticks(offsets, Ticks(colorbar.ax, "y", list(range(cohorts)), labels))
    else:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        thin_ticks(offsets)
    return ax
