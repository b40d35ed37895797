"""Paths on DuckDB: one window sort per owner, one group-by per path, one join back.

The generic path (:func:`._paths.path_table`) runs up to seven window operations on
DuckDB (two or three of them ordered). Here one SQL query sorts each owner's rows once
by (time, kind, channel) -- every window function shares that one ``WINDOW`` -- and
reads from it, per row: the row number, the next conversion instant (the path's end)
and the previous row's channel (Markov); the owner's last time (a journey's
reference) is an unordered window. One group-by per path then gives what the generic path computes
with partition windows (the path's first row, touches outside the lookback and inside it,
conversions, revenue, period, the last non-direct touch), joined back by path. The
columns and their values are those of the generic path, bit for bit (the one float
sum, a path's revenue over its conversions, is the same ``sum`` aggregate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.columns import PERIOD

__all__ = ["duckdb_rows"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_rows(
    rows: nw.LazyFrame[Any],
    *,
    names: dict[str, str],
    owner: Sequence[str],
    lookback_us: int | None,
    period: bool,
    values: Sequence[str],
    kinds: dict[str, int],
    no_conversion: int,
    direct_channel: str | None,
) -> nw.LazyFrame[Any]:
    """Return the rows with the generic path's columns (see :func:`._paths._cut`).

    ``names`` maps the roles ``us``, ``conversion``, ``channel``, ``inside``,
    ``position``, ``length``, ``n``, ``part``, ``end``, ``previous`` and ``a`` to column
    names; ``kinds`` the row kinds. ``previous`` is the channel of the row before in the
    owner's order (Markov); with ``direct_channel``, ``a`` is the position of the path's
    last touch of another channel (0: none).
    """
    q = {role: _quote(name) for role, name in names.items()}
    us, conv, channel = q["us"], q["conversion"], q["channel"]
    owners = [_quote(name) for name in owner]
    partition = ", ".join(owners)
    window = f"PARTITION BY {partition} ORDER BY {us}, {conv}, {channel}"
    inside = "TRUE" if lookback_us is None else f"({conv} = 1 OR rk_ref - {us} <= {lookback_us})"
    direct = ""
    if direct_channel is not None:
        literal = "'" + direct_channel.replace("'", "''") + "'"
        direct = (
            f", max(CASE WHEN {conv} = 0 AND rk_inside AND rk_end <> {no_conversion} "
            f"AND {channel} <> {literal} THEN rk_row END) AS rk_direct"
        )
    period_max = f", max({_quote(PERIOD)}) AS rk_period" if period else ""
    sums = "".join(f", sum({_quote(name)}) AS {_quote(name + '_path')}" for name in values)
    join = " AND ".join(f"r.{name} IS NOT DISTINCT FROM p.{name}" for name in owners)
    # Touches at a conversion's instant sort before it (kind 0 < 1) and belong to it.
    # Names are quoted identifiers and the only text literal is escaped: no injection.
    sql = f"""
WITH ordered AS (
    SELECT *,
        row_number() OVER w AS rk_row,
        coalesce(
            first_value(CASE WHEN {conv} = 1 THEN {us} END IGNORE NULLS)
                OVER (w ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING),
            {no_conversion}) AS rk_end,
        max({us}) OVER (PARTITION BY {partition}) AS rk_last,
        lag({channel}) OVER w AS rk_previous
    FROM rk_rows
    WINDOW w AS ({window})
), flagged AS (
    SELECT *, {inside} AS rk_inside FROM (
        SELECT *, CASE WHEN rk_end = {no_conversion} THEN rk_last ELSE rk_end END AS rk_ref
        FROM ordered
    )
), paths AS (
    SELECT {partition}, rk_end,
        min(rk_row) - 1 AS rk_before,
        count(*) FILTER (WHERE {conv} = 0 AND NOT rk_inside) AS rk_outside,
        count(*) FILTER (WHERE {conv} = 0 AND rk_inside) AS rk_length,
        CAST(sum({conv}) AS DOUBLE) AS rk_n{sums}{period_max}{direct}
    FROM flagged
    GROUP BY {partition}, rk_end
)
SELECT r.* EXCLUDE (rk_row, rk_last, rk_ref, rk_inside, rk_end, rk_previous{
        ", " + _quote(PERIOD) if period else ""
    }),
    r.rk_end AS {q["end"]},
    CAST(r.rk_inside AS BIGINT) AS {q["inside"]},
    CAST(r.rk_row - p.rk_before - p.rk_outside AS BIGINT) AS {q["position"]},
    CAST(p.rk_length AS BIGINT) AS {q["length"]},
    p.rk_n AS {q["n"]},
    {", ".join(f"p.{_quote(name + '_path')}" for name in values)},
    {f"p.rk_period AS {_quote(PERIOD)}," if period else ""}
    r.rk_previous AS {q["previous"]},
    {"coalesce(p.rk_direct - p.rk_before - p.rk_outside, 0)" if direct else "0"}
        AS {q["a"]},
    CAST(CASE WHEN r.{conv} = 1 THEN {kinds["CONVERSION"]}
        WHEN NOT r.rk_inside THEN {kinds["OUTSIDE"]}
        WHEN r.rk_end = {no_conversion} THEN {kinds["JOURNEY"]}
        ELSE {kinds["TOUCH"]} END AS BIGINT) AS {q["part"]}
FROM flagged AS r JOIN paths AS p ON {join} AND r.rk_end = p.rk_end
"""  # noqa: S608
    native = rows.to_native()
    frame: nw.LazyFrame[Any] = nw.from_native(native.query("rk_rows", sql))
    return frame
