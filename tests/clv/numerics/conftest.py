"""Helpers shared by the 50-digit mpmath reference tests of the CLV models.

``assert_close`` compares a float with a 50-digit reference (1e-8 relative; values
below 1e-295 must come back below 1e-290). ``clv_reference`` is the discounted CLV
every model's CLV test checks: 12 months of 4.345 weeks discounted 1 % a month, the
customer's expected spend from Gamma-Gamma (Fader, Hardie & Lee 2005, eq. 5, with
p, q, v = 6.25, 3.74, 15.44 and a mean spend of 22.35 for repeat buyers) times the
expected purchases in each month, from a model's cumulative ``E[X(t) | history]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath as mp
import pytest

from retention_kpis.clv import GammaGammaModel

mp.mp.dps = 50
TINY = mp.mpf(10) ** -295
SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}
MEAN_SPEND = 22.35


def _assert_close(got: float, expected: mp.mpf, rel: float = 1e-8) -> None:
    assert math.isfinite(got)
    if abs(expected) < TINY:
        assert abs(got) < 1e-290
    else:
        assert abs(mp.mpf(got) - expected) <= rel * abs(expected), (got, expected)


@pytest.fixture
def assert_close() -> Callable[..., None]:
    return _assert_close


class CLVReference:
    """The discounted-CLV reference and the inputs ``customer_lifetime_value`` gets."""

    spend_model = GammaGammaModel.from_params(**SPEND)

    @staticmethod
    def summary(x: int, t_x: float, T: float) -> dict[str, list[Any]]:
        return {
            "frequency": [x],
            "recency": [t_x],
            "T": [T],
            "monetary_value": [MEAN_SPEND if x else 0.0],
        }

    @staticmethod
    def expected(x: int, cumulative: Callable[[mp.mpf], mp.mpf]) -> mp.mpf:
        p, q, v = (mp.mpf(SPEND[name]) for name in ("p", "q", "v"))
        zbar = mp.mpf(MEAN_SPEND)
        spend = p * (v + x * zbar) / (p * x + q - 1) if x else p * v / (q - 1)
        month = mp.mpf("4.345")
        return mp.fsum(
            (cumulative(i * month) - cumulative((i - 1) * month)) * spend / mp.mpf("1.01") ** i
            for i in range(1, 13)
        )


@pytest.fixture
def clv_reference() -> type[CLVReference]:
    return CLVReference
