"""A tiny progress bar on stderr for long console-script runs, only on a terminal."""

from __future__ import annotations

from typing import TextIO

__all__ = ["ProgressBar"]

_WIDTH = 24


class ProgressBar:
    """Draw ``[#####.....] 2/4 label`` in place on a terminal; do nothing otherwise.

    Parameters
    ----------
    stream : text stream
        Where to draw (stderr); the bar is drawn only if ``stream.isatty()``.
    quiet : bool, default=False
        Never draw.

    Examples
    --------
    >>> import io
    >>> bar = ProgressBar(io.StringIO())  # not a terminal: draws nothing
    >>> bar(1, 2, "step"); bar.close(); bar.enabled
    False
    """

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.enabled = not quiet and callable(isatty) and bool(isatty())
        self._drawn = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        """Redraw the bar at ``done`` of ``total`` steps."""
        if not self.enabled:
            return
        filled = _WIDTH * done // total if total else _WIDTH
        line = f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {done}/{total} {label}"[:79]
        self.stream.write("\r" + line.ljust(self._drawn))
        self.stream.flush()
        self._drawn = len(line)

    def close(self) -> None:
        """Erase the bar, so the next output starts on a clean line."""
        if self.enabled and self._drawn:
            self.stream.write("\r" + " " * self._drawn + "\r")
            self.stream.flush()
            self._drawn = 0
