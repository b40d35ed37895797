"""``retention-kpis report`` and ``check`` on a database table (issue #19).

``--data postgresql://... --table events`` reads the table of the test server
(tests/sql/conftest.py) as a SQLFrame frame; the report must equal the report of the
same events from a Parquet file (the file path is the reference: tests/cli checks it),
and a password in the URL must never reach stdout, stderr or a written file.
"""

from __future__ import annotations

import csv
import io
import math

import pytest

from retention_kpis.cli import main
from retention_kpis.datasets import make_events

from .conftest import PG_TYPES, REQUIRE, load_events

if not REQUIRE:  # CI (RETENTION_KPIS_REQUIRE_POSTGRES=1): a missing SQLFrame fails below
    pytest.importorskip("sqlframe.postgres", reason="pip install -e '.[sql]'")

SECRET = "S3cret-Pa55word"  # noqa: S105 - a test password that must never be printed
SPEC = '{"version": 1, "metrics": [{"name": "orders", "type": "builtin", "kpi": "orders"}], "expectations": [{"metric": "orders", "min": 0}]}'


@pytest.fixture(scope="module")
def events():
    return make_events(30, seed=5)


@pytest.fixture(scope="module")
def server(postgres, events):
    connection = postgres.connect()
    load_events(connection, "cli_events", events, PG_TYPES)
    connection.close()
    return postgres


@pytest.fixture(autouse=True)
def fresh_sqlframe_session():
    """The CLI makes SQLFrame's one session per process; stop it after each test."""
    yield
    from sqlframe.base.session import _BaseSession  # noqa: PLC0415

    session = _BaseSession._instance
    if session is not None:
        session.stop()


def rows_of(text):
    return list(csv.reader(io.StringIO(text)))


def same_csv(got, expected):
    a, b = rows_of(got), rows_of(expected)
    assert a[0] == b[0]
    assert len(a) == len(b)
    for row_a, row_b in zip(a[1:], b[1:], strict=True):
        for x, y in zip(row_a, row_b, strict=True):
            if number(y) is None:
                assert x == y
            else:
                fx, fy = number(x), number(y)
                assert fx is not None
                assert math.isclose(fx, fy, rel_tol=1e-9) or (math.isnan(fx) and math.isnan(fy))


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def test_report_on_a_postgres_table_equals_the_file_report(server, events, tmp_path, capsys):
    parquet = tmp_path / "events.parquet"
    events.to_parquet(parquet)
    assert main(["report", str(parquet), "--format", "csv", "-q"]) == 0
    expected = capsys.readouterr().out
    url = f"postgresql://postgres:{SECRET}@{server.host}:{server.port}/{server.dbname}"
    out = tmp_path / "report.csv"
    code = main(
        ["report", "--data", url, "--table", "cli_events", "--format", "csv", "--output", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    same_csv(out.read_text(encoding="utf-8"), expected)
    assert len(rows_of(expected)) > 20  # two years of months
    for text in (captured.out, captured.err, out.read_text(encoding="utf-8")):
        assert SECRET not in text


def test_check_on_a_postgres_table_passes_and_hides_the_password(server, tmp_path, capsys):
    spec = tmp_path / "kpis.json"
    spec.write_text(SPEC, encoding="utf-8")
    url = f"postgresql://postgres:{SECRET}@{server.host}:{server.port}/{server.dbname}"
    for fmt in ("text", "json", "junit"):
        code = main(["check", str(spec), "--data", url, "--table", "cli_events", "--format", fmt])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert SECRET not in captured.out + captured.err


@pytest.mark.parametrize(
    ("table", "port_shift", "expected"),
    [
        ("no_such_table", 0, "cannot read table 'no_such_table' of 'postgresql://postgres:***@"),
        ("cli_events", 1, "cannot read table 'cli_events' of 'postgresql://postgres:***@"),
    ],
)
def test_database_errors_never_show_the_password(server, capsys, table, port_shift, expected):
    url = f"postgresql://postgres:{SECRET}@{server.host}:{server.port + port_shift}/{server.dbname}"
    code = main(["report", "--data", url, "--table", table, "-q"])
    captured = capsys.readouterr()
    assert code == 2
    assert expected in captured.err
    assert SECRET not in captured.out + captured.err


def test_a_database_without_table_and_a_table_without_database_are_usage_errors(tmp_path, capsys):
    url = f"postgresql://postgres:{SECRET}@127.0.0.1:1/db"
    assert main(["report", "--data", url, "-q"]) == 2
    err = capsys.readouterr().err
    assert "name the events table with --table" in err
    assert SECRET not in err
    csv_file = tmp_path / "e.csv"
    csv_file.write_text("a\n1\n", encoding="utf-8")
    assert main(["report", "--data", str(csv_file), "--table", "t", "-q"]) == 2
    assert "--table goes with a database" in capsys.readouterr().err


def test_report_on_a_duckdb_database_file(events, tmp_path, capsys):
    import duckdb  # noqa: PLC0415 - test extra

    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.register("frame", events)
        connection.execute("CREATE TABLE events AS SELECT * FROM frame")
    parquet = tmp_path / "events.parquet"
    events.to_parquet(parquet)
    assert main(["report", str(parquet), "--format", "csv", "-q"]) == 0
    expected = capsys.readouterr().out
    assert (
        main(["report", "--data", str(database), "--table", "events", "--format", "csv", "-q"]) == 0
    )
    same_csv(capsys.readouterr().out, expected)
