"""Rule-based attribution: first, last, last non-direct, linear, time-decay, position-based.

Each rule gives every touch of a conversion path a weight; weights of one path
are >= 0 and sum to 1. With ``k`` touches ``c_1, ..., c_k`` (oldest first):

* ``first_touch``: ``c_1`` gets 1;
* ``last_touch``: ``c_k`` gets 1;
* ``last_non_direct``: the last touch whose channel is not ``direct_channel`` gets 1;
  if every touch is direct, ``c_k`` gets 1;
* ``linear``: each touch gets ``1 / k``;
* ``time_decay``: touch ``i`` gets ``2 ** (-age_i / half_life)`` normalised over the
  path, ``age_i`` being the time from the touch to the conversion (the weights are
  computed relative to the most recent touch, which changes nothing after
  normalisation but keeps them from underflowing to 0);
* ``position_based`` with weights ``(f, m, l)``: ``c_1`` gets ``f``, ``c_k`` gets
  ``l`` and the ``k - 2`` middle touches share ``m`` equally; with one touch it
  gets 1; with two touches the middle share is split equally between them
  (``f + m/2`` and ``l + m/2``, so 0.5 each with the default 40/20/40).

A channel touched several times in a path receives the sum of its touches' weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np

from retention_kpis._core.checks import check_number
from retention_kpis._core.durations import Duration, parse_duration
from retention_kpis.attribution._options import (
    check_position_weights,
)
from retention_kpis.attribution._paths import FloatArray, IntArray, expand
from retention_kpis.exceptions import InvalidInputError

__all__ = ["RULE_MODELS", "RuleModel", "path_credit", "position_based_weights", "rule_weights"]

RuleModel: TypeAlias = Literal[
    "first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based"
]
RULE_MODELS: tuple[RuleModel, ...] = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
)


def rule_weights(
    lo: IntArray,
    hi: IntArray,
    touch_channel: IntArray,
    touch_time: IntArray,
    *,
    model: RuleModel,
    direct_code: int | None,
    half_life_us: float,
    position_weights: tuple[float, float, float],
) -> tuple[IntArray, IntArray, FloatArray]:
    """Weight every touch of the paths ``[lo, hi)`` by a rule.

    Touch arrays must be sorted by time within each path. Returns the path
    number and the touch index of every touch, and its weight; the weights of
    each non-empty path sum to 1 (up to rounding).
    """
    path, position, index = expand(lo, hi)
    length = (hi - lo)[path]
    if model == "first_touch":
        weight = (position == 0).astype(np.float64)
    elif model == "last_touch":
        weight = (position == length - 1).astype(np.float64)
    elif model == "linear":
        weight = 1.0 / length.astype(np.float64)
    elif model == "last_non_direct":
        weight = _last_non_direct(
            lo, hi, touch_channel, direct_code=direct_code, path=path, index=index
        )
    elif model == "time_decay":
        newest = touch_time[hi[path] - 1]  # every listed touch's path is non-empty
        raw = np.exp2(-(newest - touch_time[index]).astype(np.float64) / half_life_us)
        total = np.bincount(path, weights=raw, minlength=lo.size)
        weight = raw / total[path]
    else:
        weight = position_based_weights(position, length, position_weights)
    return path, index, weight


def _last_non_direct(
    lo: IntArray,
    hi: IntArray,
    touch_channel: IntArray,
    *,
    direct_code: int | None,
    path: IntArray,
    index: IntArray,
) -> FloatArray:
    every = np.arange(touch_channel.size, dtype=np.int64)
    non_direct = (
        touch_channel != direct_code if direct_code is not None else np.ones_like(every, bool)
    )
    latest: IntArray = np.maximum.accumulate(np.where(non_direct, every, -1)).astype(np.int64)
    last = np.maximum(hi - 1, 0)
    chosen = latest[last] if latest.size else last
    chosen = np.where(chosen >= lo, chosen, hi - 1)
    weight: FloatArray = (index == chosen[path]).astype(np.float64)
    return weight


def position_based_weights(
    position: IntArray, length: IntArray, weights: tuple[float, float, float]
) -> FloatArray:
    """Position-based weight of the touch at 0-based ``position`` of a path of ``length``.

    Examples
    --------
    >>> import numpy as np
    >>> position_based_weights(np.array([0, 1, 2]), np.array([3, 3, 3]), (0.4, 0.2, 0.4)).tolist()
    [0.4, 0.2, 0.4]
    """
    first, middle, last = weights
    middle_each = middle / np.maximum(length - 2, 1).astype(np.float64)
    weight = np.where(position == 0, first, np.where(position == length - 1, last, middle_each))
    weight = np.where(length == 2, np.where(position == 0, first, last) + middle / 2, weight)
    result: FloatArray = np.where(length == 1, 1.0, weight).astype(np.float64)
    return result


def path_credit(
    path: Sequence[str],
    *,
    model: RuleModel = "linear",
    ages: Sequence[float] | None = None,
    direct_channel: str = "direct",
    half_life: Duration = "7D",
    position_weights: tuple[float, float, float] = (0.4, 0.2, 0.4),
) -> dict[str, float]:
    """Share of one conversion credited to each channel of its path by a rule.

    Parameters
    ----------
    path : sequence of str
        Channels of the touches, oldest first (at least one).
    model : {"first_touch", "last_touch", "last_non_direct", "linear", "time_decay", \
"position_based"}, default="linear"
        The rule (see the module docstring).
    ages : sequence of float, optional
        Seconds from each touch to the conversion (>= 0); needed by ``"time_decay"``.
    direct_channel : str, default="direct"
        Channel skipped by ``"last_non_direct"``.
    half_life : str or datetime.timedelta, default="7D"
        Half-life of ``"time_decay"`` weights.
    position_weights : (float, float, float), default=(0.4, 0.2, 0.4)
        First, middle and last shares of ``"position_based"``.

    Returns
    -------
    dict of str to float
        Channel to share, sorted by channel; shares are >= 0 and sum to 1.

    Raises
    ------
    InvalidInputError
        If the path is empty, the model unknown, ages missing or not matching
        the path, or an option invalid.

    Examples
    --------
    >>> path_credit(["A", "B", "C"], model="position_based")
    {'A': 0.4, 'B': 0.2, 'C': 0.4}
    >>> path_credit(["email", "direct"], model="last_non_direct")
    {'direct': 0.0, 'email': 1.0}
    >>> path_credit(["A", "B"], model="time_decay", ages=[86_400.0 * 7, 0.0])
    {'A': 0.333, 'B': 0.667}
    """
    func = "path_credit"
    if model not in RULE_MODELS:
        msg = (
            f"The 'model' parameter of {func} must be one of {list(RULE_MODELS)}. "
            f"Got {model!r} instead."
        )
        raise InvalidInputError(msg)
    if isinstance(path, str) or not path or not all(isinstance(c, str) for c in path):
        msg = (
            f"The 'path' parameter of {func} must be a non-empty sequence of channel names. "
            f"Got {path!r} instead."
        )
        raise InvalidInputError(msg)
    weights = check_position_weights(position_weights, func)
    half_life_us = parse_duration(half_life, "half_life", func) * 1e6
    if ages is None:
        if model == "time_decay":
            msg = (
                f"The 'ages' parameter of {func} is needed by model='time_decay'. Got None instead."
            )
            raise InvalidInputError(msg)
        ages = [0.0] * len(path)
    seconds = [check_number(age, "ages", func) for age in ages]
    if len(seconds) != len(path) or min(seconds) < 0:
        msg = (
            f"The 'ages' parameter of {func} must hold one number >= 0 per touch of 'path'. "
            f"Got {ages!r} instead."
        )
        raise InvalidInputError(msg)
    names = sorted(set(path))
    codes = np.array([names.index(channel) for channel in path], dtype=np.int64)
    times = np.array([round(-age * 1e6) for age in seconds], dtype=np.int64)
    _, index, weight = rule_weights(
        np.array([0]),
        np.array([len(path)]),
        codes,
        times,
        model=model,
        direct_code=names.index(direct_channel) if direct_channel in names else None,
        half_life_us=half_life_us,
        position_weights=weights,
    )
    credit = np.bincount(codes[index], weights=weight, minlength=len(names))
    return {name: float(share) for name, share in zip(names, credit, strict=True)}
