"""The time unit of a fitted model: what ``t``, ``recency``, ``T`` and the rates mean.

Every model of :mod:`retention_kpis.clv` works in the time unit of the data it
was fitted to: a BG/NBD fitted to a weekly summary has ``alpha`` in weeks and
``expected_purchases(39, ...)`` means "in the next 39 weeks". The numbers do not
say which unit that was, and a daily ``t`` given to a weekly model is a silent
factor of 7. A model can therefore record its unit (``time_unit=`` of the
constructor, or :attr:`ProbabilityModel.time_unit`), and its predictions
(:meth:`ProbabilityModel.predict`, :func:`predict_clv`) carry it.

A unit is written as :func:`rfm_summary` counts time: ``"h"`` (hours), ``"D"``
(days), ``"W"`` (weeks), ``"M"`` (calendar months), optionally preceded by a
positive multiplier for summaries built with ``time_scaler`` (``"7D"`` is
``time_unit="D", time_scaler=7``: 7-day units). A month is 30 days, 4.345
weeks or 720 hours (lifetimes' and pymc-marketing's convention), so ``"7D"``
has ``30 / 7`` units a month and ``"W"`` ``4.345``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final

from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "TIME_UNITS_PER_MONTH",
    "describe_horizon",
    "describe_time_unit",
    "normalise_time_unit",
    "resolve_time_unit",
    "units_per_month",
]

TIME_UNITS_PER_MONTH: Final[Mapping[str, float]] = {"D": 30.0, "W": 4.345, "M": 1.0, "h": 720.0}
"""Length of one month in each ``time_unit``: lifetimes' and pymc-marketing's convention.

The units are those of :func:`rfm_summary`; lifetimes' ``"H"`` is accepted for ``"h"``.
"""

_NAMES: Final = {"h": "hour", "D": "day", "W": "week", "M": "month"}
_UNIT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)?\s*(h|H|D|W|M)\s*$")
_GRAMMAR = "'h', 'D', 'W' or 'M', optionally after a positive multiplier ('7D')"


def _parse(time_unit: object, func: str) -> tuple[float, str]:
    match = _UNIT.match(time_unit) if isinstance(time_unit, str) else None
    multiplier = float(match.group(1)) if match and match.group(1) else 1.0
    if match is None or not (multiplier > 0 and math.isfinite(multiplier)):
        msg = f"The 'time_unit' parameter of {func} must be {_GRAMMAR}. Got {time_unit!r} instead."
        raise InvalidInputError(msg)
    code = "h" if match.group(2) == "H" else match.group(2)
    return multiplier, code


def normalise_time_unit(time_unit: object, func: str) -> str:
    """Return the canonical spelling of a time unit (``"H"`` -> ``"h"``, ``"1W"`` -> ``"W"``).

    Examples
    --------
    >>> [normalise_time_unit(unit, "f") for unit in ("1W", " 7D", "H")]
    ['W', '7D', 'h']
    >>> normalise_time_unit("weeks", "f")
    Traceback (most recent call last):
    ...
    retention_kpis.exceptions.InvalidInputError: The 'time_unit' parameter of f must be 'h', \
'D', 'W' or 'M', optionally after a positive multiplier ('7D'). Got 'weeks' instead.
    """
    multiplier, code = _parse(time_unit, func)
    return code if multiplier == 1.0 else f"{multiplier:g}{code}"


def units_per_month(time_unit: object, func: str) -> float:
    """Return how many ``time_unit`` make a month (30 days, 4.345 weeks, 720 hours).

    Examples
    --------
    >>> units_per_month("W", "f"), round(units_per_month("7D", "f"), 4)
    (4.345, 4.2857)
    """
    multiplier, code = _parse(time_unit, func)
    return TIME_UNITS_PER_MONTH[code] / multiplier


def describe_time_unit(time_unit: str | None) -> str:
    """Say in words what one time unit of a model is.

    Examples
    --------
    >>> describe_time_unit("W")
    '1 time unit = 1 week'
    >>> describe_time_unit("7D")
    '1 time unit = 7 days'
    >>> describe_time_unit(None)
    'time unit not recorded: t is in the time unit of the data the model was fitted to'
    """
    if time_unit is None:
        return "time unit not recorded: t is in the time unit of the data the model was fitted to"
    multiplier, code = _parse(time_unit, "describe_time_unit")
    name = _NAMES[code] + ("" if multiplier == 1.0 else "s")
    return f"1 time unit = {multiplier:g} {name}"


def resolve_time_unit(time_unit: object, recorded: str | None, func: str) -> str:
    """Return the time unit of a prediction: the given one, else the model's, else ``"D"``.

    A given unit that differs from the one the model recorded is refused: the
    model's rates are in its own unit, and reading them in another one is the
    silent factor-of-7 error this module exists to prevent.

    Examples
    --------
    >>> resolve_time_unit(None, "W", "f"), resolve_time_unit(None, None, "f")
    ('W', 'D')
    >>> resolve_time_unit("D", "W", "f")
    Traceback (most recent call last):
    ...
    retention_kpis.exceptions.InvalidInputError: The 'time_unit' parameter of f must be the \
model's time unit 'W' (1 time unit = 1 week) or None. Got 'D' instead.
    """
    if time_unit is None:
        return "D" if recorded is None else recorded
    unit = normalise_time_unit(time_unit, func)
    if recorded is not None and unit != recorded:
        msg = (
            f"The 'time_unit' parameter of {func} must be the model's time unit {recorded!r} "
            f"({describe_time_unit(recorded)}) or None. Got {time_unit!r} instead."
        )
        raise InvalidInputError(msg)
    return unit


def describe_horizon(t: object, time_unit: str | None) -> str:
    """Say in words how long a prediction window ``t`` (in model time units) is.

    Examples
    --------
    >>> describe_horizon(39, "W")
    't = 39 time units = 39 weeks'
    >>> describe_horizon(5, "7D")
    't = 5 time units = 35 days'
    >>> describe_horizon([1, 2], "M")
    't given per row, in time units of 1 month'
    """
    listed = list(t) if isinstance(t, (list, tuple)) else [t]
    values = [float(value) for value in listed if isinstance(value, (int, float))]
    if len(values) != len(listed):
        return "t given per row"
    if len(set(values)) != 1:
        where = "in time units of " + describe_time_unit(time_unit)[len("1 time unit = ") :]
        if time_unit is None:
            where = "in the time unit of the data the model was fitted to"
        return f"t given per row, {where}"
    length = values[0]
    if time_unit is None:
        return f"t = {length:g} time units of the data the model was fitted to (not recorded)"
    multiplier, code = _parse(time_unit, "describe_horizon")
    total = length * multiplier
    return f"t = {length:g} time units = {total:g} {_NAMES[code]}{'' if total == 1 else 's'}"
