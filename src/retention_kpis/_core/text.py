"""Wording shared by error messages and notes."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

__all__ = ["count_rows", "notes_about"]


def count_rows(count: int, noun: str = "row") -> str:
    """Return ``"1 row"`` or ``"<count> rows"`` (any noun taking a plain ``s``).

    Examples
    --------
    >>> count_rows(1), count_rows(0), count_rows(3, "funnel event row")
    ('1 row', '0 rows', '3 funnel event rows')
    """
    return f"{count} {noun}{'s' if count != 1 else ''}"


def notes_about(
    notes: Iterable[str], wanted: Collection[str], names: Collection[str]
) -> tuple[str, ...]:
    """Keep the notes that name one of ``wanted``, or none of ``names`` (a general note).

    Examples
    --------
    >>> notes = ["nps is null where there are no NPS responses (1 row).",
    ...          "retention_rate and clv are null in the first period.", "Ignored 2 rows."]
    >>> notes_about(notes, {"clv"}, {"nps", "retention_rate", "clv"})
    ('retention_rate and clv are null in the first period.', 'Ignored 2 rows.')
    """
    kept = []
    for note in notes:
        named = {word for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", note) if word in names}
        if not named or named & set(wanted):
            kept.append(note)
    return tuple(kept)
