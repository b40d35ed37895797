"""Input checks shared by every metric, with one message template.

The template follows scikit-learn's parameter validation:
``The 'visitors' parameter of conversion_rate must be >= 0. Got -3 instead.``
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from retention_kpis.exceptions import InvalidInputError, UndefinedKPIWarning

ZeroDivision: TypeAlias = Literal["warn"] | float
"""What a metric returns when its denominator is zero.

``"warn"`` (the default everywhere) returns ``nan`` and emits
:class:`~retention_kpis.exceptions.UndefinedKPIWarning`; a float is returned as
given, silently.
"""


class _Shown:
    """A value shown in a message by a short description instead of its repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _shown(value: object) -> object:
    """Return ``value``, or a stand-in when its repr would be huge (thousands of digits)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        magnitude = abs(int(value))
        if magnitude >= 10**30:
            return _Shown(
                f"an integer of about {int(magnitude.bit_length() * math.log10(2)) + 1} digits"
            )
    return value


def _fail(name: str, func: str, requirement: str, got: object) -> InvalidInputError:
    return InvalidInputError(
        f"The {name!r} parameter of {func} {requirement}. Got {_shown(got)!r} instead."
    )


def check_number(value: object, name: str, func: str) -> float:
    """Return ``value`` as a finite float, or raise naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(name, func, "must be a real number", value)
    try:
        as_float = float(value)
    except OverflowError:  # an integer beyond 1.8e308
        raise _fail(name, func, "must be finite", value) from None
    if not math.isfinite(as_float):
        raise _fail(name, func, "must be finite", value)
    return as_float


def check_confidence(value: object, func: str) -> float:
    """Return a confidence level in (0, 1) as float, else raise naming ``confidence``.

    Examples
    --------
    >>> check_confidence(0.95, "proportion_interval")
    0.95
    """
    level = check_number(value, "confidence", func)
    if not 0.0 < level < 1.0:
        raise _fail("confidence", func, "must be in (0, 1)", value)
    return level


def check_amount(value: object, name: str, func: str) -> float:
    """Return a finite, non-negative money amount (cost, revenue) as float."""
    as_float = check_number(value, name, func)
    if as_float < 0:
        raise _fail(name, func, "must be >= 0", value)
    return as_float


def check_positive(value: object, name: str, func: str) -> float:
    """Return a finite, strictly positive number as float."""
    as_float = check_number(value, name, func)
    if as_float <= 0:
        raise _fail(name, func, "must be > 0", value)
    return as_float


def check_fraction(value: object, name: str, func: str) -> float:
    """Return a finite number in [0, 1] as float."""
    as_float = check_number(value, name, func)
    if not 0.0 <= as_float <= 1.0:
        raise _fail(name, func, "must be in [0, 1]", value)
    return as_float


