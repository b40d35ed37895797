"""Plot of a conversion funnel: entrants per step, with conversion from step 1."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from retention_kpis.exceptions import InvalidInputError
from retention_kpis.funnels import FunnelResult
from retention_kpis.plot._layout import figure_size, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_funnel"]


def plot_funnel(result: FunnelResult, ax: Axes | None = None) -> Axes:
    """Draw a funnel as horizontal bars of entrants per step, one group per segment.

    Each bar is labelled with its entrants and its conversion from step 1. A new
    figure grows with the number of bars; with several segments the legend sits
    outside the axes, to the right.

    Parameters
    ----------
    result : FunnelResult
        From :func:`~retention_kpis.funnels.funnel`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's axes by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on, with one bar container per segment.

    Examples
    --------
    >>> from retention_kpis.funnels import FunnelResult, FunnelStep
    >>> rows = tuple(
    ...     FunnelStep(segment=(), step=k + 1, event_type=name, entrants=n,
    ...                conversion_from_first=n / 10, conversion_from_previous=1.0,
    ...                drop_off=0, drop_off_share=0.0, median_seconds_from_previous=None)
    ...     for k, (name, n) in enumerate([("visit", 10), ("purchase", 3)])
    ... )
    >>> result = FunnelResult(steps=("visit", "purchase"), within_seconds=60, unit="user",
    ...                       ordered=True, by=(), session_gap_seconds=None, rows=rows)
    >>> len(plot_funnel(result).containers)
    1
    """
    func = "plot_funnel"
    given: object = result
    if not isinstance(given, FunnelResult):
        msg = (
            f"The 'result' parameter of {func} must be a FunnelResult. "
            f"Got {type(result).__name__} instead."
        )
        raise InvalidInputError(msg)
    segments = list(dict.fromkeys(row.segment for row in result.rows))
    n_steps = len(result.steps)
    bars_drawn = n_steps * max(len(segments), 1)
    ax = new_axes(ax, func, size=figure_size(0, bars_drawn, cell=(0.0, 0.35), extra=(7.0, 1.5)))
    height = 0.8 / max(len(segments), 1)
    positions = np.arange(n_steps)
    for index, segment in enumerate(segments):
        rows = [row for row in result.rows if row.segment == segment]
        label = ", ".join(str(v) for v in segment) if segment else "all"
        bars = ax.barh(
            positions + index * height,
            [row.entrants for row in rows],
            height=height,
            label=label,
        )
        ax.bar_label(
            bars,
            labels=[f"{row.entrants} ({row.conversion_from_first:.0%})" for row in rows],
            fontsize=8,
            padding=2,
        )
    ax.set_yticks(positions + height * (len(segments) - 1) / 2, list(result.steps))
    ax.invert_yaxis()
    ax.set_xlabel(f"{result.unit.capitalize()}s reaching the step")
    ax.xaxis.set_major_formatter("{x:,.0f}")
    if len(segments) > 1:  # outside, to the right: bar labels run to the right edge
        ax.legend(
            fontsize=7,
            title=", ".join(result.by),
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
        )
    return ax
