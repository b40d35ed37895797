"""The installed ``retention-kpis`` script on CSV and Parquet files with foreign names.

Done-when of issue #17: flags map the columns and event names, and the report equals the
Python call with the matching EventSchema, on both readers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retention_kpis import EventSchema, EventTypes, compute_kpis
from retention_kpis.datasets import make_events

SCRIPT = shutil.which("retention-kpis") or str(Path(sys.executable).with_name("retention-kpis"))
RENAMED_COLUMNS = {
    "customer_id": "user_id",
    "timestamp": "ts",
    "event_type": "event",
    "revenue": "amount",
    "channel": "source",
}
RENAMED_EVENTS = {"visit": "session_start", "purchase": "order_completed", "spend": "ad_cost"}
SCHEMA = EventSchema(**RENAMED_COLUMNS, event_types=EventTypes(**RENAMED_EVENTS))
FLAGS = [
    *(arg for role, name in RENAMED_COLUMNS.items() for arg in ("--column", f"{role}={name}")),
    *(arg for kind, name in RENAMED_EVENTS.items() for arg in ("--event", f"{kind}={name}")),
]


@pytest.fixture(scope="module")
def foreign_events():
    events = make_events(150, seed=3, start="2024-01-01", end="2024-04-30")
    events = events.rename(columns=RENAMED_COLUMNS)
    events["event"] = events["event"].replace(RENAMED_EVENTS)
    return events


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("reader", ["duckdb", "polars", "pandas"])
def test_installed_script_maps_foreign_names_like_the_python_call(
    tmp_path, foreign_events, suffix, reader
):
    path = tmp_path / f"events{suffix}"
    if suffix == ".csv":
        foreign_events.to_csv(path, index=False)
    else:
        foreign_events.to_parquet(path, index=False)
    result = subprocess.run(  # noqa: S603 - fixed argv built by the test
        [
            SCRIPT,
            "report",
            str(path),
            *FLAGS,
            "--by",
            "source",
            "--reader",
            reader,
            "--format",
            "json",
            "-q",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout, parse_constant=pytest.fail)
    expected = json.loads(
        compute_kpis(foreign_events, schema=SCHEMA, by="source").model_dump_json()
    )
    assert len(printed["rows"]) == len(expected["rows"]) > 0
    for got, want in zip(printed["rows"], expected["rows"], strict=True):
        assert got.keys() == want.keys()
        for name, value in want.items():
            if isinstance(value, float):
                assert got[name] == pytest.approx(value, rel=1e-12), name
            else:
                assert got[name] == value, name
    assert printed["event_schema"] == expected["event_schema"]
