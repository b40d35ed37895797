"""Wording shared by error messages and notes."""

from __future__ import annotations

__all__ = ["count_rows"]


def count_rows(count: int, noun: str = "row") -> str:
    """Return ``"1 row"`` or ``"<count> rows"`` (any noun taking a plain ``s``).

    Examples
    --------
    >>> count_rows(1), count_rows(0), count_rows(3, "funnel event row")
    ('1 row', '0 rows', '3 funnel event rows')
    """
    return f"{count} {noun}{'s' if count != 1 else ''}"
