"""Which kind of native frame came in, and how to hand a small result back in that kind.

Results are small (one row per period and segment), so they are built eagerly
and then handed back as the input's kind: pandas, polars (a LazyFrame when a
LazyFrame came in), pyarrow, a DuckDB relation, a PySpark DataFrame (in the
input's Spark session) or a SQLFrame DataFrame (in the input's SQLFrame session,
so a warehouse table's results are small tables of the same warehouse). Other
backends narwhals reads get a pyarrow table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import narwhals.stable.v2 as nw

from retention_kpis.exceptions import InvalidInputError

__all__ = ["FrameBackend", "NativeKind", "from_columns", "native_kind"]

FrameBackend: TypeAlias = Literal["pandas", "polars", "pyarrow", "duckdb", "pyspark", "sqlframe"]
"""Frame kinds a result can be returned as."""


@dataclasses.dataclass(frozen=True)
class NativeKind:
    """The kind of a native frame: its library, laziness and (PySpark) session."""

    backend: FrameBackend
    lazy: bool
    session: Any = None


def native_kind(native: object) -> NativeKind:
    """Return the kind of a native frame narwhals accepts.

    Examples
    --------
    >>> import pandas as pd
    >>> native_kind(pd.DataFrame({"a": [1]}))
    NativeKind(backend='pandas', lazy=False, session=None)
    """
    frame = nw.from_native(native)  # type: ignore[call-overload]  # any native frame
    implementation = frame.implementation
    if implementation.is_pandas():
        return NativeKind("pandas", lazy=False)
    if implementation.is_polars():
        return NativeKind("polars", lazy=isinstance(frame, nw.LazyFrame))
    if implementation.is_duckdb():
        return NativeKind("duckdb", lazy=True, session=_duckdb_connection(native))
    if implementation.is_pyspark():
        return NativeKind("pyspark", lazy=True, session=getattr(native, "sparkSession", None))
    if implementation is nw.Implementation.SQLFRAME:
        return NativeKind("sqlframe", lazy=True, session=getattr(native, "session", None))
    return NativeKind("pyarrow", lazy=False)


def _duckdb_connection(relation: object) -> object:
    """Return the connection of a DuckDB relation, or None (results then use the default one).

    DuckDB has no public accessor: the relation's ``_con`` is read only when it is a
    ``DuckDBPyConnection``, so results can be joined with the input relation.
    """
    import duckdb  # noqa: PLC0415 - only reached with a DuckDB relation

    connection = getattr(relation, "_con", None)
    return connection if isinstance(connection, duckdb.DuckDBPyConnection) else None


def _spark_session(session: object) -> object:
    if session is not None:
        return session
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415 - optional backend
    except ImportError as exc:
        msg = (
            "The 'backend' parameter 'pyspark' needs pyspark: pip install 'retention-kpis[spark]'."
        )
        raise InvalidInputError(msg) from exc
    active = SparkSession.getActiveSession()
    if active is None:
        msg = "The 'backend' parameter 'pyspark' needs an active SparkSession. Got none."
        raise InvalidInputError(msg)
    return active


def from_columns(
    data: Mapping[str, list[Any]],
    schema: Mapping[str, Any],
    *,
    backend: FrameBackend,
    lazy: bool = False,
    session: object = None,
) -> Any:  # noqa: ANN401 - a native frame
    """Build a native frame of the given kind from columns of Python values.

    Parameters
    ----------
    data : mapping of str to list
        Column name to values.
    schema : mapping of str to narwhals dtype
        Column name to dtype.
    backend : {"pandas", "polars", "pyarrow", "duckdb", "pyspark", "sqlframe"}
        Library of the frame returned.
    lazy : bool, default=False
        Return a polars LazyFrame (``backend="polars"`` only; DuckDB and
        PySpark frames are always lazy).
    session : SparkSession, DuckDBPyConnection or SQLFrame session, optional
        Session of a PySpark frame (the active session by default), connection
        of a DuckDB relation (DuckDB's default connection by default), or the
        SQLFrame session of a SQLFrame frame (required).

    Returns
    -------
    DataFrame or LazyFrame
        The native frame.

    Examples
    --------
    >>> import narwhals.stable.v2 as nw
    >>> type(from_columns({"a": [1]}, {"a": nw.Int64()}, backend="polars", lazy=True)).__name__
    'LazyFrame'
    """
    if backend == "sqlframe":
        return _sqlframe_frame(data, schema, session)
    if backend != "duckdb" and backend != "pyspark":  # noqa: PLR1714 - narrows the Literal for mypy
        frame = nw.from_dict(data, schema=schema, backend=backend)
        return (frame.lazy() if lazy else frame).to_native()
    arrow = nw.from_dict(data, schema=schema, backend="pyarrow")
    if backend == "duckdb":
        if session is not None:
            return session.from_arrow(arrow.to_native())  # type: ignore[attr-defined]
        return arrow.lazy(backend="duckdb").to_native()
    return arrow.lazy(backend="pyspark", session=_spark_session(session)).to_native()


_SQL_TYPES = (
    (nw.Boolean, "BooleanType"),
    (nw.Int8, "IntegerType"),
    (nw.Int16, "IntegerType"),
    (nw.Int32, "IntegerType"),
    (nw.Int64, "LongType"),
    (nw.Float32, "DoubleType"),
    (nw.Float64, "DoubleType"),
    (nw.Date, "DateType"),
    (nw.Datetime, "TimestampType"),
    (nw.String, "StringType"),
)


def _sqlframe_frame(
    data: Mapping[str, list[Any]], schema: Mapping[str, Any], session: object
) -> Any:  # noqa: ANN401 - a native frame
    """Build a SQLFrame DataFrame in ``session`` from typed columns (a VALUES list in its SQL).

    Rows are handed to ``createDataFrame`` as Python values with a declared schema, so a
    column of nulls keeps its type (from a pandas frame, SQLFrame would infer the type of
    each column from its values and fail on a mix of text and missing floats). The schema
    is a StructType: names in a DDL string would keep their backquotes.
    """
    if session is None:
        msg = "The 'backend' parameter 'sqlframe' needs the input's SQLFrame session. Got none."
        raise InvalidInputError(msg)
    from sqlframe.base import types  # noqa: PLC0415 - only reached with a SQLFrame session

    # Built under neutral names, then renamed: SQLFrame reads a column named "0" (the
    # cohort tables' period columns) as the literal 0 when it builds the VALUES list.
    fields = []
    for index, dtype in enumerate(schema.values()):
        kind = next((text for kind, text in _SQL_TYPES if isinstance(dtype, kind)), "StringType")
        fields.append(types.StructField(f"_rk_c{index}", getattr(types, kind)()))
    names = list(schema)
    rows = list(zip(*(data[name] for name in names), strict=True)) if names else []
    frame = session.createDataFrame(rows, schema=types.StructType(fields))  # type: ignore[attr-defined]
    return frame.select(
        *(frame[field.name].alias(name) for field, name in zip(fields, names, strict=True))
    )
