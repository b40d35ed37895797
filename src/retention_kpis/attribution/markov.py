"""First-order Markov-chain attribution, solved exactly (no simulation).

States are ``start``, one state per channel, and the absorbing ``conversion``
and ``null``. Every converting path ``c_1, ..., c_k`` adds the transitions
``start -> c_1 -> ... -> c_k -> conversion``; every non-converting journey the
same ending in ``null``. Transition probabilities are the counts divided by
their row totals (Anderl, Becker, von Wangenheim & Schumann 2016, "Mapping the
customer journey: Lessons learned from graph-based online attribution modeling",
International Journal of Research in Marketing 33(3)).

``P(conversion)`` is the probability of absorption in ``conversion`` from
``start``: with ``Q`` the transitions among transient states (start and
channels) and ``b`` the one-step probabilities of converting, the absorption
probabilities ``x`` solve ``(I - Q) x = b`` (the fundamental matrix
``N = (I - Q)^-1`` gives ``x = N b``). Removing channel ``c`` sends every
transition into ``c`` to ``null`` (column ``c`` of ``Q`` set to 0). The removal
effect is ``RE_c = 1 - P(conversion | c removed) / P(conversion)`` and channel
``c`` receives the share ``RE_c / sum(RE)`` of the conversions and of the revenue.

One inverse gives every removal effect: a journey from ``start`` either never
meets ``c`` (it converts the same with ``c`` removed) or meets it, with
probability ``h_c``, and then converts with probability ``x_c`` (strong Markov
property), so ``P(conversion | c removed) = x_start - h_c x_c`` and
``RE_c = h_c x_c / x_start``. The expected visits to ``c`` from ``start`` are
``N[start, c] = h_c N[c, c]``, which gives ``h_c``. This replaces one linear
solve per channel (``O(n^4)``: 400 channels took 4 minutes) by one inversion
(``O(n^3)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from retention_kpis._core.checks import check_amount
from retention_kpis.attribution._paths import BoolArray, FloatArray, IntArray, expand
from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "MAX_MARKOV_CHANNELS",
    "absorption",
    "check_markov_channel_count",
    "markov_removal_effects",
    "transition_counts",
]

MAX_MARKOV_CHANNELS = 2000
"""Most channels (per segment and period) the Markov model accepts. The chain is solved with one
dense inverse of ``n + 1`` states (``O(n^3)`` time, a few ``(n + 3)^2`` float matrices: 32 MB
each at 2,000 channels); see ``docs/attribution.md`` for timings."""


def transition_counts(
    touch_channel: IntArray,
    lo: IntArray,
    hi: IntArray,
    *,
    converted: BoolArray,
    weight: FloatArray,
    n_channels: int,
) -> FloatArray:
    """Count weighted transitions of the paths ``[lo, hi)`` (empty paths are skipped).

    States: 0 is ``start``, ``1 + c`` channel ``c``, ``n_channels + 1``
    ``conversion`` and ``n_channels + 2`` ``null``. Returns a square matrix of
    counts, rows "from", columns "to".
    """
    size = n_channels + 3
    path, position, index = expand(lo, hi)
    state = touch_channel[index] + 1
    previous = np.concatenate([np.zeros(1, np.int64), state[:-1]]) if state.size else state
    source = np.where(position == 0, 0, previous)
    nonempty = hi > lo
    ends = touch_channel[np.maximum(hi - 1, 0)][nonempty] + 1
    outcome = np.where(converted[nonempty], n_channels + 1, n_channels + 2)
    cells = np.concatenate([source * size + state, ends * size + outcome])
    weights = np.concatenate([weight[path], weight[nonempty]])
    counts = np.bincount(cells, weights=weights, minlength=size * size).astype(np.float64)
    return counts.reshape(size, size)


def absorption(counts: FloatArray) -> tuple[float, FloatArray]:
    """Return ``P(conversion)`` and each channel's removal effect from transition counts.

    One inversion serves every channel (see the module docstring): with
    ``N = (I - Q)^-1``, ``x = N b`` and ``h_c = N[start, c] / N[c, c]``,
    ``RE_c = h_c x_c / x_start``. A channel without outgoing transitions
    (absent from the paths) has removal effect 0. Effects are clipped to
    [0, 1] against rounding; all are 0 when ``P(conversion) == 0``.
    """
    size = counts.shape[0]
    n_channels = size - 3
    check_markov_channel_count(n_channels, "")
    totals = counts.sum(axis=1)
    probabilities = counts / np.where(totals > 0, totals, 1.0)[:, None]
    transient = n_channels + 1
    q = probabilities[:transient, :transient]
    b = probabilities[:transient, n_channels + 1]
    fundamental = np.linalg.inv(np.eye(transient) - q)
    converts = fundamental @ b
    base = float(converts[0])
    effects = np.zeros(n_channels)
    if base <= 0:
        return base, effects
    states = np.arange(1, transient)
    visits = fundamental[0, states]
    returns = fundamental[states, states]  # >= 1: the visit that starts in c counts
    hit = np.divide(visits, returns, out=np.zeros(n_channels), where=totals[states] > 0)
    effects = np.clip(hit * converts[states] / base, 0.0, 1.0)
    return base, effects


def check_markov_channel_count(n_channels: int, where: str) -> None:
    """Raise when there are more channels than the Markov model accepts.

    Examples
    --------
    >>> check_markov_channel_count(2_001, "")
    Traceback (most recent call last):
    ...
    retention_kpis.exceptions.InvalidInputError: The markov model accepts at most 2,000 \
