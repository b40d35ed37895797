"""The one duration grammar of every duration option.

``within``, ``session_gap`` (funnels), ``click_window`` (engagement),
``lookback`` and ``half_life`` (attribution) all accept the same values: a
:class:`datetime.timedelta` (pandas ``Timedelta`` included) or a string
``"<number><unit>"`` with unit ``s``, ``min``, ``h``, ``D`` or ``W``
(``"7D"``, ``"1.5h"``, ``"30min"``). One message names every problem.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import TypeAlias

from retention_kpis.exceptions import InvalidInputError

__all__ = ["Duration", "parse_duration"]

Duration: TypeAlias = str | dt.timedelta
"""A duration: a :class:`datetime.timedelta` (pandas ``Timedelta`` included) or a
string ``"<number><unit>"`` with unit ``W``, ``D``, ``h``, ``min`` or ``s``."""

_UNITS = {"W": 604_800, "D": 86_400, "h": 3_600, "min": 60, "s": 1}
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(W|D|h|min|s)\s*$")
_GRAMMAR = "a timedelta or a string such as '7D', '1.5h', '30min', '45s' (units s, min, h, D, W)"


def parse_duration(value: object, name: str, func: str, *, whole_seconds: bool = False) -> float:
    """Return a positive, finite duration in seconds.

    Parameters
    ----------
    value : str or datetime.timedelta
        ``"30D"``, ``"1.5h"``, ``"90min"``, ``"45s"``, ``"2W"`` or a timedelta.
    name, func : str
        Parameter and function named in the error message.
    whole_seconds : bool, default=False
        Also require a whole number of seconds (options of computations that
        count time in whole seconds).

    Returns
    -------
    float
        Seconds, ``> 0``.

    Raises
    ------
    InvalidInputError
        If the value is not a duration, is not positive, or (``whole_seconds``)
        is not a whole number of seconds.

    Examples
    --------
    >>> parse_duration("7D", "within", "funnel"), parse_duration("1.5h", "lookback", "attribute")
    (604800.0, 5400.0)
    >>> import datetime as dt
    >>> parse_duration(dt.timedelta(minutes=30), "session_gap", "funnel")
    1800.0
    """
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        msg = f"The {name!r} parameter of {func} must be {_GRAMMAR}. Got {value!r} instead."
        raise InvalidInputError(msg)
    if not math.isfinite(seconds) or seconds <= 0:
        msg = (
            f"The {name!r} parameter of {func} must be a positive duration. Got {value!r} instead."
        )
        raise InvalidInputError(msg)
    if whole_seconds and not seconds.is_integer():
        msg = (
            f"The {name!r} parameter of {func} must be a whole number of seconds. "
            f"Got {value!r} instead."
        )
        raise InvalidInputError(msg)
    return seconds
