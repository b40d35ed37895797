"""Tests of retention_kpis.spec.schema: the JSON Schema accepts the examples, rejects broken specs."""

from __future__ import annotations

import copy
import json

import jsonschema
import pandas as pd
import pytest
import yaml

from retention_kpis import compute_kpis
from retention_kpis.spec import spec_json_schema
from retention_kpis.spec.schema import report_json_schema

from .conftest import BASE_SPEC, EXAMPLES

EXAMPLE_SPECS = sorted(
    [*EXAMPLES.glob("specs/*.yaml"), *EXAMPLES.glob("specs/*.json"), EXAMPLES / "ci" / "kpis.yaml"]
)


def read(path):
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


@pytest.fixture(scope="module")
def validator():
    schema = spec_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_there_are_example_specs():
    assert len(EXAMPLE_SPECS) >= 3


@pytest.mark.parametrize("path", EXAMPLE_SPECS, ids=lambda p: p.name)
def test_example_specs_validate_against_the_schema(validator, path):
    validator.validate(read(path))


def test_base_spec_validates(validator):
    validator.validate(BASE_SPEC)


def _broken(mutate):
    doc = copy.deepcopy(BASE_SPEC)
    mutate(doc)
    return doc


BROKEN = {
    "unknown top-level key": lambda d: d.update(colour="red"),
    "missing version": lambda d: d.pop("version"),
    "wrong version": lambda d: d.update(version=2),
    "bad period": lambda d: d.update(period="fortnight"),
    "empty metrics": lambda d: d.update(metrics=[]),
    "unknown metric type": lambda d: d["metrics"][0].update(type="magic"),
    "unknown kpi": lambda d: d["metrics"][1].update(kpi="profit"),
    "bad window": lambda d: d["metrics"][3].update(window="fortnight"),
    "unknown key in a metric": lambda d: d["metrics"][3].update(windw="M"),
    "metric name with a space": lambda d: d["metrics"][2].update(name="2 visitors"),
    "measure with two aggregations": lambda d: d["metrics"][5]["numerator"].update(sum="revenue"),
    "measure with none": lambda d: d["metrics"][5].update(denominator={"filter": {}}),
    "expectation without bound": lambda d: d["expectations"].append({"metric": "revenue"}),
    "negative tolerance": lambda d: d["expectations"].append(
        {"metric": "revenue", "equals": 1, "abs_tol": -1}
    ),
    "bound is text": lambda d: d["expectations"][0].update(min="low"),
    "bad period date": lambda d: d["expectations"][1].update(period="2024-13-01"),
    "unknown attribution model": lambda d: d.update(attribution={"model": "u_shaped"}),
    "events mapping typo": lambda d: d.update(events={"customer": "user_id"}),
    "nps scale": lambda d: d["metrics"].append(
        {"name": "n", "type": "builtin", "kpi": "nps", "scale": [1, 5]}
    ),
    "csat method": lambda d: d["metrics"].append(
        {"name": "c", "type": "builtin", "kpi": "csat", "method": "median"}
    ),
}


@pytest.mark.parametrize("mutate", BROKEN.values(), ids=BROKEN.keys())
def test_broken_specs_are_rejected_by_the_schema(validator, mutate):
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(_broken(mutate))


def test_report_schema_is_valid_and_describes_the_report_json():
    schema = report_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "timestamp": ["2024-01-05", "2024-01-06"],
            "event_type": ["visit", "purchase"],
            "revenue": [None, 20.0],
        }
    )
    document = json.loads(compute_kpis(events).model_dump_json())
    jsonschema.validate(document, schema)
    assert "rows" in schema["required"]


def test_descriptions_carry_no_doctest_examples():
    assert ">>>" not in json.dumps(spec_json_schema())