def check_count(value: object, name: str, func: str) -> int:
    """Return a non-negative whole count as int.

    Floats that hold whole numbers (``3.0``, as pandas gives after a groupby)
    are accepted; ``2.5``, ``nan``, ``inf`` and negatives are rejected.
    Integers (Python or numpy) are kept exact, not rounded through a float, so
    ``part <= whole`` is decided exactly above ``2**53``.

    Examples
    --------
    >>> check_count(2**53 + 1, "n", "f") - check_count(2**53, "n", "f")
    1
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        count = int(value)
        if count < 0:
            raise _fail(name, func, "must be >= 0", value)
        return count
    as_float = check_number(value, name, func)
    if not as_float.is_integer():
        raise _fail(name, func, "must be a whole number", value)
    if as_float < 0:
        raise _fail(name, func, "must be >= 0", value)
    return int(as_float)


def check_denominator_count(value: object, name: str, func: str, *, fractional: object) -> float:
    """Return a count: whole by default, any finite number ``>= 0`` with ``fractional=True``.

    Fractional counts are conversions credited by a multi-touch attribution model
    (a purchase split 0.5 / 0.5 between two channels).
    """
    if not isinstance(fractional, bool):
        raise _fail("fractional", func, "must be a bool", fractional)
    if fractional:
        return check_amount(value, name, func)
    return float(check_count(value, name, func))


def check_part_of_whole(part: int, whole: int, part_name: str, whole_name: str, func: str) -> None:
    """Raise when a part (conversions) exceeds its whole (visitors)."""
    if part > whole:
        msg = (
            f"The {part_name!r} parameter of {func} must be <= {whole_name!r} "
            f"({_shown(whole)!r}). Got {_shown(part)!r} instead."
        )
        raise InvalidInputError(msg)


def check_zero_division(value: object, func: str) -> ZeroDivision:
    """Validate a ``zero_division`` policy."""
    if value == "warn":
        return "warn"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail("zero_division", func, 'must be "warn" or a float', value)
    return float(value)


def divide(
    numerator: float,
    denominator: float,
    *,
    zero_division: ZeroDivision,
    kpi: str,
    denominator_name: str,
) -> float:
    """Divide, applying the library-wide zero-division policy.

    Parameters
    ----------
    numerator, denominator : float
        Already validated operands.
    zero_division : {"warn"} or float
        ``"warn"`` returns nan and emits :class:`UndefinedKPIWarning`;
        a float is returned silently.
    kpi, denominator_name : str
        Used in the warning message.

    Returns
    -------
    float
        ``numerator / denominator``, or the zero-division value.
    """
    if denominator == 0:
        if zero_division == "warn":
            warnings.warn(
                f"{kpi} is undefined because {denominator_name} is 0; returning nan. "
                "Pass zero_division=<value> to choose the result and silence this warning.",
                UndefinedKPIWarning,
                stacklevel=3,
            )
            return math.nan
        return float(zero_division)
    return numerator / denominator


def share_of(
    part: object,
    whole: object,
    *,
    part_name: str,
    whole_name: str,
    func: str,
    zero_division: object,
) -> float:
    """Validate two counts with ``0 <= part <= whole`` and return ``part / whole``.

    The one implementation of every "share of a count" KPI (conversion rate,
    churn rate, email open rate, ...): whole counts, the part within the whole,
    the zero-division policy, then the division.
    """
    part_ = check_count(part, part_name, func)
    whole_ = check_count(whole, whole_name, func)
    check_part_of_whole(part_, whole_, part_name, whole_name, func)
    policy = check_zero_division(zero_division, func)
    return divide(part_, whole_, zero_division=policy, kpi=func, denominator_name=whole_name)


def as_score_array(scores: object, name: str, func: str) -> npt.NDArray[np.float64]:
    """Return survey scores as a 1-D float array, rejecting nan, inf and non-numbers.

    Accepts lists, tuples, numpy arrays, pandas/polars Series and any iterable.
    """
    if isinstance(scores, (str, bytes)) or not (
        hasattr(scores, "__array__") or isinstance(scores, Iterable)
    ):
        raise _fail(name, func, "must be a 1-D sequence of numbers", type(scores).__name__)
    try:
        if hasattr(scores, "__array__"):
            array = np.asarray(scores)
        else:
            assert isinstance(scores, Iterable)
            array = np.asarray(list(scores))
    except (TypeError, ValueError) as exc:
        raise _fail(name, func, "must be a 1-D sequence of numbers", type(scores).__name__) from exc
    if array.ndim != 1:
        raise _fail(name, func, "must be 1-D", f"an array of shape {array.shape}")
    if np.issubdtype(array.dtype, np.complexfloating):
        bad = next((v for v in array.tolist() if v.imag != 0), array.tolist()[0])
        raise _fail(name, func, "must hold only real numbers (not complex)", bad)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.number) or array.size == 0):
        bad = next(
            (v for v in array.tolist() if isinstance(v, bool) or not isinstance(v, numbers.Real)),
            array.dtype,
        )
        raise _fail(name, func, "must hold only numbers", bad)
    values = array.astype(np.float64, copy=False)
    not_finite = ~np.isfinite(values)
    if not_finite.any():
        count = int(not_finite.sum())
        msg = (
            f"The {name!r} parameter of {func} must hold only finite numbers. "
            f"Got {count} nan or inf value{'s' if count != 1 else ''} instead."
        )
        raise InvalidInputError(msg)
    return values


def check_scores_in_range(
    values: npt.NDArray[np.float64],
    low: float,
    high: float,
    name: str,
    func: str,
    *,
    integer: bool,
) -> None:
    """Raise when survey scores fall outside ``[low, high]`` or are not whole."""
    outside = (values < low) | (values > high)
    if outside.any():
        count = int(outside.sum())
        first = values[outside][0]
        msg = (
            f"The {name!r} parameter of {func} must hold scores in [{low:g}, {high:g}]. "
            f"Got {count} value{'s' if count != 1 else ''} outside it (first: {first:g}) instead."
        )
        raise InvalidInputError(msg)
    if integer:
        fractional = values != np.round(values)
        if fractional.any():
            count = int(fractional.sum())
            first = values[fractional][0]
            msg = (
                f"The {name!r} parameter of {func} must hold whole-number scores. "
                f"Got {count} non-integer value{'s' if count != 1 else ''} "
                f"(first: {first:g}) instead."
            )
            raise InvalidInputError(msg)


def check_scale(scale: object, name: str, func: str) -> tuple[int, int]:
    """Return a survey scale ``(low, high)`` of whole numbers with ``low < high``.

    Used by the survey metrics (CSAT, CES) whose answers lie on a Likert scale.
    """
    requirement = "must be a (low, high) pair of whole numbers with low < high"
    if not isinstance(scale, (tuple, list)) or len(scale) != 2:
        raise _fail(name, func, requirement, scale)
    for end in scale:
        if (
            isinstance(end, bool)
            or not isinstance(end, numbers.Real)
            or not math.isfinite(float(end))
            or not float(end).is_integer()
        ):
            raise _fail(name, func, requirement, scale)
    low, high = int(scale[0]), int(scale[1])
    if low >= high:
        raise _fail(name, func, requirement, scale)
    return low, high


def check_choice(value: object, name: str, func: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise listing them.

    Examples
    --------
    >>> check_choice("rolling", "window", "cohort_retention", ("calendar", "rolling"))
    'rolling'
    """
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(choice) for choice in options)
        raise _fail(name, func, f"must be one of {listed}", value)
    return value


