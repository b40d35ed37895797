"""Options of the attribution models: model names and position weights.

Durations (``lookback``, ``half_life``) use the one grammar of
:func:`retention_kpis._core.durations.parse_duration`.

Every check raises :class:`~retention_kpis.exceptions.InvalidInputError` with the
library's message template (``The 'lookback' parameter of attribute must be ...``).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Literal, TypeAlias

from retention_kpis._core.checks import check_number
from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "MODELS",
    "Model",
    "check_model",
    "check_position_weights",
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
"""Every attribution model name, in the order the docs present them."""


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
