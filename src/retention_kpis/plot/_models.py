"""What the CLV plots need of a model: small protocols and the shared argument checks."""

from __future__ import annotations

from typing import Protocol

import numpy.typing as npt

from retention_kpis._core.arrays import FloatArray
from retention_kpis.clv import ProbabilityModel
from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "AliveModel",
    "NewCustomerModel",
    "PurchaseCountModel",
    "PurchaseModel",
    "SurvivalModel",
    "check_model",
    "check_unit",
]


class PurchaseModel(Protocol):
    """A model predicting a customer's purchases in the next ``t`` (BG/NBD, Pareto/NBD)."""

    def expected_purchases(
        self, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray, /
    ) -> npt.ArrayLike:
        """Return the expected purchases in ``(T, T + t]`` given the history."""


class AliveModel(Protocol):
    """A model giving the probability that a customer is still alive."""

    def probability_alive(
        self, frequency: FloatArray, recency: FloatArray, T: FloatArray, /
    ) -> npt.ArrayLike:
        """P(alive at T) given the customer's history."""


class NewCustomerModel(Protocol):
    """A model giving a new customer's expected repeat purchases in ``(0, t]``."""

    def expected_purchases_new_customer(self, t: FloatArray, /) -> npt.ArrayLike:
        """E[X(t)] for a customer acquired at 0."""


class PurchaseCountModel(Protocol):
    """A model giving ``P(X(t) = n)``, a new customer's number of repeat purchases."""

    def probability_of_purchases(self, n: FloatArray, t: FloatArray, /) -> npt.ArrayLike:
        """P(X(t) = n)."""


class SurvivalModel(Protocol):
    """A contractual model with a survival curve (sBG)."""

    def survival(self, t: FloatArray, /) -> npt.ArrayLike:
        """Share of a cohort still active at ``t``."""


def check_model(model: object, method: str, func: str, name: str = "model") -> None:
    """Raise unless ``model`` has ``method``; a ProbabilityModel must be fitted."""
    if not callable(getattr(model, method, None)):
        msg = (
            f"The {name!r} parameter of {func} must have a {method}() method. "
            f"Got {type(model).__name__} instead."
        )
        raise InvalidInputError(msg)
    if isinstance(model, ProbabilityModel):
        _ = model.params  # raises NotFittedError


def check_unit(unit: object, func: str) -> str:
    """Return the model's time unit (singular, e.g. ``"week"``), else raise."""
    if not isinstance(unit, str) or not unit.strip():
        msg = (
            f"The 'unit' parameter of {func} must be a non-empty str naming the model's "
            f"time unit, singular (e.g. 'week'). Got {unit!r} instead."
        )
        raise InvalidInputError(msg)
    return unit.strip()
