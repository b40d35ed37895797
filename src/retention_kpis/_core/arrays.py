"""Numeric arrays from user input: one float array check shared by the models and plots."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from retention_kpis.exceptions import InvalidInputError

__all__ = ["FloatArray", "as_float_array"]

FloatArray = npt.NDArray[np.float64]
"""A one-dimensional array of float64."""


def as_float_array(values: object, name: str, *, allow_negative: bool = False) -> FloatArray:
    """Return ``values`` as a 1-D float array, rejecting nan, inf and negatives.

    Scalars become arrays of length one. pandas/polars Series are accepted.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name} must be numeric; could not convert it to floats ({exc})."
        raise InvalidInputError(msg) from exc
    array = np.atleast_1d(array)
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional; got shape {array.shape}."
        raise InvalidInputError(msg)
    bad = ~np.isfinite(array)
    if bad.any():
        msg = f"{name} must be finite; {int(bad.sum())} value(s) are nan or inf."
        raise InvalidInputError(msg)
    if not allow_negative:
        negative = array < 0
        if negative.any():
            msg = f"{name} must be >= 0; {int(negative.sum())} value(s) are negative."
            raise InvalidInputError(msg)
    return array
