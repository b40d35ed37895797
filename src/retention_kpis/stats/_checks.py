"""Option checks shared by the interval functions (the library's message template)."""

from __future__ import annotations

import functools

from retention_kpis._core.checks import check_choice, check_confidence

__all__ = ["check_confidence", "check_method", "normal_quantile"]


def check_method(value: object, func: str, choices: tuple[str, ...]) -> str:
    """Return an interval method if it is one of ``choices``, else raise listing them."""
    return check_choice(value, "method", func, choices)


@functools.lru_cache(maxsize=64)
def normal_quantile(confidence: float) -> float:
    """Two-sided standard normal quantile ``z`` with ``P(|Z| <= z) = confidence``."""
    from scipy.special import ndtri  # noqa: PLC0415 - scipy loads only when an interval is asked for

    return float(ndtri(0.5 + confidence / 2.0))
