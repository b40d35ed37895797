"""Text renderings of reports for the console script: aligned tables and CSV.

CSV output is safe to open in a spreadsheet: a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return (a formula to Excel,
LibreOffice and Google Sheets) is written with a leading ``'``, as OWASP's
CSV-injection guidance recommends. Numbers are never changed (``-3.5`` stays a
number), nor is text that is a plain decimal number such as ``-3.5`` (it cannot
be a formula). ``--csv-formulas keep`` turns this off.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import sys
from collections.abc import Collection, Sequence
from typing import Any

from retention_kpis._core.display import Unit, format_value
from retention_kpis._core.display import text_table as render_text

__all__ = [
    "FORMULA_PREFIXES",
    "NULL",
    "cell",
    "csv_text",
    "drop_empty_columns",
    "fit_table",
    "neutralise",
    "table_width",
    "text_table",
]

NULL = "-"
"""How the console prints an undefined value."""
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


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


def neutralise(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'``.

    Examples
    --------
    >>> neutralise("=HYPERLINK(1)"), neutralise("@SUM(A1)"), neutralise("-3.5"), neutralise(-3.5)
    ("'=HYPERLINK(1)", "'@SUM(A1)", '-3.5', -3.5)
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_PREFIXES)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_text(
    columns: Sequence[str], data: dict[str, list[Any]], *, escape_formulas: bool = True
) -> str:
    r"""Render columns as CSV; undefined values are empty fields.

    Parameters
    ----------
    columns : sequence of str
        Column names, in order.
    data : dict of str to list
        The values of each column.
    escape_formulas : bool, default=True
        Neutralise text cells a spreadsheet would read as formulas (see :func:`neutralise`).

    Examples
    --------
    >>> csv_text(["a", "b"], {"a": [1], "b": [None]})
    'a,b\n1,\n'
    >>> print(csv_text(["seg", "x"], {"seg": ["=1+2", "-3.5"], "x": [-3.5, 1]}), end="")
    seg,x
    '=1+2,-3.5
    -3.5,1
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    escape = neutralise if escape_formulas else _same
    writer.writerow([escape(name) for name in columns])
    rows = len(data[columns[0]]) if columns else 0
    for i in range(rows):
        writer.writerow(
            ["" if data[name][i] is None else escape(data[name][i]) for name in columns]
        )
    return buffer.getvalue()


def _same(value: object) -> object:
    return value


def drop_empty_columns(
    columns: Sequence[str], data: dict[str, list[Any]], *, keep: Collection[str]
) -> tuple[list[str], list[str]]:
    """Split columns into those with a value and those null on every row (``keep`` stays).

    Examples
    --------
    >>> drop_empty_columns(["p", "a", "b"], {"p": [1], "a": [None], "b": [2]}, keep={"p"})
    (['p', 'b'], ['a'])
    """
    if not data or not columns or not data[columns[0]]:
        return list(columns), []
    shown = [
        name for name in columns if name in keep or any(value is not None for value in data[name])
    ]
    return shown, [name for name in columns if name not in shown]


def fit_table(
    columns: Sequence[str],
    data: dict[str, list[Any]],
    *,
    key_columns: Sequence[str],
    text_columns: Collection[str],
    percent_columns: Collection[str],
    width: int | None,
) -> str:
    """Render a table within ``width`` characters: blocks of columns, each with the keys.

    Columns that do not fit go to a further block under the first, which repeats
    the key columns (period and segments), as pandas wraps a wide frame. A
    ``width`` of None or 0 renders one block however wide.

    Examples
    --------
    >>> data = {"p": ["2024-01"], "a": [1], "b": [2]}
    >>> print(fit_table(["p", "a", "b"], data, key_columns=["p"], text_columns={"p"},
    ...                 percent_columns=(), width=12), end="")
    p        a
    -------  -
    2024-01  1
    <BLANKLINE>
    p        b
    -------  -
    2024-01  2
    """

    def render(names: Sequence[str]) -> str:
        return text_table(names, data, text_columns=text_columns, percent_columns=percent_columns)

    keys = [name for name in key_columns if name in columns]
    rest = [name for name in columns if name not in keys]
    if not width or width <= 0 or _width(render(columns)) <= width:
        return render(columns)
    blocks: list[list[str]] = []
    current: list[str] = []
    for name in rest:
        if current and _width(render([*keys, *current, name])) > width:
            blocks.append(current)
            current = []
        current.append(name)
    if current:
        blocks.append(current)
    return "\n".join(render([*keys, *block]) for block in blocks)


def _width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def table_width(args: argparse.Namespace) -> int | None:
    """Return the width to fit a table in: ``--width``, else the terminal's when stdout is one."""
    if args.width is not None:
        return int(args.width) or None
    if args.output is None and sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None
