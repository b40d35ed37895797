"""Layout helpers shared by the plots: figure sizes, tick thinning, titles and units.

matplotlib is imported inside the functions that need it, so importing this
module (and :mod:`retention_kpis.plot`) never imports matplotlib.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "INSTALL_HINT",
    "MAX_LEGEND_ENTRIES",
    "figure_size",
    "format_number",
    "new_axes",
    "percent_formatter",
    "plural",
    "pyplot",
    "thin_ticks",
]

INSTALL_HINT = "pip install 'retention-kpis[plot]'"
MAX_LEGEND_ENTRIES = 12
"""Above this many series a plot colours them along a colour bar instead of a legend."""

_MAX_TICK_LABELS = 25
_TICK_FONT_SIZE = 8.0
# Room a label needs beyond its own box, as a share of its size.
_TICK_GAP = 0.25


def pyplot(func: str) -> Any:  # noqa: ANN401 - the matplotlib.pyplot module
    """Import and return ``matplotlib.pyplot``, or raise an ImportError naming the extra."""
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415 - optional dependency, imported lazily
    except ImportError as exc:
        msg = f"{func} needs matplotlib, which is not installed. Install it with: {INSTALL_HINT}"
        raise ImportError(msg) from exc
    return plt


def figure_size(
    columns: float,
    rows: float,
    *,
    cell: tuple[float, float] = (0.45, 0.3),
    extra: tuple[float, float] = (2.5, 1.5),
    low: tuple[float, float] = (6.0, 4.0),
    high: tuple[float, float] = (16.0, 12.0),
) -> tuple[float, float]:
    """Return a figure size in inches that grows with the data, within ``[low, high]``.

    Examples
    --------
    >>> figure_size(3, 2)
    (6.0, 4.0)
    >>> figure_size(105, 105)
    (16.0, 12.0)
    """
    width = min(max(extra[0] + cell[0] * columns, low[0]), high[0])
    height = min(max(extra[1] + cell[1] * rows, low[1]), high[1])
    return (width, height)


def new_axes(ax: Axes | None, func: str, *, size: tuple[float, float] | None = None) -> Axes:
    """Return ``ax``, or the axes of a new figure of ``size`` inches (constrained layout)."""
    plt = pyplot(func)
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def percent_formatter(decimals: int | None = None) -> Any:  # noqa: ANN401 - a matplotlib Formatter
    """Return a tick formatter showing fractions (0.25) as percentages (25%)."""
    from matplotlib.ticker import PercentFormatter  # noqa: PLC0415 - matplotlib is optional

    return PercentFormatter(1.0, decimals=decimals)


def format_number(value: float) -> str:
    """Format a time or count for a title: one decimal at most, no trailing zero.

    Examples
    --------
    >>> format_number(38.8571), format_number(39.0), format_number(0.25)
    ('38.9', '39', '0.2')
    """
    text = f"{value:.1f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plural(value: float, unit: str) -> str:
    """Return ``"1 week"``, ``"38.9 weeks"``: a number and its unit, singular at exactly 1.

    Examples
    --------
    >>> plural(1, "week"), plural(38.8571, "week"), plural(2, "day")
    ('1 week', '38.9 weeks', '2 days')
    """
    text = format_number(value)
    return f"{text} {unit}" if text == "1" else f"{text} {unit}s"


def _overlaps(boxes: Sequence[Any]) -> bool:
    """Whether two consecutive boxes (in axis order) touch or overlap."""
    return any(first.overlaps(second) for first, second in itertools.pairwise(boxes))


def _label_boxes(ax: Axes, axis: str) -> list[Any]:
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [
        label.get_window_extent() for label in labels if label.get_visible() and label.get_text()
    ]


def _first_step(count: int, length_points: float, label_points: float) -> int:
    """Return the smallest step leaving each shown label ``label_points`` plus a gap."""
    if count <= 1 or length_points <= 0:
        return 1
    fits = max(1, math.floor(length_points / (label_points * (1 + _TICK_GAP))))
    fits = min(fits, _MAX_TICK_LABELS)
    return max(1, math.ceil(count / fits))


def thin_ticks(
    ax: Axes,
    axis: str,
    positions: Sequence[float],
    labels: Sequence[str],
    *,
    fontsize: float = _TICK_FONT_SIZE,
    rotation: float = 0.0,
) -> int:
    """Label every ``step``-th position so that no two tick labels overlap; return the step.

    The first step is estimated from the axis length and the longest label
    (at most 25 labels); the figure is then drawn and the step increased until
    the drawn label boxes are apart. Labels are shown at positions ``0, step,
    2 step, ...``.
    """
    count = len(positions)
    figure = ax.figure
    bbox = ax.get_window_extent()
    to_points = 72.0 / figure.dpi
    longest = max((len(label) for label in labels), default=1)
    if axis == "x":
        length = bbox.width * to_points
        label_points = fontsize if rotation else 0.6 * fontsize * longest
    else:
        length = bbox.height * to_points
        label_points = 1.2 * fontsize
    step = _first_step(count, length, label_points)
    while True:
        shown = list(range(0, count, step))
        ticks = [positions[k] for k in shown]
        texts = [labels[k] for k in shown]
        if axis == "x":
            ax.set_xticks(ticks, texts, fontsize=fontsize, rotation=rotation)
        else:
            ax.set_yticks(ticks, texts, fontsize=fontsize, rotation=rotation)
        if step >= count:
            return step
        figure.canvas.draw()
        boxes = _label_boxes(ax, axis)
        if axis == "y":
            boxes = sorted(boxes, key=lambda box: box.y0)
        else:
            boxes = sorted(boxes, key=lambda box: box.x0)
        if not _overlaps(boxes):
            return step
        step += max(1, step // 2)
