"""RFM scores and the named segments marketers use, computed in the engine.

:func:`rfm_segments` scores every customer of an RFM summary (or of a
transaction log, summarised first by :func:`~retention_kpis.clv.rfm_summary`)
on recency, frequency and monetary value in equal-count quantile bins, then
names a segment for each customer from a table of score ranges
(:class:`SegmentRule`, first match wins). :data:`DEFAULT_SEGMENTS` is the
eleven-segment grid of recency against the mean of the frequency and monetary
scores; pass your own table to change it.

Every step is a narwhals expression (three ordered row numbers and one
``when/then`` chain), so pandas, polars (eager or lazy), pyarrow, DuckDB and
PySpark compute the same answer in the engine and return their own kind of
frame; only a one-row statistic (row count and input checks) is collected.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Final

import narwhals.stable.v2 as nw
from narwhals.stable.v2.dependencies import is_pandas_like_dataframe
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from retention_kpis._core.frames import as_lazy_and_eager, collect, flag
from retention_kpis._core.text import count_rows
from retention_kpis.clv._rfm_periods import TimeUnit
from retention_kpis.clv.rfm import rfm_summary
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

__all__ = ["DEFAULT_SEGMENTS", "SegmentRule", "rfm_segments"]

_FUNC: Final = "rfm_segments"
_INDEX: Final = "__rk_rfm_index"
_KEY: Final = "__rk_rfm_key"
ScoreRange = tuple[float, float]


class SegmentRule(BaseModel):
    """One row of a segment table: a name and the score ranges it covers.

    A customer matches when every range given holds (inclusive at both ends);
    a range left as ``None`` matches any score. ``frequency_monetary`` is the
    mean of the frequency and monetary scores (the frequency score alone when
    there is no monetary column), so it moves in steps of 0.5.

    Examples
    --------
    >>> rule = SegmentRule(name="best", recency=(5, 5), frequency=(4, 5))
    >>> rule.recency, rule.frequency_monetary
    ((5.0, 5.0), None)
    >>> rule.matches({"recency": 5, "frequency": 4, "monetary": 1, "frequency_monetary": 2.5})
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    recency: ScoreRange | None = None
    frequency: ScoreRange | None = None
    monetary: ScoreRange | None = None
    frequency_monetary: ScoreRange | None = None

    @field_validator("name")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value:
            msg = "a segment name must not be empty"
            raise ValueError(msg)
        return value

    @field_validator("recency", "frequency", "monetary", "frequency_monetary")
    @classmethod
    def _ordered(cls, value: ScoreRange | None) -> ScoreRange | None:
        if value is not None and not value[0] <= value[1]:
            msg = f"a score range must be (low, high) with low <= high, got {value}"
            raise ValueError(msg)
        return value

    def matches(self, scores: dict[str, float]) -> bool:
        """Whether a customer with these scores falls in this segment."""
        for dimension in ("recency", "frequency", "monetary", "frequency_monetary"):
            bounds = getattr(self, dimension)
            if bounds is not None and not bounds[0] <= scores[dimension] <= bounds[1]:
                return False
        return True


def _rule(name: str, recency: ScoreRange, frequency_monetary: ScoreRange) -> SegmentRule:
    return SegmentRule(name=name, recency=recency, frequency_monetary=frequency_monetary)


DEFAULT_SEGMENTS: Final[tuple[SegmentRule, ...]] = (
    _rule("champions", (4, 5), (4, 5)),
    _rule("cannot_lose", (1, 1), (4, 5)),
    _rule("at_risk", (1, 2), (3, 5)),
    _rule("loyal", (3, 5), (3, 5)),
    _rule("new", (5, 5), (1, 1)),
    _rule("promising", (4, 4), (1, 1)),
    _rule("potential_loyalists", (4, 5), (1, 3)),
    _rule("need_attention", (2, 3), (2, 3)),
    _rule("about_to_sleep", (2, 3), (1, 2)),
    _rule("hibernating", (1, 1), (2, 3)),
    _rule("lost", (1, 1), (1, 2)),
)
"""The default segment table, for 5 bins: recency score against the mean of F and M.

First match wins. The names and the R x FM layout are the common marketing grid
(as tabulated, for example, at
https://docs.churned.io/churned-docs/dashboard-and-features/rfv-model-segment-best-practices/rfm-model,
and by Putler, whose eleven names these are). Read literally, the published
ranges overlap so that "new", "promising", "cannot lose" and "lost" can never
be reached under first-match-wins; this table orders and narrows them so that
every cell of the 5 x 5 grid gets one segment and every segment is reachable.
By recency score, from FM = 1 up to FM = 5:

* R 5: new (FM 1), potential loyalists (1.5-2.5), loyal (3-3.5), champions (4-5);
* R 4: promising (FM 1), potential loyalists, loyal, champions, as R 5;
* R 3: about to sleep (FM < 2), need attention (2-2.5), loyal (3-5);
* R 2: about to sleep (FM < 2), need attention (2-2.5), at risk (3-5);
* R 1: lost (FM < 2), hibernating (2-2.5), at risk (3-3.5), cannot lose (4-5).

See docs/clv/segments.md for the table and its source.
"""


