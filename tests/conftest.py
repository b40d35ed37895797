"""Shared pytest configuration: reference data fixtures and the backend ``constructor`` fixture."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import pandas as pd
import pytest

from retention_kpis.datasets import load_donations, load_sbg_cohorts

# --- Reference data ---------------------------------------------------------------------------
# The data users need ships with the package (retention_kpis.datasets); what only the tests read
# is in tests/data (provenance and md5 in tests/data/README.md). Nothing is read from outside
# the repository: tests/test_self_contained.py fails if a test points there.
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Folder of the test-only reference files (``tests/data``, see its README.md)."""
    return TEST_DATA


@pytest.fixture
def cdnow_sample() -> pd.DataFrame:
    """CDNOW 1/10 sample: master id, sample id (1..2357), YYYYMMDD, CDs, dollars; no header."""
    transactions = pd.read_csv(
        TEST_DATA / "CDNOW_sample.txt.gz",
        sep=r"\s+",
        header=None,
        names=["master_id", "id", "date", "cds", "value"],
    )
    transactions["date"] = pd.to_datetime(transactions["date"].astype(str), format="%Y%m%d")
    return transactions


@pytest.fixture
def donors() -> pd.DataFrame:
    """pymc-marketing's ``bgbb_donations.csv``: ``load_donations()`` one row per donor.

    Each of the 22 weighted rows repeated ``weights`` times in file order, with
    ``customer_id`` 0..11103 and ``T`` = the 6 opportunities. tests/datasets checks that this
    frame written as CSV is byte for byte the published file (md5 in tests/data/README.md).
    """
    table = load_donations()
    rows = table.loc[table.index.repeat(table["weights"])].reset_index(drop=True)
    return pd.DataFrame(
        {
            "customer_id": range(len(rows)),
            "frequency": rows["frequency"],
            "recency": rows["recency"],
            "T": rows["periods"],
        }
    )


@pytest.fixture
def sbg_customers() -> pd.DataFrame:
    """pymc-marketing's ``sbg_paper.csv``: the sBG cohorts of years 0-7, one row per customer.

    High end then regular (ids 1..2000). ``survivors[t-1] - survivors[t]`` customers churned
    in year ``t`` (``recency = t``, t = 1..7); ``survivors[7]`` are still active
    (``recency = T = 8``). tests/datasets checks this frame written as CSV is byte for byte
    the published file (md5 in tests/data/README.md).
    """
    cohorts = load_sbg_cohorts()
    recency: list[int] = []
    names: list[str] = []
    for cohort in ("highend", "regular"):
        survivors = cohorts[cohort].tolist()[:8]
        for year in range(1, 8):
            recency += [year] * (survivors[year - 1] - survivors[year])
        recency += [8] * survivors[7]
        names += [cohort] * survivors[0]
    return pd.DataFrame(
        {
            "customer_id": range(1, len(recency) + 1),
            "recency": recency,
            "T": 8,
            "cohorts": names,
        }
    )


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


# --- Where the work runs on lazy engines ------------------------------------------------------


@pytest.fixture
def spy_collects(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[], list[tuple[int, tuple[str, ...]]]]:
    """A function that starts recording (rows, columns) of every narwhals collect.

    ``collected = spy_collects()`` patches ``LazyFrame.collect`` for the rest of the test and
    returns the list the spy appends to; collects before the call are not recorded.
    """

    def start() -> list[tuple[int, tuple[str, ...]]]:
        collected: list[tuple[int, tuple[str, ...]]] = []
        original = nw.LazyFrame.collect

        def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
            frame = original(self, *args, **kwargs)
            collected.append((len(frame), tuple(frame.columns)))
            return frame

        monkeypatch.setattr(nw.LazyFrame, "collect", spy)
        return collected

    return start


# --- Native frames --------------------------------------------------------------------------
# `constructor` goes through pandas, where nan IS null: a real nan, a null beside it or a -0.0
# key never reaches the other backends that way. `native` builds each backend's frame from
# plain Python columns with that backend's own constructor, keeping nan and null apart.
_SPARK_TYPES = {
    "string": "string",
    "double": "double",
    "int64": "bigint",
    "bool": "boolean",
}


@dataclasses.dataclass(frozen=True)
class Native:
    """Builds one backend's frame from ``{name: (values, arrow type)}`` without pandas."""

    name: str
    request: pytest.FixtureRequest

    @property
    def lazy(self) -> bool:
        return self.name in LAZY_BACKENDS

    def __call__(self, columns: dict[str, tuple[list[Any], Any]], time_zone: str = "UTC") -> Any:
        import pyarrow as pa  # noqa: PLC0415 - test extra

        table = pa.table(
            {
                name: pa.array(values, type=dtype, from_pandas=False)
                for name, (values, dtype) in columns.items()
            }
        )
        if self.name == "pandas":  # numpy dtypes: nan and null are both nan, as users have it
            return table.to_pandas()
        if self.name == "pyarrow":
            return table
        if self.name in {"polars", "polars_lazy"}:
            import polars as pl  # noqa: PLC0415 - test extra

            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            return frame.lazy() if self.name == "polars_lazy" else frame
        if self.name == "duckdb":
            import duckdb  # noqa: PLC0415 - test extra

            connection = duckdb.connect()
            connection.execute(f"SET TimeZone = '{time_zone}'")
            return connection.from_arrow(table)
        spark = self.request.getfixturevalue("spark")
        spark.conf.set("spark.sql.session.timeZone", time_zone)
        schema = ", ".join(
            f"`{field.name}` "
            + ("timestamp" if pa.types.is_timestamp(field.type) else _SPARK_TYPES[str(field.type)])
            for field in table.schema
        )
        rows = [tuple(values[i] for values, _ in columns.values()) for i in range(table.num_rows)]
        return spark.createDataFrame(rows, schema=schema)


@pytest.fixture(params=BACKENDS)
def native(request: pytest.FixtureRequest) -> Iterator[Native]:
    """Each backend in turn, as ``native({name: (values, arrow type)}) -> native frame``."""
    yield Native(request.param, request)
    if request.param == "pyspark" and not SKIP_SPARK:
        request.getfixturevalue("spark").conf.set("spark.sql.session.timeZone", "UTC")
