"""Text renderings of reports for the console script: aligned tables and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from typing import Any

from retention_kpis._core.display import Unit, format_value
from retention_kpis._core.display import text_table as render_text

__all__ = ["NULL", "cell", "csv_text", "text_table"]

NULL = "-"
"""How the console prints an undefined value."""


def cell(value: object, *, percent: bool = False) -> str:
    """Format one value for a table; undefined values print as ``-``.

    Examples
    --------
    >>> cell(0.25, percent=True), cell(1234), cell(None), cell(float("nan"))
    ('25.0%', '1,234', '-', '-')
    """
    return format_value(value, "percent" if percent else "auto", null=NULL)


def text_table(
    columns: Sequence[str],
    data: dict[str, list[Any]],
    *,
    text_columns: Collection[str],
    percent_columns: Collection[str],
    notes: Sequence[str] = (),
) -> str:
    """Render columns as an aligned table: numbers right, text left; notes after it.

    The console's units: ``text_columns`` as text, ``percent_columns`` as
    percentages, the rest by value type; undefined values print as ``-``. The
    rendering is :func:`retention_kpis._core.display.text_table`, the one every
    result's ``__str__`` uses.

    Examples
    --------
    >>> print(text_table(["k", "n"], {"k": ["a"], "n": [3]}, text_columns={"k"},
    ...                  percent_columns=()), end="")
    k  n
    -  -
    a  3
    """
    units: dict[str, Unit] = {
        name: "text" if name in text_columns else "percent" if name in percent_columns else "auto"
        for name in columns
    }
    return render_text(columns, data, units=units, notes=notes, null=NULL)


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