def _as_rule(item: object, position: int) -> SegmentRule:
    """Return ``item`` as a SegmentRule (a mapping is validated into one)."""
    if isinstance(item, SegmentRule):
        return item
    try:
        return SegmentRule.model_validate(item)
    except ValidationError as exc:
        detail = "; ".join(error["msg"] for error in exc.errors())
        msg = (
            f"The 'segments' parameter of {_FUNC} must hold SegmentRule rows. "
            f"Got {item!r} at position {position} instead ({detail})."
        )
        raise InvalidInputError(msg) from exc


def _check_rules(segments: object, bins: int, monetary: bool) -> tuple[SegmentRule, ...]:
    """Validate the segment table; every score combination must get a segment."""
    if isinstance(segments, (str, bytes)) or not isinstance(segments, Sequence) or not segments:
        msg = (
            f"The 'segments' parameter of {_FUNC} must be a non-empty sequence of SegmentRule "
            f"(or None for scores only). Got {segments!r} instead."
        )
        raise InvalidInputError(msg)
    rules = [_as_rule(item, position) for position, item in enumerate(segments)]
    if tuple(rules) == DEFAULT_SEGMENTS and bins != 5:
        msg = (
            f"The 'bins' parameter of {_FUNC} must be 5 with the default segment table. "
            f"Got {bins} instead.\n"
            "Hint: pass segments= with ranges on your scale, or segments=None."
        )
        raise InvalidInputError(msg)
    if not monetary and any(rule.monetary is not None for rule in rules):
        msg = (
            f"The 'segments' parameter of {_FUNC} uses monetary scores, but no monetary_value "
            "column was given.\nHint: pass monetary_value=."
        )
        raise InvalidInputError(msg)
    scores = range(1, bins + 1)
    uncovered = []
    for r, f, m in itertools.product(scores, scores, scores if monetary else [None]):
        combo = {
            "recency": r,
            "frequency": f,
            "monetary": m if m is not None else f,
            "frequency_monetary": (f + m) / 2 if m is not None else f,
        }
        if not any(rule.matches(combo) for rule in rules):
            uncovered.append((r, f) if m is None else (r, f, m))
    if uncovered:
        names = "(recency, frequency)" if not monetary else "(recency, frequency, monetary)"
        msg = (
            f"The 'segments' parameter of {_FUNC} must give every score combination a segment. "
            f"Got no rule for {names} = {uncovered[0]} ({len(uncovered)} combination(s) in all) "
            "instead.\nHint: end the table with a catch-all SegmentRule(name='other')."
        )
        raise InvalidInputError(msg)
    return tuple(rules)


def _check_bins(bins: object) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        msg = f"The 'bins' parameter of {_FUNC} must be a whole number >= 2. Got {bins!r} instead."
        raise InvalidInputError(msg)
    return bins


