"""Multiple comparisons: the Benjamini-Hochberg step-up adjustment of p-values."""

from __future__ import annotations

import numpy as np

from retention_kpis._core.arrays import as_float_array
from retention_kpis.exceptions import InvalidInputError

__all__ = ["benjamini_hochberg"]


def benjamini_hochberg(p_values: object) -> list[float]:
    r"""Benjamini-Hochberg adjusted p-values (false discovery rate; Benjamini & Hochberg 1995).

    With the ``m`` p-values sorted, ``p_(1) <= ... <= p_(m)``:

    .. math::

        \tilde p_{(i)} = \min\left(1, \min_{j \ge i} \frac{m}{j} p_{(j)}\right)

    Rejecting where ``adjusted <= q`` keeps the expected share of false discoveries
    at most ``q`` for independent (or positively dependent) tests. nan p-values
    (undefined comparisons) stay nan and do not count in ``m``.

    Parameters
    ----------
    p_values : array-like of float
        P-values in [0, 1] (nan allowed), in any order.

    Returns
    -------
    list of float
        Adjusted p-values, in the input order.

    Raises
    ------
    InvalidInputError
        If a p-value is outside [0, 1] or infinite.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    [0.04, 0.05333333333333334, 0.05333333333333334, 0.2]
    """
    func = "benjamini_hochberg"
    values = np.atleast_1d(np.asarray(p_values, dtype=np.float64)) if p_values is not None else None
    if values is None or values.ndim != 1:
        msg = f"The 'p_values' parameter of {func} must be a 1-D sequence of numbers."
        raise InvalidInputError(msg)
    defined = ~np.isnan(values)
    checked = as_float_array(values[defined], f"The 'p_values' parameter of {func}")
    if (checked > 1).any():
        msg = (
            f"The 'p_values' parameter of {func} must hold values in [0, 1]. "
            f"Got {int((checked > 1).sum())} above 1 instead."
        )
        raise InvalidInputError(msg)
    m = checked.size
    adjusted = np.full(values.shape, np.nan)
    if m:
        order = np.argsort(checked, kind="stable")
        scaled = checked[order] * m / np.arange(1, m + 1)
        stepped = np.minimum.accumulate(scaled[::-1])[::-1]
        out = np.empty(m)
        out[order] = np.minimum(stepped, 1.0)
        adjusted[defined] = out
    return [float(value) for value in adjusted]
