"""Layout helpers shared by the plots: figure sizes, tick thinning, titles and units.

matplotlib is imported inside the functions that need it, so importing this
module (and :mod:`retention_kpis.plot`) never imports matplotlib.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "INSTALL_HINT",
    "MAX_LEGEND_ENTRIES",
    "Ticks",
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
    """Return whether two consecutive boxes (in axis order) overlap."""
    return any(first.overlaps(second) for first, second in itertools.pairwise(boxes))


@dataclass(frozen=True)
class Ticks:
    """The ticks one axis should carry: a label per position, thinned by :func:`thin_ticks`."""

    ax: Axes
    axis: str  # "x" or "y"
    positions: Sequence[float]
    labels: Sequence[str]

    def estimate(self, fontsize: float) -> int:
        """Return a first step from the axis length and the longest label (<= 25 labels)."""
        count = len(self.positions)
        box = self.ax.get_window_extent()
        to_points = 72.0 / self.ax.figure.dpi
        if self.axis == "x":
            length = box.width * to_points
            longest = max((len(label) for label in self.labels), default=1)
            label_points = 0.6 * fontsize * longest
        else:
            length = box.height * to_points
            label_points = 1.2 * fontsize
        if count <= 1 or length <= 0:
            return 1
        fits = max(1, math.floor(length / (label_points * (1 + _TICK_GAP))))
        return max(1, math.ceil(count / min(fits, _MAX_TICK_LABELS)))

    def show(self, step: int, fontsize: float) -> None:
        """Label positions ``0, step, 2 step, ...``."""
        shown = range(0, len(self.positions), step)
        ticks = [self.positions[k] for k in shown]
        texts = [self.labels[k] for k in shown]
        if self.axis == "x":
            self.ax.set_xticks(ticks, texts, fontsize=fontsize)
        else:
            self.ax.set_yticks(ticks, texts, fontsize=fontsize)

    def overlap(self) -> bool:
        """Whether two of the drawn labels overlap (the figure must have been drawn)."""
        labels = self.ax.get_xticklabels() if self.axis == "x" else self.ax.get_yticklabels()
        boxes = [
            label.get_window_extent()
            for label in labels
            if label.get_visible() and label.get_text()
        ]
        key = (lambda box: box.x0) if self.axis == "x" else (lambda box: box.y0)
        return _overlaps(sorted(boxes, key=key))


def thin_ticks(*axes: Ticks, fontsize: float = _TICK_FONT_SIZE) -> list[int]:
    """Label every ``step``-th position of each axis so that no two labels overlap.

    Each first step is estimated from the axis length and the longest label
    (at most 25 labels per axis); the figure is then drawn, once per round
    for all the axes, and the step of every axis whose drawn labels overlap
    is increased, until none do. Returns the steps.
    """
    steps = [ticks.estimate(fontsize) for ticks in axes]
    while True:
        for ticks, step in zip(axes, steps, strict=True):
            ticks.show(step, fontsize)
        open_ = [k for k, ticks in enumerate(axes) if steps[k] < len(ticks.positions)]
        if not open_:
            return steps
        axes[0].ax.figure.canvas.draw()
        crowded = [k for k in open_ if axes[k].overlap()]
        if not crowded:
            return steps
        for k in crowded:
            steps[k] += max(1, steps[k] // 2)
