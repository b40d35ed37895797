"""Match each unit's events to the funnel steps, vectorised over units.

Ordered (Mixpanel's and Amplitude's default, loose order): a unit enters at its
first event of step 1 at ``t1``; then, step by step, the earliest event of the
next step at or after the time matched for the previous step and no later than
``t1 + within`` is matched (greedy earliest matching, which reaches the deepest
step possible from that entry). Unordered: the window opens at the unit's first
event of any funnel step, ``t0``; step ``k`` is reached when each of steps
``1..k`` occurs at least once in ``[t0, t0 + within]``, at the time the last of
them first occurs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from retention_kpis.funnels._units import MICROSECONDS, IntArray, Units

__all__ = ["NEVER", "entry_rows", "match"]

NEVER = np.iinfo(np.int64).max
"""Time of a step a unit did not reach."""


def _first_time(units: Units, mask: npt.NDArray[np.bool_]) -> IntArray:
    first = np.full(units.n_units, NEVER, dtype=np.int64)
    np.minimum.at(first, units.unit[mask], units.time[mask])
    return first


def match(units: Units, steps: Sequence[int], *, within: int, ordered: bool) -> IntArray:
    """Return the ``(n_units, n_steps)`` times each unit reached each step (``NEVER`` if not).

    ``steps`` are the event codes of the funnel steps, in order; ``within`` is in
    seconds, the times are microseconds (:attr:`Units.time`).
    """
    within *= MICROSECONDS
    reached = np.full((units.n_units, len(steps)), NEVER, dtype=np.int64)
    if units.n_units == 0:
        return reached
    if ordered:
        start = _first_time(units, units.code == steps[0])
    else:
        start = _first_time(units, np.isin(units.code, list(steps)))
    entered = start != NEVER
    deadline = np.where(entered, start + np.where(entered, within, 0), -1)[units.unit]
    if ordered:
        reached[:, 0] = start
        previous = start
        for column, code in enumerate(steps[1:], start=1):
            mask = (units.code == code) & (units.time >= previous[units.unit])
            mask &= units.time <= deadline
            previous = _first_time(units, mask)
            reached[:, column] = previous
        return reached
    in_window = units.time <= deadline
    done = np.zeros(units.n_units, dtype=np.int64)
    alive = np.ones(units.n_units, dtype=bool)
    for column, code in enumerate(steps):
        first = _first_time(units, (units.code == code) & in_window)
        alive &= first != NEVER
        done = np.maximum(done, np.where(alive, first, 0))
        reached[:, column] = np.where(alive, done, NEVER)
    return reached


def entry_rows(units: Units, reached: IntArray, steps: Sequence[int], *, ordered: bool) -> IntArray:
    """Row index of each unit's entry event (-1 for units that did not enter step 1).

    The entry event is the unit's first step-1 event (ordered) or its first
    funnel event (unordered); its ``by`` values give the unit's segment.
    """
    mask = units.code == steps[0] if ordered else np.isin(units.code, list(steps))
    rows = np.flatnonzero(mask)
    first_units, first_positions = np.unique(units.unit[rows], return_index=True)
    entry = np.full(units.n_units, -1, dtype=np.int64)
    entry[first_units] = rows[first_positions]
    entry[reached[:, 0] == NEVER] = -1
    return entry
