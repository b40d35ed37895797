"""Spec files load by the YAML 1.2 core schema: NO, yes, on, off stay text; 0777 is 777."""

from __future__ import annotations

import math

import pytest
import yaml

from retention_kpis.spec import load_spec
from retention_kpis.spec.load import read_spec_document
from retention_kpis.spec.yaml12 import Yaml12Loader, node_positions

# Expected values from the YAML 1.2.2 core schema tables (yaml.org/spec/1.2.2, 10.3.2):
# only true/True/TRUE/false/False/FALSE are booleans, integers are decimal unless 0o/0x,
# 1e3 matches the float pattern, and there is no timestamp type.
CASES = [
    ("NO", "NO"),
    ("no", "no"),
    ("yes", "yes"),
    ("Yes", "Yes"),
    ("on", "on"),
    ("off", "off"),
    ("y", "y"),
    ("True", True),
    ("FALSE", False),
    ("0777", 777),
    ("0o17", 15),
    ("0x1F", 31),
    ("-12", -12),
    ("1e3", 1000.0),
    ("1.5", 1.5),
    ("-.5E-2", -0.005),
    (".inf", math.inf),
    ("-.Inf", -math.inf),
    ("2024-01-01", "2024-01-01"),
    ("2024-01-01 10:00:00", "2024-01-01 10:00:00"),
    ("1_000", "1_000"),
    ("12:30", "12:30"),
    ("~", None),
    ("null", None),
    ("'0777'", "0777"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_scalars_load_by_the_core_schema(text, expected):
    loaded = yaml.load(f"value: {text}\n", Loader=Yaml12Loader)["value"]  # noqa: S506 - safe
    assert loaded == expected
    assert type(loaded) is type(expected)


def test_nan_loads_as_nan():
    assert math.isnan(yaml.load("value: .NaN\n", Loader=Yaml12Loader)["value"])  # noqa: S506


def test_country_codes_in_a_filter_stay_strings(tmp_path):
    # The case: under YAML 1.1 [NO, SE] loaded as [False, "SE"] and validated.
    path = tmp_path / "spec.yaml"
    path.write_text(
        "version: 1\nmetrics:\n  - name: nordic_orders\n    type: simple\n"
        "    measure: {count: purchase, filter: {country: [NO, SE]}}\n",
        encoding="utf-8",
    )
    assert read_spec_document(path)["metrics"][0]["measure"]["filter"] == {"country": ["NO", "SE"]}
    spec = load_spec(path)
    assert spec.metrics[0].measure.filter == {"country": ["NO", "SE"]}


def test_node_positions_are_one_based_lines_and_columns():
    text = "version: 1\nmetrics:\n  - {name: a, kpi: nps}\n  - name: b\n"
    positions = node_positions(text)
    # "  - {" : the first item's mapping starts at column 5 of line 3; "nps" at column 20.
    assert positions[("metrics", 0)] == (3, 5)
    assert positions[("metrics", 0, "kpi")] == (3, 20)
    assert positions[("metrics", 1, "name")] == (4, 11)
