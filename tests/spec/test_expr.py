"""Tests of retention_kpis.spec._expr: the safe parser of derived metrics."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis.spec._expr import ExpressionError, evaluate, names, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),  # * binds tighter than +
        ("(1 + 2) * 3", 9.0),
        ("8 / 4 / 2", 1.0),  # left-associative: (8 / 4) / 2
        ("10 - 4 - 3", 3.0),
        ("-a + b", 1.0),  # -2 + 3
        ("--a", 2.0),
        ("a * 1.5e1", 30.0),
        (".5 * b", 1.5),
    ],
)
def test_arithmetic_follows_usual_precedence(text, expected):
    assert evaluate(parse(text), {"a": 2.0, "b": 3.0}, metric="m") == expected


def test_division_by_zero_is_nan_without_warning():
    assert math.isnan(evaluate(parse("a / (b - b)"), {"a": 1.0, "b": 2.0}, metric="m"))


def test_names_lists_each_reference_once_in_order():
    assert names(parse("b / a + b * c")) == ["b", "a", "c"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the expression is empty"),
        ("a +", "the expression ends too early"),
        ("a b", "unexpected 'b' at position 3 (an operator was expected)"),
        ("(a", "the parenthesis opened at position 1 is never closed"),
        (")", "unexpected ')' at position 1 (an operand was expected)"),
        ("f(a)", "function calls are not allowed (f( at position 1)"),
        ("a.b", "unexpected character '.' at position 2"),
        ("a ** 2", "unexpected '*' at position 4"),
        ("'x'", 'unexpected character "\'" at position 1'),
        ("a[0]", "unexpected character '[' at position 2"),
        ("a" * 501, "longer than 500 characters"),
        ("(" * 60 + "a" + ")" * 60, "nests deeper than 50 levels"),
        ("1e999", "is not finite"),
    ],
)
def test_invalid_expressions_are_rejected_with_their_position(text, message):
    with pytest.raises(ExpressionError, match=None) as info:
        parse(text)
    assert message in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(1, 1000))
def test_integer_arithmetic_matches_python_operators(x, y, z):
    # The expected value uses Python's own operators on the same numbers (an independent oracle).
    text = f"({x}) + ({y}) * ({z}) - ({x}) / ({z})"
    assert evaluate(parse(text), {}, metric="m") == pytest.approx(x + y * z - x / z)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab+-*/() 1._'[]", max_size=30))
def test_parser_either_parses_or_raises_expression_error(text):
    try:
        tree = parse(text)
    except ExpressionError:
        return
    assert all(name.isidentifier() and set(name) <= set("ab_1") for name in names(tree))