channels. Got 2,001 channels instead (a dense 2,002 x 2,002 system).
    Hint: group rare channels into one before attributing.
    """
    if n_channels > MAX_MARKOV_CHANNELS:
        msg = (
            f"The markov model accepts at most {MAX_MARKOV_CHANNELS:,} channels{where}. "
            f"Got {n_channels:,} channels instead (a dense {n_channels + 1:,} x "
            f"{n_channels + 1:,} system).\n"
            "Hint: group rare channels into one before attributing."
        )
        raise InvalidInputError(msg)


def _codes(
    paths: Mapping[Sequence[str], float], codes: Mapping[str, int], name: str, func: str
) -> tuple[list[int], list[int], list[int], list[float]]:
    flat: list[int] = []
    lo: list[int] = []
    hi: list[int] = []
    weights: list[float] = []
    for path, count in sorted(paths.items(), key=lambda item: tuple(item[0])):
        lo.append(len(flat))
        flat.extend(codes[channel] for channel in path)
        hi.append(len(flat))
        weights.append(check_amount(count, name, func))
    return flat, lo, hi, weights


def markov_removal_effects(
    converting: Mapping[Sequence[str], float],
    non_converting: Mapping[Sequence[str], float] | None = None,
) -> dict[str, float]:
    """Return the removal effect of each channel in a first-order Markov chain, solved exactly.

    Parameters
    ----------
    converting : mapping of tuple of str to float
        Converting paths (channels, oldest first) and how many conversions
        followed each.
    non_converting : mapping of tuple of str to float, optional
        Journeys not followed by a conversion, and how many times each occurred.

    Returns
    -------
    dict of str to float
        ``RE_c = 1 - P(conversion | c removed) / P(conversion)`` per channel,
        sorted by channel, each in [0, 1] (see the module docstring).

    Raises
    ------
    InvalidInputError
        If a path is empty or not a sequence of names, or a count negative.

    Examples
    --------
    Two converting paths ``A > B > C`` and ``A``, and one non-converting ``B > A``
    (the worked example of ``docs/attribution.md``):

    >>> markov_removal_effects({("A", "B", "C"): 1, ("A",): 1}, {("B", "A"): 1})
    {'A': 0.75, 'B': 0.667, 'C': 0.5}
    """
    func = "markov_removal_effects"
    non_converting = {} if non_converting is None else non_converting
    for name, paths in (("converting", converting), ("non_converting", non_converting)):
        for path in paths:
            if isinstance(path, str) or not path or not all(isinstance(c, str) for c in path):
                msg = (
                    f"The {name!r} parameter of {func} must map non-empty tuples of channel "
                    f"names to counts. Got the path {path!r} instead."
                )
                raise InvalidInputError(msg)
    names = sorted(
        {channel for paths in (converting, non_converting) for path in paths for channel in path}
    )
    check_markov_channel_count(len(names), "")
    codes = {channel: code for code, channel in enumerate(names)}
    flat_c, lo_c, hi_c, w_c = _codes(converting, codes, "converting", func)
    flat_n, lo_n, hi_n, w_n = _codes(non_converting, codes, "non_converting", func)
    shift = len(flat_c)
    counts = transition_counts(
        np.array(flat_c + flat_n, dtype=np.int64),
        np.array(lo_c + [lo + shift for lo in lo_n], dtype=np.int64),
        np.array(hi_c + [hi + shift for hi in hi_n], dtype=np.int64),
        converted=np.array([True] * len(lo_c) + [False] * len(lo_n)),
        weight=np.array(w_c + w_n, dtype=np.float64),
        n_channels=len(names),
    )
    _, effects = absorption(counts)
    return {name: float(effect) for name, effect in zip(names, effects, strict=True)}
