"""Option checks shared by the interval functions (the library's message template)."""

from __future__ import annotations

from retention_kpis._core.checks import check_choice, check_number
from retention_kpis.exceptions import InvalidInputError

__all__ = ["check_confidence", "check_method", "normal_quantile"]


def check_confidence(value: object, func: str) -> float:
    """Return a confidence level in (0, 1) as float, else raise naming ``confidence``."""
    level = check_number(value, "confidence", func)
    if not 0.0 < level < 1.0:
        msg = f"The 'confidence' parameter of {func} must be in (0, 1). Got {value!r} instead."
        raise InvalidInputError(msg)
    return level


def check_method(value: object, func: str, choices: tuple[str, ...]) -> str:
    """Return an interval method if it is one of ``choices``, else raise listing them."""
    return check_choice(value, "method", func, choices)


def normal_quantile(confidence: float) -> float:
    """Two-sided standard normal quantile ``z`` with ``P(|Z| <= z) = confidence``."""
    from scipy.special import ndtri  # noqa: PLC0415 - scipy loads only when an interval is asked for

    return float(ndtri(0.5 + confidence / 2.0))
