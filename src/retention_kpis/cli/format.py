"""Text renderings of reports for the console script: aligned tables and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Collection, Sequence
from typing import Any

__all__ = ["cell", "csv_text", "text_table"]


def cell(value: object, *, percent: bool = False) -> str:
    """Format one value for a table; undefined values print as ``-``.

    Examples
    --------
    >>> cell(0.25, percent=True), cell(1234), cell(None), cell(float("nan"))
    ('25.0%', '1,234', '-', '-')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.1%}" if percent else f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def text_table(
    columns: Sequence[str],
    data: dict[str, list[Any]],
    *,
    text_columns: Collection[str],
    percent_columns: Collection[str],
    notes: Sequence[str] = (),
) -> str:
    """Render columns as an aligned table: numbers right, text left; notes after it.

    Examples
    --------
    >>> print(text_table(["k", "n"], {"k": ["a"], "n": [3]}, text_columns={"k"},
    ...                  percent_columns=()), end="")
    k  n
    -  -
    a  3
    """
    rows = len(data[columns[0]]) if columns else 0
    cells = {
        name: [cell(value, percent=name in percent_columns) for value in data[name]]
        for name in columns
    }
    numeric = {
        name: name not in text_columns
        and all(isinstance(v, (int, float)) or v is None for v in data[name])
        for name in columns
    }
    widths = {name: max([len(name), *(len(text) for text in cells[name])]) for name in columns}

    def line(values: dict[str, str]) -> str:
        parts = [
            values[name].rjust(widths[name]) if numeric[name] else values[name].ljust(widths[name])
            for name in columns
        ]
        return "  ".join(parts).rstrip()

    lines = [line({name: name for name in columns})]
    lines.append("  ".join("-" * widths[name] for name in columns))
    lines.extend(line({name: cells[name][i] for name in columns}) for i in range(rows))
    if not rows:
        lines.append("(no rows)")
    if notes:
        lines.extend(["", "Notes:", *(f"- {note}" for note in notes)])
    return "\n".join(lines) + "\n"


def csv_text(columns: Sequence[str], data: dict[str, list[Any]]) -> str:
    r"""Render columns as CSV; undefined values are empty fields.

    Examples
    --------
    >>> csv_text(["a", "b"], {"a": [1], "b": [None]})
    'a,b\n1,\n'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    rows = len(data[columns[0]]) if columns else 0
    for i in range(rows):
        writer.writerow(["" if data[name][i] is None else data[name][i] for name in columns])
    return buffer.getvalue()