def _check_summary(lf: nw.LazyFrame[Any], customer_id: str, monetary: str | None) -> int:
    """Check the summary's columns and values in one scan; return its row count."""
    schema = lf.collect_schema()
    needed = [customer_id, "frequency", "recency", "T"] + ([monetary] if monetary else [])
    missing = [name for name in needed if name not in schema]
    if missing:
        msg = (
            f"Missing column(s) {missing} in summary for {_FUNC}. Available columns: "
            f"{list(schema)}.\nHint: pass the output of rfm_summary, or transactions with "
            "timestamp=."
        )
        raise ColumnNotFoundError(msg)
    for name in needed[1:]:
        if not schema[name].is_numeric():
            msg = (
                f"Column {name!r} of summary must be numeric for {_FUNC}. "
                f"Got dtype {schema[name]} instead."
            )
            raise InvalidInputError(msg)
    values = [nw.col(name).cast(nw.Float64) for name in needed[1:]]
    bad_value = nw.any_horizontal(
        *((~value.is_finite()).fill_null(value=True) for value in values), ignore_nulls=False
    )
    recency, age = nw.col("recency").cast(nw.Float64), nw.col("T").cast(nw.Float64)
    # Counts as sums of 0/1 flags: null_count needs count_if and a boolean does not cast to
    # bigint, neither of which SQLFrame's PostgreSQL offers.
    checks = [
        nw.len().alias("rows"),
        flag(nw.col(customer_id).is_null()).sum().alias("id_nulls"),
        flag(bad_value).sum().alias("not_finite"),
        flag(nw.any_horizontal(*(value < 0 for value in values), ignore_nulls=True))
        .sum()
        .alias("negative"),
        flag(recency > age).sum().alias("recency_after_T"),
    ]
    stats = collect(lf.select(*checks)).rows(named=True)[0]
    problems = {
        "id_nulls": f"Column {customer_id!r} (customer_id) of summary has {{}} with a null id.",
        "not_finite": f"Columns {needed[1:]} of summary must be finite. Got {{}} with "
        "null, nan or inf instead.",
        "negative": f"Columns {needed[1:]} of summary must be >= 0. Got {{}} with a negative "
        "value instead.",
        "recency_after_T": "Some values in recency are larger than T: {} of summary.",
    }
    for key, template in problems.items():
        count = int(stats[key] or 0)
        if count:
            raise InvalidInputError(template.format(count_rows(count)))
    return int(stats["rows"])


def _score(
    lf: nw.LazyFrame[Any], key: nw.Expr, *, customer_id: str, bins: int, rows: int, name: str
) -> nw.LazyFrame[Any]:
    """Add ``name``: ``1 + floor(i * bins / rows)``, i the 0-based rank of (key, id)."""
    ranked = lf.with_columns(key.alias(_KEY)).with_row_index(_INDEX, order_by=[_KEY, customer_id])
    score = (nw.col(_INDEX) * bins) // max(rows, 1) + 1
    return ranked.with_columns(score.cast(nw.Int64).alias(name)).drop(_INDEX, _KEY)


def _segment_expr(rules: Sequence[SegmentRule], monetary: bool) -> nw.Expr:
    """One ``when/then`` chain: the first rule that matches names the segment."""
    r, f = nw.col("recency_score"), nw.col("frequency_score")
    m = nw.col("monetary_score") if monetary else f
    columns = {"recency": r, "frequency": f, "monetary": m, "frequency_monetary": (f + m) / 2}
    expr: nw.Expr = nw.lit(None, nw.String)
    for rule in reversed(rules):
        conditions = [
            (columns[dim] >= getattr(rule, dim)[0]) & (columns[dim] <= getattr(rule, dim)[1])
            for dim in columns
            if getattr(rule, dim) is not None
        ]
        condition = (
            nw.all_horizontal(*conditions, ignore_nulls=True) if conditions else nw.lit(value=True)
        )
        expr = nw.when(condition).then(nw.lit(rule.name, nw.String)).otherwise(expr)
    return expr.alias("segment")


