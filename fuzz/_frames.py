"""Hypothesis strategies of hostile event frames and options for the fuzz targets.

Columns get random dtypes (object mixes, floats with nan/inf, nullable ints,
strings, datetimes with and without a zone, booleans, categories), nulls, junk
strings, huge and negative numbers; required columns are sometimes missing.
About half of the frames are well typed with hostile values only, so that the
fuzzer also gets past validation into aggregation.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pandas as pd
from hypothesis import strategies as st

from retention_kpis.attribution import MODELS
from retention_kpis.events import EventTypes

KNOWN_TYPES = sorted(EventTypes().known())
COLUMNS = (
    "customer_id",
    "timestamp",
    "event_type",
    "revenue",
    "cost",
    "score",
    "channel",
    "campaign",
    "order_id",
)
START = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - naive on purpose: the contract's default

junk_text = st.text(max_size=12)
iso_dates = st.builds(
    lambda days, hours: (START + dt.timedelta(days=days, hours=hours)).isoformat(sep=" "),
    st.integers(-800, 800),
    st.integers(0, 23),
)
almost_iso = st.sampled_from(
    [
        "2024-13-45",
        "2024-02-30",
        "2024-00-01",
        "0000-01-01",
        "9999-12-31 23:59:59",
        "2024-01-01T25:61",
        "2024-01-01 10:00+99:99",
        "2024-01-01Z",
        "2024-01-01T10:00:00.123456789",
        "2024-01-01 10:00+01:00",
        "2024-01-01 10:00-0500",
        "1677-09-21",
        "2262-04-12",
        "",
    ]
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, 2**53 + 1, 4.0, 10.0, 11.0]),
)
naive_datetimes = st.datetimes(
    min_value=dt.datetime(1700, 1, 1),  # noqa: DTZ001 - naive on purpose
    max_value=dt.datetime(2250, 1, 1),  # noqa: DTZ001 - naive on purpose
)
aware_datetimes = st.datetimes(
    min_value=dt.datetime(1700, 1, 1),  # noqa: DTZ001 - zone added by timezones=
    max_value=dt.datetime(2250, 1, 1),  # noqa: DTZ001 - zone added by timezones=
    timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=30))]),
)
anything = st.one_of(
    st.none(),
    junk_text,
    numbers,
    st.booleans(),
    naive_datetimes,
    iso_dates,
    almost_iso,
    st.sampled_from(KNOWN_TYPES),
)

# What a cell of each column looks like in a "well typed" frame.
TYPED: dict[str, st.SearchStrategy[Any]] = {
    "customer_id": st.one_of(st.sampled_from(["a", "b", "c", "d"]), st.none(), junk_text),
    "timestamp": st.one_of(iso_dates, almost_iso),
    "event_type": st.one_of(st.sampled_from(KNOWN_TYPES), st.none(), junk_text),
    "revenue": numbers,
    "cost": numbers,
    "score": st.one_of(st.integers(-2, 12).map(float), numbers),
    "channel": st.one_of(st.sampled_from(["web", "email", "referral", "direct"]), st.none()),
    "campaign": st.one_of(st.sampled_from(["x", "y"]), st.none(), st.integers(0, 3)),
    "order_id": st.one_of(st.integers(0, 5), st.none(), junk_text),
}
DTYPES = ("object", "float64", "Int64", "string", "datetime", "bool", "category", "auto")


def _series(values: list[Any], dtype: str) -> pd.Series:
    """Build a column of the wanted dtype, or an object column when the values do not fit."""
    with warnings.catch_warnings():  # casting junk warns; building the input is not under test
        warnings.simplefilter("ignore")
        return _build(values, dtype)


def _build(values: list[Any], dtype: str) -> pd.Series:
    try:
        if dtype == "datetime":
            return pd.Series(pd.to_datetime(values, errors="coerce", format="mixed"))
        if dtype == "auto":
            return pd.Series(values)
        return pd.Series(values, dtype=dtype)
    except (ValueError, TypeError, OverflowError):
        return pd.Series(values, dtype="object")


@st.composite
def hostile_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Return an event frame that may break any part of the contract."""
    rows = draw(st.integers(0, 30))
    typed = draw(st.booleans())
    columns: dict[str, pd.Series] = {}
    for name in COLUMNS:
        required = name in {"customer_id", "timestamp", "event_type"}
        dropped = draw(st.integers(0, 19)) == 0 if required else draw(st.booleans())
        if dropped:
            continue
        cells = TYPED[name] if typed else anything
        values = [draw(cells) for _ in range(rows)]
        dtype = "auto" if typed and name != "timestamp" else draw(st.sampled_from(DTYPES))
        if typed and name == "timestamp":
            dtype = draw(st.sampled_from(["auto", "datetime", "string"]))
        columns[name] = _series(values, dtype)
    if draw(st.booleans()):
        columns[draw(junk_text)] = _series([draw(anything) for _ in range(rows)], "auto")
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))


@st.composite
def facade_options(draw: st.DrawFn) -> dict[str, Any]:
    """Return keyword options of compute_kpis: mostly valid, sometimes junk."""

    def either(valid: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(valid, anything) if draw(st.integers(0, 9)) == 0 else valid)

    options: dict[str, Any] = {
        "period": either(st.sampled_from(["D", "W", "M", "Q", "Y", None])),
        "by": either(st.sampled_from([None, "channel", ["channel", "campaign"], "campaign"])),
        "churn_from": either(st.sampled_from(["activity", "events"])),
        "unknown_events": either(st.sampled_from(["raise", "ignore", "ignore"])),
        "engagement": either(st.booleans()),
        "csat_scale": either(st.sampled_from([(1, 5), (0, 10), (1, 7)])),
        "csat_threshold": either(st.sampled_from([4, 5, 1])),
        "click_window": either(st.sampled_from(["7D", "1h", "0s", "2W"])),
        "top_fraction": either(st.sampled_from([0.2, 1.0, 0.5])),
    }
    if draw(st.integers(0, 3)) == 0:
        options["attribution"] = either(st.sampled_from(MODELS))
        options["by"] = "channel"
    return options
