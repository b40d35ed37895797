"""Tables as text and HTML: the one renderer of every result's ``__str__`` and ``_repr_html_``.

No KPI meaning lives here: callers pass the columns, their values and a *unit*
per column (from the literal unit table of each result type), and the renderer
only formats. Units:

``"text"``
    ``str(value)`` (dates in ISO format), left-aligned.
``"count"``
    Whole numbers with thousands separators (``1,234``); a fractional count
    (attributed orders) keeps two decimals.
``"percent"``
    A fraction shown as a percentage with one decimal (``0.25`` -> ``25.0%``).
``"money"`` and ``"number"``
    Two decimals with thousands separators (``1,234.50``).
``"general"``
    Six significant digits (``0.0312``, ``1.23457e+06``): a value of unknown unit.
``"duration"``
    Seconds as ``[D days, ]H:MM:SS`` rounded to the second (``93784`` ->
    ``1 day, 2:03:04``).
``"auto"``
    By the value's type: ints as counts, floats with two decimals (the console
    script's historical format).

``None`` and nan print as :data:`NULL` (an em dash) unless the caller asks for
another marker. Every value, header and note is HTML-escaped in
:func:`html_table`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, overload

__all__ = [
    "HEAD_ROWS",
    "NULL",
    "TEXT_ROWS",
    "Column",
    "Table",
    "TableDisplay",
    "Unit",
    "format_value",
    "html_table",
    "short_repr",
    "text_table",
]

Unit: TypeAlias = Literal[
    "text", "count", "percent", "money", "number", "general", "duration", "auto"
]

NULL = "\u2014"
"""How an undefined value (None or nan) prints: an em dash."""

HEAD_ROWS = 10
"""Rows shown at each end of a long table (``max_rows = 2 * HEAD_ROWS``)."""

TEXT_ROWS = 60
"""Rows ``str(result)`` shows before it cuts the middle out (as pandas does)."""

_NUMERIC: frozenset[str] = frozenset(
    {"count", "percent", "money", "number", "general", "duration", "auto"}
)

_STYLE = (
    ".rk-result{overflow-x:auto;font-family:sans-serif}"
    ".rk-table{border-collapse:collapse;font-size:12px}"
    ".rk-table th,.rk-table td{padding:2px 8px;border-bottom:1px solid #ddd;white-space:nowrap}"
    ".rk-table th{text-align:left;background:#f4f4f4}"
    ".rk-table td.n,.rk-table th.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".rk-table td.null{color:#999}"
    ".rk-title{font-weight:bold;margin:4px 0}"
    ".rk-more{color:#666;font-size:11px;margin:4px 0}"
    ".rk-notes{font-size:11px;color:#444;margin:4px 0 0 0;padding-left:18px}"
)


class Column(Sequence[Any]):
    """A column read from result rows only where it is shown: ``value(rows[i])``.

    The renderers read the rows they show (20 of a 100,000-row report), so a
    long result displays in constant time.

    Examples
    --------
    >>> column = Column(["a", "bb"], len)
    >>> len(column), column[1]
    (2, 2)
    """

    def __init__(self, rows: Sequence[Any], value: Callable[[Any], Any]) -> None:
        self._rows = rows
        self._value = value

    def __len__(self) -> int:
        """Return the number of rows."""
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Any: ...  # noqa: ANN401 - any cell value
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        """Return the value of row ``index`` (a list for a slice)."""
        if isinstance(index, slice):
            return [self._value(row) for row in self._rows[index]]
        return self._value(self._rows[index])


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value: object, unit: Unit, *, null: str = NULL) -> str:
    """Format one value in its unit; None and nan print as ``null``.

    Parameters
    ----------
    value : object
        The value (a number, date, string, bool or None).
    unit : {"text", "count", "percent", "money", "number", "general", "duration", "auto"}
        How numbers are shown (see the module docstring).
    null : str, default="\u2014"
        What an undefined value prints as.

    Returns
    -------
    str
        The formatted value (not escaped).

    Examples
    --------
    >>> format_value(0.25, "percent"), format_value(1234, "count"), format_value(2.5, "count")
    ('25.0%', '1,234', '2.50')
    >>> format_value(1234.5, "money"), format_value(None, "money"), format_value(3.0, "auto")
    ('1,234.50', '\u2014', '3.00')
    """
    if _is_null(value):
        return null
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float)) and unit != "text":
        return _format_number(value, unit)
    return str(value)


def _format_number(value: float, unit: Unit) -> str:
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "duration":
        return str(dt.timedelta(seconds=round(value)))
    if unit == "count" and float(value).is_integer():
        return f"{int(value):,}"
    if unit in {"auto", "general"} and isinstance(value, int):
        return f"{value:,}"
    if unit == "general":
        return f"{value:.6g}"
    return f"{value:,.2f}"


def _window(rows: int, max_rows: int | None) -> tuple[list[int], int]:
    """Row indices to show (head and tail) and where the gap goes (-1: none)."""
    if max_rows is None or rows <= max_rows:
        return list(range(rows)), -1
    head = max_rows - max_rows // 2
    tail = max_rows // 2
    return [*range(head), *range(rows - tail, rows)], head


def _rows_shown(shown: int, rows: int) -> str:
    return f"{shown:,} of {rows:,} rows shown"


def _cells(
    columns: Sequence[str],
    data: Mapping[str, Sequence[Any]],
    units: Mapping[str, Unit],
    indices: Sequence[int],
    null: str,
) -> dict[str, list[str]]:
    return {
        name: [format_value(data[name][i], units.get(name, "auto"), null=null) for i in indices]
        for name in columns
    }


def text_table(
    columns: Sequence[str],
    data: Mapping[str, Sequence[Any]],
    *,
    units: Mapping[str, Unit],
    notes: Sequence[str] = (),
    title: str | None = None,
    max_rows: int | None = None,
    null: str = NULL,
) -> str:
    """Render columns as a fixed-width table: numbers right, text left; notes after it.

    Parameters
    ----------
    columns : sequence of str
        Column names, in order.
    data : mapping of str to sequence
        The values of each column (all of one length).
    units : mapping of str to unit
        Unit of each column (missing: ``"auto"``); ``"text"`` columns are left-aligned.
    notes : sequence of str, default=()
        Printed under the table, one ``- note`` per line.
    title : str, optional
        A first line above the table.
    max_rows : int, optional
        Show at most this many rows (the first and last ones) and say how many
        of how many are shown; all rows when None.
    null : str, default="\u2014"
        What an undefined value prints as.

    Returns
    -------
    str
        The table, ending with a newline.

    Examples
    --------
    >>> print(text_table(["k", "n"], {"k": ["a", "b"], "n": [3, None]},
    ...                  units={"k": "text", "n": "count"}, null="-"), end="")
    k  n
    -  -
    a  3
    b  -
    """
    rows = len(data[columns[0]]) if columns else 0
    indices, gap = _window(rows, max_rows)
    cells = _cells(columns, data, units, indices, null)
    right = {
        name: units.get(name, "auto") in _NUMERIC
        and all(
            _is_null(v) or isinstance(v, (int, float)) for v in (data[name][i] for i in indices)
        )
        for name in columns
    }
    widths = {name: max([len(name), *(len(text) for text in cells[name])]) for name in columns}

    def line(values: Mapping[str, str]) -> str:
        parts = [
            values[name].rjust(widths[name]) if right[name] else values[name].ljust(widths[name])
            for name in columns
        ]
        return "  ".join(parts).rstrip()

    lines = [] if title is None else [title]
    lines.append(line({name: name for name in columns}))
    lines.append("  ".join("-" * widths[name] for name in columns))
    for position in range(len(indices)):
        if position == gap:
            lines.append("...")
        lines.append(line({name: cells[name][position] for name in columns}))
    if not rows:
        lines.append("(no rows)")
    if gap >= 0:
        lines.append(f"({_rows_shown(len(indices), rows)})")
    if notes:
        lines.extend(["", "Notes:", *(f"- {note}" for note in notes)])
    return "\n".join(lines) + "\n"


def html_table(
    columns: Sequence[str],
    data: Mapping[str, Sequence[Any]],
    *,
    units: Mapping[str, Unit],
    notes: Sequence[str] = (),
    title: str | None = None,
    max_rows: int | None = 2 * HEAD_ROWS,
    null: str = NULL,
) -> str:
    """Render columns as a compact, styled HTML table; every value is escaped.

    Parameters are those of :func:`text_table`; ``max_rows`` defaults to
    ``2 * HEAD_ROWS`` (a notebook cell should stay small). Rows left out are
    marked by a row of ellipses and a line ``N of M rows shown``.

    Returns
    -------
    str
        A ``<div>`` holding a ``<style>`` scoped to the ``rk-`` classes, the
        title, the table and the notes.

    Examples
    --------
    >>> html_table(["k"], {"k": ["<b>"]}, units={"k": "text"}).count("&lt;b&gt;")
    1
    """
    rows = len(data[columns[0]]) if columns else 0
    indices, gap = _window(rows, max_rows)
    cells = _cells(columns, data, units, indices, null)
    numeric = {name: units.get(name, "auto") in _NUMERIC for name in columns}

    def td(name: str, position: int) -> str:
        text = cells[name][position]
        classes = [*(["n"] if numeric[name] else []), *(["null"] if text == null else [])]
        attribute = f' class="{" ".join(classes)}"' if classes else ""
        return f"<td{attribute}>{html.escape(text)}</td>"

    parts = [f'<div class="rk-result"><style>{_STYLE}</style>']
    if title is not None:
        parts.append(f'<div class="rk-title">{html.escape(title)}</div>')
    parts.append('<table class="rk-table"><thead><tr>')
    parts.extend(
        f'<th class="n">{html.escape(name)}</th>'
        if numeric[name]
        else f"<th>{html.escape(name)}</th>"
        for name in columns
    )
    parts.append("</tr></thead><tbody>")
    for position in range(len(indices)):
        if position == gap:
            gap_cells = (
                '<td class="n">\u2026</td>' if numeric[name] else "<td>\u2026</td>"
                for name in columns
            )
            parts.append("<tr>" + "".join(gap_cells) + "</tr>")
        parts.append("<tr>" + "".join(td(name, position) for name in columns) + "</tr>")
    if not rows:
        parts.append(f'<tr><td colspan="{max(len(columns), 1)}">(no rows)</td></tr>')
    parts.append("</tbody></table>")
    if gap >= 0:
        parts.append(f'<div class="rk-more">{_rows_shown(len(indices), rows)}</div>')
    if notes:
        parts.append('<ul class="rk-notes">')
        parts.extend(f"<li>{html.escape(note)}</li>" for note in notes)
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def short_repr(name: str, fields: Mapping[str, object], *, limit: int = 300) -> str:
    """Return a one-line ``Name(key=value, ...)`` cut to ``limit`` characters.

    Examples
    --------
    >>> short_repr("KPIReport", {"rows": 8, "period": "M", "by": ("channel",)})
    "KPIReport(rows=8, period='M', by=('channel',))"
    """
    body = ", ".join(f"{key}={value!r}" for key, value in fields.items())
    text = f"{name}({body})"
    if len(text) <= limit:
        return text
    return text[: limit - 4] + "...)"


@dataclass(frozen=True)
class Table:
    """A result's table, ready to render: what ``__str__`` and ``_repr_html_`` show.

    Examples
    --------
    >>> table = Table(["n"], {"n": [1_000]}, {"n": "count"}, title="T")
    >>> print(table.text(), end="")
    T
        n
    -----
    1,000
    """

    columns: Sequence[str]
    data: Mapping[str, Sequence[Any]]
    units: Mapping[str, Unit]
    notes: Sequence[str] = field(default=())
    title: str | None = None

    def text(self, *, max_rows: int | None = TEXT_ROWS) -> str:
        """Render as a fixed-width text table (see :func:`text_table`)."""
        return text_table(
            self.columns,
            self.data,
            units=self.units,
            notes=self.notes,
            title=self.title,
            max_rows=max_rows,
        )

    def html(self, *, max_rows: int | None = 2 * HEAD_ROWS) -> str:
        """Render as an HTML table (see :func:`html_table`)."""
        return html_table(
            self.columns,
            self.data,
            units=self.units,
            notes=self.notes,
            title=self.title,
            max_rows=max_rows,
        )


class TableDisplay:
    """Mixin of the results shown as a :class:`Table`: ``str()`` as text, notebooks as HTML.

    The class defines ``_table()`` (what the table holds is said there); put the mixin
    before a pydantic base so its ``__str__`` wins over pydantic's.

    Examples
    --------
    >>> class Counts(TableDisplay):
    ...     def _table(self) -> Table:
    ...         return Table(["n"], {"n": [1_000]}, {"n": "count"}, title="Counts")
    >>> print(str(Counts()), end="")
    Counts
        n
    -----
    1,000
    >>> "<table" in Counts()._repr_html_()
    True
    """

    __slots__ = ()

    def _table(self) -> Table:
        raise NotImplementedError  # pragma: no cover - each result defines it

    def __str__(self) -> str:
        """Return the result's table as fixed-width text, with its notes."""
        return self._table().text()

    def _repr_html_(self) -> str:
        """Return the result's table as compact HTML for notebooks, with its notes under it."""
        return self._table().html()
