"""Validation of the cohort options (period, mode, window, brackets, observation end)."""

from __future__ import annotations

import datetime as dt
import itertools
import numbers
from collections.abc import Sequence
from typing import cast

from retention_kpis._core.checks import check_choice
from retention_kpis.cohorts._table import Mode, Period, Window
from retention_kpis.exceptions import InvalidInputError

__all__ = ["MAX_BRACKETS", "check_brackets", "check_observation_end"]

MAX_BRACKETS = 500
"""Most brackets ``cohort_retention(mode="bracket")`` accepts. Each adds one branch to the
backend expression (a balanced tree, depth ``log2``): on 800 events 300 brackets take 1.6 s on
pandas, 0.8 s on polars and 2.2 s on DuckDB (1,000 brackets: 6.1, 2.3 and 8.0 s)."""


def check_period(value: object, func: str) -> Period:
    """Return a cohort period ``"D"``, ``"W"`` or ``"M"``."""
    return cast("Period", check_choice(value, "period", func, ("D", "W", "M")))


def check_window(value: object, func: str) -> Window:
    """Return ``"calendar"`` or ``"rolling"``."""
    return cast("Window", check_choice(value, "window", func, ("calendar", "rolling")))


def check_mode(value: object, func: str) -> Mode:
    """Return ``"on"``, ``"on_or_after"`` or ``"bracket"``."""
    return cast("Mode", check_choice(value, "mode", func, ("on", "on_or_after", "bracket")))


def _fail_brackets(func: str, requirement: str, got: object) -> InvalidInputError:
    return InvalidInputError(
        f"The 'brackets' parameter of {func} {requirement}. Got {got!r} instead."
    )


def _pair(pair: object, func: str, brackets: object) -> tuple[int, int]:
    """One ``(first, last)`` bracket with ``1 <= first <= last``."""
    if (
        not isinstance(pair, Sequence)
        or isinstance(pair, (str, bytes))
        or len(pair) != 2
        or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair)
    ):
        raise _fail_brackets(func, "must hold (first, last) pairs of whole offsets", brackets)
    lo, hi = int(pair[0]), int(pair[1])
    if not 1 <= lo <= hi:
        raise _fail_brackets(func, "must hold pairs with 1 <= first <= last", brackets)
    return lo, hi


def check_brackets(brackets: object, mode: Mode, func: str) -> tuple[tuple[int, int], ...]:
    """Return validated brackets: sorted, non-overlapping ``(lo, hi)`` with ``1 <= lo <= hi``.

    Examples
    --------
    >>> check_brackets([(1, 1), (2, 3)], "bracket", "f")
    ((1, 1), (2, 3))
    """
    if mode != "bracket":
        if brackets is not None:
            raise _fail_brackets(func, "is only used with mode='bracket'", brackets)
        return ()
    if brackets is None or isinstance(brackets, (str, bytes)) or not isinstance(brackets, Sequence):
        raise _fail_brackets(func, "must be a non-empty list of (first, last) offsets", brackets)
    if len(brackets) > MAX_BRACKETS:
        msg = (
            f"The 'brackets' parameter of {func} must hold at most {MAX_BRACKETS:,} brackets. "
            f"Got {len(brackets):,} instead."
        )
        raise InvalidInputError(msg)
    pairs = [_pair(pair, func, brackets) for pair in brackets]
    if not pairs:
        raise _fail_brackets(func, "must be a non-empty list of (first, last) offsets", brackets)
    for (_, previous_hi), (lo, _) in itertools.pairwise(pairs):
        if lo <= previous_hi:
            raise _fail_brackets(
                func, "must be sorted and must not overlap (each first > previous last)", brackets
            )
    return tuple(pairs)


def check_observation_end(value: object, func: str) -> dt.datetime | None:
    """Return the last observed instant as a naive datetime; a date means its 23:59:59."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            msg = (
                f"The 'observation_end' parameter of {func} must be a naive datetime (event "
                f"timestamps are compared as wall-clock times). Got {value!r} instead."
            )
            raise InvalidInputError(msg)
        return value.replace(microsecond=0)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(23, 59, 59))
    msg = (
        f"The 'observation_end' parameter of {func} must be a datetime, a date or None. "
        f"Got {value!r} instead."
    )
    raise InvalidInputError(msg)
