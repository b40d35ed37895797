"""Paths on polars: one sort by (owner, time, kind, channel), then order-preserving scans.

The generic path (:func:`._paths.path_table` on the other backends) cuts paths with
window functions ordered by time: every ordered window is a sort inside each partition,
and a path needs two of them (Markov three). On polars the rows are sorted once; a
path is then a run of consecutive rows, and every per-path quantity is a running sum,
a shift or a fill from the run's first or last row (linear scans; no hash partition).
The columns and their values are those of the generic path, bit for bit: positions,
lengths and conversion counts are integers; the period of a path is its last row's;
the only float sums (a path's revenue and first-purchase shares, over its
conversions) are the same window sums as in the generic path.

In the sorted order, a path is the owner's rows from just after a conversion instant
(or the owner's first row) up to and including the conversions of the next conversion
instant: touches at the instant of a conversion sort before it (``kind`` 0 < 1) and
belong to it, conversions of one instant share one path. A non-converting journey is
the run after the owner's last conversion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.columns import PERIOD

__all__ = ["last_in_path", "path_sum", "sorted_rows"]

_START = "__rk_path_start"
_LAST = "__rk_path_last"
_RUN = "__rk_run"
_SEEN = "__rk_seen"


def _from_last(expr: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Give every row of a path the value of ``expr`` on the path's last row (never null)."""
    import polars as pl  # noqa: PLC0415 - optional backend

    return pl.when(pl.col(_LAST)).then(expr).backward_fill()


def _before_start(running: Any, step: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Give every row of a path the running sum's value just before the path's first row."""
    import polars as pl  # noqa: PLC0415 - optional backend

    return pl.when(pl.col(_START)).then(running - step).forward_fill()


def path_sum(step: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Exact sum of an integer ``step`` over the path (difference of running sums)."""
    import polars as pl  # noqa: PLC0415 - optional backend

    running = step.cum_sum()
    return _from_last(running) - _before_start(running, step).fill_null(pl.lit(0))


def _running_in_path(step: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Sum an integer ``step`` from the path's first row to this row (inclusive)."""
    running = step.cum_sum()
    return running - _before_start(running, step)


def sorted_rows(
    rows: nw.LazyFrame[Any],
    *,
    names: dict[str, str],
    owner: Sequence[str],
    lookback_us: int | None,
    period: bool,
    values: Sequence[str],
    kinds: dict[str, int],
) -> nw.LazyFrame[Any]:
    """Return the rows sorted, with the generic path's columns (see :func:`._paths._cut`).

    ``names`` maps the roles ``us``, ``conversion``, ``channel``, ``inside``, ``position``,
    ``length``, ``n``, ``part``, ``reference`` and ``path`` (a path number) to their
    column names; ``kinds`` the row kinds ``CONVERSION``, ``TOUCH``, ``JOURNEY``,
    ``OUTSIDE``.
    """
    import polars as pl  # noqa: PLC0415 - optional backend

    us, conv, channel = names["us"], names["conversion"], names["channel"]
    col = pl.col
    native = rows.to_native().sort([*owner, us, conv, channel])
    is_conversion = col(conv) == 1
    start = pl.int_range(pl.len()) == 0
    for name in owner:
        start = start | col(name).ne_missing(col(name).shift(1))
    # A path starts after a conversion row, unless that row is a conversion of the same
    # instant as this one (conversions of one instant share a path).
    after = (col(conv).shift(1) == 1) & ~(is_conversion & (col(us) == col(us).shift(1)))
    native = native.with_columns((start | after.fill_null(value=False)).alias(_START))
    native = native.with_columns(
        col(_START).shift(-1).fill_null(value=True).alias(_LAST),
        col(_START).cast(pl.Int64).cum_sum().alias(names["path"]),
    )
    # The path's reference time: its conversion instant, or a journey's last touch.
    reference = _from_last(col(us))
    native = native.with_columns(
        reference.alias(names["reference"]),
        _from_last(col(conv)).alias(_SEEN),  # 1 on a converting path
    )
    inside = pl.lit(value=True)
    if lookback_us is not None:
        inside = is_conversion | (col(names["reference"]) - col(us) <= lookback_us)
    native = native.with_columns(inside.alias(names["inside"]))
    touch = (col(names["inside"]) & ~is_conversion).cast(pl.Int64)
    columns = [
        _running_in_path(touch).alias(names["position"]),
        path_sum(touch).alias(names["length"]),
        path_sum(col(conv).cast(pl.Int64)).cast(pl.Float64).alias(names["n"]),
        *[col(name).sum().over(names["path"]).alias(f"{name}_path") for name in values],
    ]
    if period:
        columns.append(_from_last(col(PERIOD)).alias(PERIOD))
    native = native.with_columns(columns)
    part = (
        pl.when(is_conversion)
        .then(pl.lit(kinds["CONVERSION"]))
        .when(~col(names["inside"]))
        .then(pl.lit(kinds["OUTSIDE"]))
        .when(col(_SEEN) == 0)
        .then(pl.lit(kinds["JOURNEY"]))
        .otherwise(pl.lit(kinds["TOUCH"]))
    )
    native = native.with_columns(
        part.cast(pl.Int64).alias(names["part"]),
        col(names["inside"]).cast(pl.Int64),
    )
    frame: nw.LazyFrame[Any] = nw.from_native(native)
    return frame


def last_in_path(value: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Give every row of a path the path's last non-null ``value`` (0: none)."""
    import polars as pl  # noqa: PLC0415 - optional backend

    reset = pl.when(pl.col(_START) & value.is_null()).then(pl.lit(0)).otherwise(value)
    return _from_last(reset.forward_fill())