def check_flag(value: object, name: str, func: str) -> bool:
    """Return ``value`` if it is True or False (not 0/1 or a string), else raise."""
    if not isinstance(value, bool):
        raise _fail(name, func, "must be True or False", value)
    return value


def check_columns(value: object, name: str, func: str) -> tuple[str, ...]:
    """Return ``by``-like column names as a tuple (None is empty), else raise.

    Examples
    --------
    >>> check_columns("channel", "by", "funnel"), check_columns(None, "by", "funnel")
    (('channel',), ())
    """
    if value is None:
        return ()
    if isinstance(value, str) and value:
        return (value,)
    if (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and all(isinstance(v, str) and v for v in value)
    ):
        names = tuple(value)
        if len(set(names)) == len(names):
            return names
    raise _fail(name, func, "must be a column name or a sequence of distinct column names", value)


def check_name(value: object, name: str, func: str) -> str:
    """Return a non-empty string (an event type or channel name), else raise."""
    if not isinstance(value, str) or not value:
        raise _fail(name, func, "must be a non-empty string", value)
    return value


def check_top_fraction(value: object, func: str) -> float:
    """Return a ``top_fraction`` in (0, 1], else raise.

    Examples
    --------
    >>> check_top_fraction(0.2, "pareto_share")
    0.2
    """
    fraction = check_fraction(value, "top_fraction", func)
    if fraction == 0:
        raise _fail("top_fraction", func, "must be in (0, 1]", value)
    return fraction
