"""Exact Shapley-value attribution over channel coalitions.

The characteristic function is the "simplified Shapley" one of Zhao, Mahboobi &
Bagheri (2018), "Shapley Value Methods for Attribution Modeling in Online
Advertising" (arXiv:1804.05327): the value of a coalition ``S`` of channels is
the number of conversions (or their revenue) whose path's *set* of channels is a
subset of ``S``,

``v(S) = sum over T subset of S of R(T)``,

where ``R(T)`` counts the conversions whose path touched exactly the channels
``T`` (order and repeats ignored). Channel ``j`` receives its Shapley value

``phi_j = sum over S not containing j of |S|! (n - |S| - 1)! / n! * (v(S + j) - v(S))``.

Coalitions are bitmasks over the ``n`` channels: ``R`` is a histogram of path
bitmasks, ``v`` its subset-sum (zeta) transform in ``n`` vectorised passes, and
``phi`` one vectorised sum per channel, so the cost is ``O(n 2^n)`` time and
``O(2^n)`` memory. Because ``v`` is monotone, every ``phi_j >= 0``, and they sum
to ``v(all channels)``, the conversions of non-empty paths (efficiency).
The game is a sum of unanimity games, so ``phi_j = sum over T containing j of
R(T) / |T|`` (Zhao et al. 2018, simplified formula); the tests check the
coalition computation against that identity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from retention_kpis._core.checks import check_amount
from retention_kpis.attribution._paths import FloatArray, IntArray
from retention_kpis.exceptions import InvalidInputError

__all__ = ["MAX_SHAPLEY_CHANNELS", "coalition_values", "shapley_from_values", "shapley_values"]

MAX_SHAPLEY_CHANNELS = 20
"""Most channels (per segment and period) the exact computation accepts: ``2**20``
coalitions take 8 MB per value vector and well under a second."""


def coalition_values(masks: IntArray, weights: FloatArray, n_channels: int) -> FloatArray:
    """Return ``v(S)`` for every coalition bitmask ``S``: the weight of paths within ``S``.

    Examples
    --------
    >>> import numpy as np
    >>> coalition_values(np.array([0b01, 0b11]), np.array([1.0, 1.0]), 2).tolist()
    [0.0, 1.0, 0.0, 2.0]
    """
    values = np.bincount(masks, weights=weights, minlength=1 << n_channels).astype(np.float64)
    for bit in range(n_channels):
        view = values.reshape(-1, 2, 1 << bit)
        view[:, 1, :] += view[:, 0, :]
    return values


def shapley_from_values(values: FloatArray, n_channels: int) -> FloatArray:
    """Return the Shapley value of each channel of the game ``values[S]``.

    Examples
    --------
    >>> import numpy as np
    >>> shapley_from_values(np.array([0.0, 1.0, 0.0, 2.0]), 2).tolist()
    [1.5, 0.5]
    """
    if n_channels == 0:
        return np.zeros(0)
    every = np.arange(1 << n_channels, dtype=np.int64)
    sizes = np.zeros(every.size, dtype=np.int64)
    for bit in range(n_channels):
        sizes += (every >> bit) & 1
    weight = np.array(
        [1.0 / (n_channels * math.comb(n_channels - 1, size)) for size in range(n_channels)]
    )
    phi = np.zeros(n_channels)
    for bit in range(n_channels):
        value = values.reshape(-1, 2, 1 << bit)
        size = sizes.reshape(-1, 2, 1 << bit)[:, 0, :]
        phi[bit] = float(np.sum(weight[size] * (value[:, 1, :] - value[:, 0, :])))
    return phi


def check_channel_count(n_channels: int, where: str) -> None:
    """Raise when there are more channels than the exact computation accepts."""
    if n_channels > MAX_SHAPLEY_CHANNELS:
        msg = (
            f"The shapley model is exact for at most {MAX_SHAPLEY_CHANNELS} channels{where}. "
            f"Got {n_channels} channels instead (2**{n_channels} coalitions).\n"
            "Hint: group rare channels into one before attributing, or use model='markov'."
        )
        raise InvalidInputError(msg)


def shapley_values(conversions: Mapping[Iterable[str], float]) -> dict[str, float]:
    """Exact simplified Shapley value of each channel (Zhao et al. 2018).

    Parameters
    ----------
    conversions : mapping of iterable of str to float
        The channels of each converting path (any order; repeats ignored) and
        how many conversions (or how much revenue) followed it.

    Returns
    -------
    dict of str to float
        Shapley value per channel, sorted by channel; values are >= 0 and sum
        to the total of ``conversions``.

    Raises
    ------
    InvalidInputError
        If a path is empty, a weight negative, or there are more than
        :data:`MAX_SHAPLEY_CHANNELS` channels.

    Examples
    --------
    Conversions after ``A > B > C`` (one) and ``A`` (one): ``A`` gets
    ``1/3 + 1``, ``B`` and ``C`` get ``1/3`` each.

    >>> shapley_values({("A", "B", "C"): 1, ("A",): 1})
    {'A': 1.333, 'B': 0.333, 'C': 0.333}
    """
    func = "shapley_values"
    sets: dict[frozenset[str], float] = {}
    for path, weight in conversions.items():
        channels = frozenset(path) if not isinstance(path, str) else frozenset()
        if not channels or not all(isinstance(c, str) for c in channels):
            msg = (
                f"The 'conversions' parameter of {func} must map non-empty collections of "
                f"channel names to weights. Got the path {path!r} instead."
            )
            raise InvalidInputError(msg)
        sets[channels] = sets.get(channels, 0.0) + check_amount(weight, "conversions", func)
    names = sorted(set().union(*sets)) if sets else []
    check_channel_count(len(names), "")
    by_mask = sorted((sum(1 << names.index(c) for c in s), w) for s, w in sets.items())
    masks = np.array([mask for mask, _ in by_mask], dtype=np.int64)
    weights = np.array([weight for _, weight in by_mask], dtype=np.float64)
    values = coalition_values(masks, weights, len(names))
    phi = shapley_from_values(values, len(names))
    return {name: float(value) for name, value in zip(names, phi, strict=True)}
