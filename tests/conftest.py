"""Shared pytest configuration: reference data paths and the backend ``constructor`` fixture."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the reference datasets (``../shared/data``, see its SOURCES.md)."""
    if not SHARED_DATA.is_dir():  # pragma: no cover - the data ships beside the repo
        pytest.fail(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


# --- Backends -------------------------------------------------------------------------------
# Every backend the library promises, each built from the same pandas frame. PySpark runs in
# one shared local[2] session per test run; RETENTION_KPIS_SKIP_SPARK=1 skips its cases with a
# reason, otherwise a missing pyspark FAILS them (CI installs '.[spark]').
BACKENDS = ("pandas", "polars", "polars_lazy", "pyarrow", "duckdb", "pyspark")
LAZY_BACKENDS = frozenset({"polars_lazy", "duckdb", "pyspark"})
SKIP_SPARK = os.environ.get("RETENTION_KPIS_SKIP_SPARK") == "1"


def pytest_configure(config: pytest.Config) -> None:
    """Let pyspark's notice about pandas 3 through ``-W error`` (it is about pyspark, not us)."""
    config.addinivalue_line(
        "filterwarnings", "ignore:PySpark does not yet fully support pandas:FutureWarning"
    )


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] SparkSession for the whole run (UTC, no UI, tuned for tiny frames)."""
    if SKIP_SPARK:
        pytest.skip("PySpark backend skipped on request (RETENTION_KPIS_SKIP_SPARK=1)")
    try:
        from pyspark.sql import SparkSession  # noqa: PLC0415 - optional backend
    except ImportError as exc:  # pragma: no cover - CI installs pyspark
        pytest.fail(
            f"pyspark is not importable ({exc}): pip install -e '.[spark]', "
            "or set RETENTION_KPIS_SKIP_SPARK=1 to skip the PySpark cases"
        )
    session = (
        SparkSession.builder.master("local[2]")
        .appName("retention_kpis-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "2")
        # Test data is tiny: compiling code for every query costs more than running it
        # (measured: ~3.4 s instead of ~13 s per compute_kpis call). Results do not change.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@dataclasses.dataclass(frozen=True)
class Constructor:
    """Turns a pandas frame into one backend's native frame (``name`` is the backend)."""

    name: str
    request: pytest.FixtureRequest

    @property
    def lazy(self) -> bool:
        return self.name in LAZY_BACKENDS

    def __call__(self, frame: pd.DataFrame) -> Any:
        import pyarrow as pa  # noqa: PLC0415 - test extra

        if self.name == "pandas":
            return frame
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.name == "pyarrow":
            return table
        if self.name in {"polars", "polars_lazy"}:
            import polars as pl  # noqa: PLC0415 - test extra

            polars_frame = pl.from_arrow(table)
            return polars_frame.lazy() if self.name == "polars_lazy" else polars_frame
        if self.name == "duckdb":
            import duckdb  # noqa: PLC0415 - test extra

            return duckdb.from_arrow(table)
        return self.request.getfixturevalue("spark").createDataFrame(table)


@pytest.fixture(params=BACKENDS)
def constructor(request: pytest.FixtureRequest) -> Constructor:
    """Each backend in turn, as a callable ``constructor(pandas_frame) -> native frame``."""
    return Constructor(request.param, request)


@pytest.fixture(params=[name for name in BACKENDS if name != "pyspark"])
def in_process_constructor(request: pytest.FixtureRequest) -> Constructor:
    """Every backend but PySpark, for tests that run PySpark once in a slow test of their own."""
    return Constructor(request.param, request)


# --- Display ----------------------------------------------------------------------------------
@dataclasses.dataclass
class HTMLCells:
    """What an HTML table parses to: header texts, row cell texts, every tag name, list items."""

    headers: list[str] = dataclasses.field(default_factory=list)
    rows: list[list[str]] = dataclasses.field(default_factory=list)
    tags: list[str] = dataclasses.field(default_factory=list)
    items: list[str] = dataclasses.field(default_factory=list)


class _TableParser(HTMLParser):
    """Collect the texts of <th>, <td> and <li> elements and every tag name."""

    def __init__(self) -> None:
        super().__init__()
        self.found = HTMLCells()
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002 - HTMLParser's signature
        self.found.tags.append(tag)
        if tag == "tr":
            self.found.rows.append([])
        targets = {"th": self.found.headers, "li": self.found.items}
        if tag in targets:
            self._open = targets[tag]
        elif tag == "td":
            self._open = self.found.rows[-1]
        if tag in {"th", "td", "li"} and self._open is not None:
            self._open.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"th", "td", "li"}:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[-1] += data


def parse_html(page: str) -> HTMLCells:
    """Parse ``page`` with the standard library's ``html.parser``."""
    parser = _TableParser()
    parser.feed(page)
    parser.close()
    found = parser.found
    found.rows = [row for row in found.rows if row]  # the header row holds <th> cells only
    return found


@pytest.fixture
def html_cells() -> Any:
    """The :func:`parse_html` function: ``html_cells(page).rows`` etc."""
    return parse_html
