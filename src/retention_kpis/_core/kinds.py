"""Journey results that remember the kind of frame they were computed from.

Cohort tables, funnels and cart KPIs are small frozen models; their
``to_frame`` hands them back as the input's kind (pandas, polars eager or lazy,
pyarrow, a DuckDB relation or a PySpark DataFrame in the input's session) with
:func:`retention_kpis._core.backends.from_columns`. The kind is a private attribute:
it is not part of the result's value (results computed from different backends
compare equal) nor of its JSON, so a result read back from JSON returns pandas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

import narwhals.stable.v2 as nw
from pydantic import BaseModel, PrivateAttr

from retention_kpis._core.backends import NativeKind, from_columns, native_kind

__all__ = ["PANDAS", "KindAwareResult", "dtype_of", "remember_kind"]

PANDAS = NativeKind("pandas", lazy=False)
"""The kind of a result built directly or read back from JSON."""

_Result = TypeVar("_Result", bound="KindAwareResult")


def dtype_of(values: list[Any]) -> Any:  # noqa: ANN401 - a narwhals dtype
    """Return the narwhals dtype of a column from its Python values (String when all null).

    Examples
    --------
    >>> dtype_of([None, 2]), dtype_of([True]), dtype_of([])
    (Int64, Boolean, String)
    """
    first = next((value for value in values if value is not None), "")
    for kind, dtype in (
        (bool, nw.Boolean()),
        (int, nw.Int64()),
        (float, nw.Float64()),
        (dt.datetime, nw.Datetime()),
        (dt.date, nw.Date()),
    ):
        if isinstance(first, kind):
            return dtype
    return nw.String()


class KindAwareResult(BaseModel):
    """A frozen result whose ``to_frame`` returns the kind of frame it was computed from.

    Equality and hashing use the fields only: the remembered kind is not part
    of the value.

    Examples
    --------
    >>> from pydantic import ConfigDict
    >>> class Total(KindAwareResult):
    ...     model_config = ConfigDict(frozen=True)
    ...     value: int
    >>> Total(value=1).frame_kind.backend
    'pandas'
    """

    _kind: NativeKind = PrivateAttr(default=PANDAS)

    @property
    def frame_kind(self) -> NativeKind:
        """Kind of frame :meth:`to_frame` returns: the input's (pandas when built directly)."""
        return self._kind

    def __eq__(self, other: object) -> bool:
        """Compare the fields, not the remembered frame kind."""
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        """Hash the fields, as equality compares them."""
        return hash(tuple(self.__dict__.values()))

    def _native(self, data: Mapping[str, list[Any]], schema: Mapping[str, Any]) -> Any:  # noqa: ANN401 - a native frame
        """Build a native frame of the remembered kind from columns of Python values."""
        kind = self._kind
        return from_columns(
            data, schema, backend=kind.backend, lazy=kind.lazy, session=kind.session
        )


def remember_kind(result: _Result, events: object) -> _Result:
    """Set the frame kind of ``result`` to the kind of ``events`` and return ``result``.

    ``events`` must be a frame narwhals reads (validated before).

    Examples
    --------
    >>> import polars as pl
    >>> from pydantic import ConfigDict
    >>> class Total(KindAwareResult):
    ...     model_config = ConfigDict(frozen=True)
    ...     value: int
    >>> remember_kind(Total(value=1), pl.LazyFrame({"a": [1]})).frame_kind.lazy
    True
    """
    result._kind = native_kind(events)  # noqa: SLF001 - set once, right after the result is built
    return result