def rfm_segments(
    data: Any,  # noqa: ANN401 - any native frame narwhals supports
    *,
    customer_id: str,
    timestamp: str | None = None,
    monetary_value: str | None = None,
    observation_end: object = None,
    time_unit: TimeUnit = "D",
    time_scaler: float = 1.0,
    bins: int = 5,
    segments: Sequence[SegmentRule] | None = DEFAULT_SEGMENTS,
) -> Any:  # noqa: ANN401 - the caller's kind of frame
    """Recency, frequency and monetary scores in quantile bins, and a named segment.

    Scores run from 1 (worst) to ``bins`` (best). Each score ranks the
    customers by a key, worst first, and cuts the ranking into ``bins``
    equal-count bins: the customer at 0-based rank ``i`` of ``n`` gets
    ``1 + floor(i * bins / n)``. The keys are

    * recency score: ``recency - T`` (minus the time since the last purchase;
      a more recent buyer scores higher);
    * frequency score: ``frequency`` (repeat purchase periods);
    * monetary score: ``monetary_value`` (the summary's mean repeat value).

    **Ties** are broken by customer id, ascending: among customers with the same
    key, the larger id ranks higher. Scores therefore never depend on row order,
    and bins hold ``n / bins`` customers (rounded) even when many customers share
    a value (most customers of CDNOW have ``frequency == 0``, so they spread over
    the lower frequency scores by id).

    The segment is the name of the first rule of ``segments`` whose ranges all
    hold (see :class:`SegmentRule` and :data:`DEFAULT_SEGMENTS`).

    Parameters
    ----------
    data : DataFrame or LazyFrame
        An RFM summary (the output of :func:`rfm_summary`: ``customer_id``,
        ``frequency``, ``recency``, ``T`` and optionally a monetary column),
        or, when ``timestamp`` is given, a transaction log that
        :func:`rfm_summary` summarises first. Any frame narwhals supports;
        never modified.
    customer_id : str
        Column of the customer id (sortable, no nulls).
    timestamp : str, optional
        Column of the purchase time: ``data`` is then a transaction log.
    monetary_value : str, optional
        Column of the value: a transaction's value for a log, the summary's
        ``monetary_value`` column for a summary. Without it there is no
        monetary score and ``frequency_monetary`` is the frequency score.
    observation_end, time_unit, time_scaler
        Passed to :func:`rfm_summary` for a transaction log; ignored for a
        summary.
    bins : int, default=5
        Number of score bins, ``>= 2``.
    segments : sequence of SegmentRule or None, default=DEFAULT_SEGMENTS
        The segment table, first match wins; it must give every score
        combination a segment (checked before any data is read). ``None``
        returns the scores only. The default table is on a 1-5 scale and
        needs ``bins=5``.

    Returns
    -------
    DataFrame or LazyFrame
        Same kind as ``data``, one row per customer sorted by id: the summary's
        columns, then ``recency_score``, ``frequency_score``,
        [``monetary_score``] (Int64, in ``1..bins``) and ``segment`` (String).

    Raises
    ------
    ColumnNotFoundError
        If a named or required column is missing.
    InvalidInputError
        On null ids, null/nan/inf/negative values, ``recency > T``, a bad
        ``bins`` or a segment table that is malformed or leaves a score
        combination without a segment; for a log, as :func:`rfm_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame(
    ...     {
    ...         "customer": ["a", "b", "c", "d"],
    ...         "frequency": [0, 3, 1, 8],
    ...         "recency": [0.0, 20.0, 5.0, 30.0],
    ...         "T": [31.0, 30.0, 29.0, 32.0],
    ...     }
    ... )
    >>> rfm_segments(summary, customer_id="customer", bins=2, segments=None)
      customer  frequency  recency     T  recency_score  frequency_score
    0        a          0      0.0  31.0              1                1
    1        b          3     20.0  30.0              2                2
    2        c          1      5.0  29.0              1                1
    3        d          8     30.0  32.0              2                2
    """
    n_bins = _check_bins(bins)
    monetary = monetary_value is not None
    rules = None if segments is None else _check_rules(segments, n_bins, monetary)
    if timestamp is not None:
        data = rfm_summary(
            data,
            customer_id=customer_id,
            timestamp=timestamp,
            monetary_value=monetary_value,
            observation_end=observation_end,
            time_unit=time_unit,
            time_scaler=time_scaler,
        )
        monetary_value = "monetary_value" if monetary else None
    lf, eager = as_lazy_and_eager(data, "data", _FUNC)
    rows = _check_summary(lf, customer_id, monetary_value)
    keys = {
        "recency_score": nw.col("recency") - nw.col("T"),
        "frequency_score": nw.col("frequency"),
    }
    if monetary_value is not None:
        keys["monetary_score"] = nw.col(monetary_value)
    scored = lf
    for name, key in keys.items():
        scored = _score(scored, key, customer_id=customer_id, bins=n_bins, rows=rows, name=name)
    if rules is not None:
        scored = scored.with_columns(_segment_expr(rules, monetary))
    result = scored.sort(customer_id)
    if not eager:
        return nw.to_native(result)
    native = nw.to_native(collect(result))
    if is_pandas_like_dataframe(native):  # sorting left a shuffled index
        native = native.reset_index(drop=True)
    return native
