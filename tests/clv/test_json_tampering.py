"""Tampered model JSON gets the library's error naming the field (issue #16, item 15).

Before the fix ``from_json`` raised a raw ``KeyError`` (no ``params``), ``TypeError`` (params
not a mapping), pydantic's ``ValidationError`` (a string parameter) or a bare
``OverflowError`` (an integer beyond the float range).
"""

from __future__ import annotations

import json

import pytest

from retention_kpis import InvalidInputError
from retention_kpis.clv import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
)

GOOD = json.loads(GammaGammaModel.from_params(p=6.0, q=4.0, v=15.0).to_json())
PREFIX = "The '{field}' field of the GammaGammaModel JSON must "


def document(**changes: object) -> str:
    return json.dumps({**GOOD, **changes})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            json.dumps({"model": "GammaGammaModel"}),
            PREFIX.format(field="params")
            + "hold exactly the keys ['p', 'q', 'v']. Got None instead.",
        ),
        (
            document(params=[6, 4, 15]),
            PREFIX.format(field="params")
            + "hold exactly the keys ['p', 'q', 'v']. Got [6, 4, 15] instead.",
        ),
        (
            document(params={"p": 6, "q": 4}),
            PREFIX.format(field="params")
            + "hold exactly the keys ['p', 'q', 'v']. Got ['p', 'q'] instead.",
        ),
        (
            document(params={"p": "6", "q": 4, "v": 15}),
            PREFIX.format(field="params.p") + "be a positive finite number. Got '6' instead.",
        ),
        (
            document(params={"p": 10**350, "q": 4, "v": 15}),
            PREFIX.format(field="params.p")
            + "be a positive finite number. Got an integer of about 351 digits instead.",
        ),
        (
            document(params={"p": 6, "q": -4, "v": 15}),
            PREFIX.format(field="params.q") + "be a positive finite number. Got -4 instead.",
        ),
        (
            document(log_likelihood="high"),
            PREFIX.format(field="log_likelihood")
            + "be a finite number or null. Got 'high' instead.",
        ),
        (
            document(n_customers=10**350),
            PREFIX.format(field="n_customers")
            + "be a finite number or null. Got an integer of about 351 digits instead.",
        ),
        (
            document(covariance=[[1.0, 0.0], [0.0]]),
            PREFIX.format(field="covariance")
            + "be null or a 3 x 3 list of finite numbers. Got [[1.0, 0.0], [0.0]] instead.",
        ),
        (
            document(covariance="none"),
            PREFIX.format(field="covariance")
            + "be null or a 3 x 3 list of finite numbers. Got 'none' instead.",
        ),
        (
            '{"model": "GammaGammaModel", "params": {"p": ' + "9" * 5000 + ', "q": 4, "v": 15}}',
            (
                "The 'text' parameter of GammaGammaModel.from_json must be valid JSON. Got an error "
                "instead: an integer of 5000 digits (at most 400 are read)."
            ),
        ),
        (
            "{",
            (
                "The 'text' parameter of GammaGammaModel.from_json must be valid JSON. Got an error "
                "instead: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)."
            ),
        ),
    ],
    ids=[
        "no-params",
        "params-a-list",
        "a-parameter-missing",
        "a-string-parameter",
        "an-integer-beyond-float",
        "a-negative-parameter",
        "a-string-log-likelihood",
        "a-huge-n-customers",
        "a-ragged-covariance",
        "a-string-covariance",
        "five-thousand-digits",
        "not-json",
    ],
)
def test_tampered_json_names_the_field(text, message):
    with pytest.raises(InvalidInputError) as info:
        GammaGammaModel.from_json(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "model",
    [
        BetaGeoModel.from_params(r=0.24, alpha=4.41, a=0.79, b=2.43),
        ModifiedBetaGeoModel.from_params(r=0.24, alpha=4.41, a=0.79, b=2.43),
        ParetoNBDModel.from_params(r=0.55, alpha=10.58, s=0.61, beta=11.67),
        BetaGeoBetaBinomModel.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78),
        ShiftedBetaGeometricModel.from_params(alpha=0.7, beta=1.2),
        GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44),
    ],
    ids=lambda m: type(m).__name__,
)
def test_every_model_refuses_a_parameter_turned_into_a_string(model):
    payload = json.loads(model.to_json())
    first = next(iter(payload["params"]))
    payload["params"][first] = "1"
    with pytest.raises(InvalidInputError, match=rf"'params\.{first}' field of the"):
        type(model).from_json(json.dumps(payload))
    assert type(model).from_json(model.to_json()).params == model.params  # untampered: fine


def test_unknown_fields_are_refused():
    with pytest.raises(InvalidInputError, match=r"holds unknown field\(s\) \['zzz'\]"):
        GammaGammaModel.from_json(document(zzz=1))
