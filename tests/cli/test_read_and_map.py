"""The console script on real files: text ids, --column/--event, readers, tables, CSV, JSON."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from retention_kpis import EventSchema, EventTypes, compute_kpis
from retention_kpis.cli import main
from retention_kpis.report.columns import DEFINITIONS

READERS = ["duckdb", "polars", "pandas"]


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def strict_loads(text):
    """json.loads that refuses NaN, Infinity and -Infinity (as strict parsers do)."""

    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def rows(out):
    return list(csv.DictReader(io.StringIO(out)))


IDS_CSV = """\
customer_id,timestamp,event_type,revenue,channel
007,2024-01-02,visit,NA,NA
7,2024-01-03,visit,,null
0007,2024-01-04,visit,,
0007,2024-01-05,purchase,30,
"""


@pytest.mark.parametrize("reader", READERS)
def test_ids_are_text_and_only_empty_cells_are_missing(capsys, tmp_path, reader):
    # 007, 7 and 0007 are three visitors (pandas' default reading made them one, 7);
    # one of them (0007) purchased: conversion 1/3. The channel cells "NA" and "null"
    # are the segments "NA" and "null"; only the empty cells are missing. "NA" in the
    # numeric revenue column of a visit is a missing value.
    path = tmp_path / "events.csv"
    path.write_text(IDS_CSV, encoding="utf-8")
    code, out, _ = run(capsys, "report", path, "--reader", reader, "--format", "csv", "-q")
    assert code == 0
    assert [(r["visitors"], r["orders"]) for r in rows(out)] == [("3", "1")]
    code, out, _ = run(
        capsys,
        "report",
        path,
        "--reader",
        reader,
        "--format",
        "csv",
        "-q",
        "--by",
        "channel",
        "--columns",
        "channel,visitors",
    )
    assert code == 0
    assert rows(out) == [
        {"channel": "NA", "visitors": "1"},
        {"channel": "null", "visitors": "1"},
        {"channel": "", "visitors": "1"},
    ]


@pytest.mark.parametrize("reader", READERS)
def test_verbose_names_the_reader(capsys, tmp_path, reader):
    path = tmp_path / "events.csv"
    path.write_text(IDS_CSV, encoding="utf-8")
    code, _, err = run(capsys, "report", path, "--reader", reader, "-v", "-q")
    assert code == 0
    where = {
        "duckdb": "kept in DuckDB, aggregated there",
        "polars": "a polars frame, aggregated lazily",
        "pandas": "in memory",
    }[reader]
    assert err == f"reader: {reader} ({where}): {path}\n"


FOREIGN_CSV = """\
user_id,ts,event,amount,source
u1,2024-01-02T10:00:00,session_start,,email
u1,2024-01-02T10:05:00,order_completed,40.5,email
u2,2024-01-20T09:00:00,session_start,,social
u2,2024-02-03T09:00:00,session_start,,social
u2,2024-02-03T09:30:00,order_completed,19.5,social
u1,2024-02-10T12:00:00,order_completed,10,email
"""
MAPPING = [
    "--column",
    "customer_id=user_id",
    "--column",
    "timestamp=ts",
    "--column",
    "event_type=event",
    "--column",
    "revenue=amount",
    "--column",
    "channel=source",
    "--event",
    "visit=session_start",
    "--event",
    "purchase=order_completed",
]
SCHEMA = EventSchema(
    customer_id="user_id",
    timestamp="ts",
    event_type="event",
    revenue="amount",
    channel="source",
    event_types=EventTypes(visit="session_start", purchase="order_completed"),
)


@pytest.mark.parametrize("reader", READERS)
def test_mapping_flags_give_the_report_of_the_python_call(capsys, tmp_path, reader):
    path = tmp_path / "events.csv"
    path.write_text(FOREIGN_CSV, encoding="utf-8")
    code, out, _ = run(
        capsys,
        "report",
        path,
        *MAPPING,
        "--by",
        "source",
        "--reader",
        reader,
        "--format",
        "json",
    )
    assert code == 0
    expected = compute_kpis(pd.read_csv(path), schema=SCHEMA, by="source")
    document = strict_loads(out)
    assert document["rows"] == json.loads(expected.model_dump_json())["rows"]
    # By hand: January email: u1 visited and bought 40.5; February social: u2 bought 19.5.
    january_email = document["rows"][0]
    assert (january_email["segment"], january_email["revenue"]) == ({"source": "email"}, 40.5)


def test_unknown_role_suggests_the_closest(capsys, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(FOREIGN_CSV, encoding="utf-8")
    code, _, err = run(capsys, "report", path, "--column", "customer=user_id")
    assert code == 2
    assert err == (
        "error: --column customer=user_id: unknown role 'customer'; did you mean "
        "'customer_id'? Known: customer_id, timestamp, event_type, revenue, cost, channel, "
        "campaign, score, order_id\n"
    )


def test_unknown_event_types_hint_names_the_event_flag(capsys, tmp_path):
    # "Purchased" is close to the kind "purchase" (difflib ratio 0.94), which the data lacks.
    path = tmp_path / "events.csv"
    path.write_text(
        "customer_id,timestamp,event_type,revenue\na,2024-01-01,visit,\na,2024-01-02,Purchased,5\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "report", path)
    assert code == 2
    assert "--event purchase=Purchased" in err
    assert "EventTypes(purchase='Purchased')" in err


INJECTION_CSV = """\
customer_id,timestamp,event_type,revenue,campaign
a,2024-01-02,purchase,10,"=HYPERLINK(""http://x.test"",""y"")"
b,2024-01-02,purchase,20,+cmd|' /C calc'!A0
c,2024-01-02,purchase,30,@SUM(A1)
d,2024-01-02,purchase,40,-3.5
"""


def test_csv_output_neutralises_formulas_but_not_numbers(capsys, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(INJECTION_CSV, encoding="utf-8")
    argv = ["report", path, "--by", "campaign", "--format", "csv", "-q", "--kpis", "revenue"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    # OWASP: text cells starting with = + - @ get a leading '; "-3.5" is a number as text
    # and stays; the revenue numbers stay numbers. Rows in segment order (+ - = @ in ASCII).
    assert [(r["campaign"], r["revenue"]) for r in rows(out)] == [
        ("'+cmd|' /C calc'!A0", "20.0"),
        ("-3.5", "40.0"),
        ('\'=HYPERLINK("http://x.test","y")', "10.0"),
        ("'@SUM(A1)", "30.0"),
    ]
    code, out, _ = run(capsys, *argv, "--csv-formulas", "keep")
    assert rows(out)[0]["campaign"] == "+cmd|' /C calc'!A0"


def test_table_drops_null_columns_selects_kpis_and_fits_the_width(capsys, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(FOREIGN_CSV, encoding="utf-8")
    code, out, _ = run(
        capsys,
        "report",
        path,
        *MAPPING,
        "--kpis",
        "visitors,revenue,nps,aov",
        "--width",
        "30",
        "-q",
    )
    assert code == 0
    # January: 2 visitors (u1, u2), revenue 40.5 = aov (one order); February: 1 visitor
    # (u2), revenue 19.5 + 10 = 29.5 over 2 orders: aov 14.75. No NPS responses: the nps
    # column is null on every row and left out. 30 characters hold period, visitors and
    # revenue (10 + 2 + 8 + 2 + 7 = 29); aov goes to a second block.
    assert out == (
        "period      visitors  revenue\n"
        "----------  --------  -------\n"
        "2024-01-01         2    40.50\n"
        "2024-02-01         1    29.50\n"
        "\n"
        "period        aov\n"
        "----------  -----\n"
        "2024-01-01  40.50\n"
        "2024-02-01  14.75\n"
        "(null on every row, not shown: nps)\n"
    )


def test_unknown_kpi_is_a_usage_error(capsys, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(FOREIGN_CSV, encoding="utf-8")
    code, _, err = run(capsys, "report", path, *MAPPING, "--kpis", "revenu")
    assert code == 2
    assert err.startswith("error: --kpis: unknown column(s) ['revenu']; choose from visitors, ")


def test_every_json_output_is_strict(capsys, tmp_path):
    path = tmp_path / "events.csv"
    # One customer, one purchase, no visits and no spend: conversion, roas and cpa are
    # undefined (null), and the retention of the only month too.
    path.write_text("customer_id,timestamp,event_type,revenue\na,2024-01-02,purchase,5\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nmetrics: [{name: roas, type: builtin, kpi: roas}]\n"
        "expectations: [{metric: roas, min: 1, undefined: skip}]\n"
    )
    outputs = {
        "report": run(capsys, "report", path, "--format", "json")[1],
        "report spec": run(capsys, "report", spec, "--data", path, "--format", "json")[1],
        "check": run(capsys, "check", spec, "--data", path, "--format", "json")[1],
        "schema": run(capsys, "schema")[1],
        "schema --report": run(capsys, "schema", "--report")[1],
    }
    documents = {name: strict_loads(text) for name, text in outputs.items()}
    assert documents["report"]["rows"][0]["roas"] is None
    assert documents["report spec"]["metrics"][0]["rows"][0]["value"] is None
    assert documents["check"]["results"][0]["actual"] is None


def test_report_schema_describes_every_row_field_with_ranges(capsys):
    schema = strict_loads(run(capsys, "schema", "--report")[1])
    row = schema["$defs"]["KPIRow"]["properties"]
    assert all(field.get("description") for field in row.values()), [
        name for name, field in row.items() if not field.get("description")
    ]
    assert row["nps"]["description"] == DEFINITIONS["nps"]
    assert row["nps"]["anyOf"][0] == {"type": "number", "minimum": -100, "maximum": 100}
    assert row["conversion_rate"]["anyOf"][0] == {"type": "number", "minimum": 0, "maximum": 1}
    assert row["revenue"]["anyOf"][0] == {"type": "number", "minimum": 0}
    assert row["nps"]["default"] is None


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_report_draws_progress_for_each_step_on_a_terminal(monkeypatch, tmp_path, quiet):
    path = tmp_path / "events.csv"
    path.write_text(FOREIGN_CSV, encoding="utf-8")
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert main(["report", str(path), *MAPPING, *(["-q"] if quiet else [])]) == 0
    drawn = terminal.getvalue()
    if quiet:
        assert drawn == ""
        return
    steps = [part.split("] ", 1)[1].rstrip() for part in drawn.split("\r") if "] " in part]
    assert steps == [
        f"0/4 reading {path}"[: 79 - 27],  # the bar line is cut at 79: 27 go to "[###...] "
        "1/4 validating events",
        "2/4 aggregating",
        "3/4 computing KPIs",
        "4/4 done",
    ]


@pytest.mark.parametrize("reader", READERS)
def test_impossible_date_gets_the_library_message_on_every_reader(capsys, tmp_path, reader):
    path = tmp_path / "events.csv"
    path.write_text(
        "customer_id,timestamp,event_type,revenue\na,2024-02-30,visit,\nb,2024-01-01,visit,\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "report", path, "--reader", reader)
    assert code == 2
    assert err == (
        "error: Column 'timestamp' of events holds 1 row that cannot be parsed as ISO 8601 "
        "timestamps (first: '2024-02-30').\nHint: convert the column to datetimes first.\n"
    )


def test_auto_reader_falls_back_to_polars_then_pandas(capsys, tmp_path, monkeypatch):
    path = tmp_path / "events.csv"
    path.write_text(IDS_CSV, encoding="utf-8")
    real_find_spec = __import__("importlib.util").util.find_spec
    missing = {"duckdb"}
    monkeypatch.setattr(
        "importlib.util.find_spec",
        lambda name, *args: None if name in missing else real_find_spec(name, *args),
    )
    assert main(["report", str(path), "-v", "-q"]) == 0
    assert capsys.readouterr().err.startswith("reader: polars ")
    missing.add("polars")
    assert main(["report", str(path), "-v", "-q"]) == 0
    assert capsys.readouterr().err.startswith("reader: pandas ")
