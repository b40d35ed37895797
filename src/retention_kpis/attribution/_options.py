"""Options of the attribution models: model names, durations and position weights.

Every check raises :class:`~retention_kpis.exceptions.InvalidInputError` with the
library's message template (``The 'lookback' parameter of attribute must be ...``).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Sequence
from typing import Literal, TypeAlias

from retention_kpis._validation import check_number
from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "MODELS",
    "Duration",
    "Model",
    "check_model",
    "check_position_weights",
    "duration_seconds",
]

Model: TypeAlias = Literal[
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
]
"""Name of an attribution model."""

MODELS: tuple[Model, ...] = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "markov",
    "shapley",
)

Duration: TypeAlias = str | dt.timedelta
"""A duration: a :class:`datetime.timedelta` (pandas ``Timedelta`` included) or a
string ``"<number><unit>"`` with unit ``W``, ``D``, ``h``, ``min`` or ``s``."""

_UNITS = {"W": 604_800.0, "D": 86_400.0, "h": 3_600.0, "min": 60.0, "s": 1.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(W|D|h|min|s)\s*$")


def _fail(name: str, func: str, requirement: str, got: object) -> InvalidInputError:
    return InvalidInputError(
        f"The {name!r} parameter of {func} {requirement}. Got {got!r} instead."
    )


def check_model(model: object, func: str) -> Model:
    """Return ``model`` if it names a model, else raise listing the names.

    Examples
    --------
    >>> check_model("markov", "attribute")
    'markov'
    """
    for name in MODELS:
        if model == name:
            return name
    raise _fail("model", func, f"must be one of {list(MODELS)}", model)


def duration_seconds(value: object, name: str, func: str) -> float:
    """Return a strictly positive duration in seconds.

    Parameters
    ----------
    value : str or datetime.timedelta
        ``"30D"``, ``"12h"``, ``"90min"``, ``"45s"``, ``"2W"`` or a timedelta.
    name, func : str
        Parameter and function named in the error message.

    Returns
    -------
    float
        Seconds, ``> 0``.

    Raises
    ------
    InvalidInputError
        If the value is not a duration or is not positive.

    Examples
    --------
    >>> duration_seconds("30D", "lookback", "attribute")
    2592000.0
    >>> import datetime as dt
    >>> duration_seconds(dt.timedelta(hours=12), "half_life", "attribute")
    43200.0
    """
    requirement = (
        "must be a positive duration: a timedelta or a string like '30D', '12h', '90min', '45s'"
    )
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise _fail(name, func, requirement, value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise _fail(name, func, "must be > 0", value)
    return seconds


def check_position_weights(value: object, func: str) -> tuple[float, float, float]:
    """Return ``(first, middle, last)`` shares: three numbers >= 0 summing to 1.

    The sum is checked to 1e-9, so ``(0.4, 0.2, 0.4)`` passes despite rounding.

    Examples
    --------
    >>> check_position_weights((0.4, 0.2, 0.4), "attribute")
    (0.4, 0.2, 0.4)
    """
    requirement = "must be three numbers (first, middle, last) >= 0 summing to 1"
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 3:
        raise _fail("position_weights", func, requirement, value)
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        raise _fail("position_weights", func, requirement, value)
    first, middle, last = (check_number(v, "position_weights", func) for v in value)
    if min(first, middle, last) < 0 or abs(first + middle + last - 1.0) > 1e-9:
        raise _fail("position_weights", func, requirement, value)
    return first, middle, last
