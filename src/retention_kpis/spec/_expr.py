"""The arithmetic of ``derived`` metrics: a safe tokenizer and recursive-descent parser.

A derived expression combines metric names and numbers with ``+ - * /``, unary
minus and parentheses. Nothing else is accepted (no calls, attributes,
subscripts, strings or keywords), and nothing is ever handed to ``eval``: the
text is tokenised with one regular expression and parsed into the small tree
below, which :func:`evaluate` walks with plain float arithmetic.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import TypeAlias

from retention_kpis._core.checks import divide

__all__ = [
    "MAX_LENGTH",
    "BinaryOp",
    "ExpressionError",
    "Name",
    "Negate",
    "Node",
    "Number",
    "evaluate",
    "names",
    "parse",
]

MAX_LENGTH = 500
"""Longest expression accepted, in characters."""
_MAX_DEPTH = 50
_TOKEN = re.compile(
    r"(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/()]))"
)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


class ExpressionError(ValueError):
    """A derived expression that is not valid arithmetic of metric names and numbers."""


@dataclasses.dataclass(frozen=True)
class Number:
    """A numeric literal."""

    value: float


@dataclasses.dataclass(frozen=True)
class Name:
    """A reference to another metric of the spec."""

    name: str


@dataclasses.dataclass(frozen=True)
class Negate:
    """Unary minus."""

    operand: Node


@dataclasses.dataclass(frozen=True)
class BinaryOp:
    """``left op right`` with ``op`` one of ``+ - * /``."""

    op: str
    left: Node
    right: Node


Node: TypeAlias = Number | Name | Negate | BinaryOp


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """Split ``text`` into ``(kind, value, position)`` tokens; reject any other character."""
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            msg = (
                f"unexpected character {text[position]!r} at position {position + 1}; a derived "
                "expression holds only metric names, numbers, + - * / and parentheses"
            )
            raise ExpressionError(msg)
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent parser of derived expressions.

    Grammar: ``expr := term (('+'|'-') term)*``, ``term := factor (('*'|'/') factor)*``,
    ``factor := '-' factor | NUMBER | NAME | '(' expr ')'``.
    """

    def __init__(self, tokens: list[tuple[str, str, int]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            msg = "the expression ends too early (an operand is missing)"
            raise ExpressionError(msg)
        self.index += 1
        return token

    def expression(self, depth: int) -> Node:
        if depth > _MAX_DEPTH:
            msg = f"the expression nests deeper than {_MAX_DEPTH} levels"
            raise ExpressionError(msg)
        node = self.term(depth)
        while (token := self.peek()) is not None and token[1] in {"+", "-"}:
            self.index += 1
            node = BinaryOp(token[1], node, self.term(depth))
        return node

    def term(self, depth: int) -> Node:
        node = self.factor(depth)
        while (token := self.peek()) is not None and token[1] in {"*", "/"}:
            self.index += 1
            node = BinaryOp(token[1], node, self.factor(depth))
        return node

    def factor(self, depth: int) -> Node:
        kind, value, position = self.take()
        if value == "-":
            return Negate(self.factor(depth + 1))
        if kind == "number":
            number = float(value)
            if not math.isfinite(number):
                msg = f"the number {value} at position {position + 1} is not finite"
                raise ExpressionError(msg)
            return Number(number)
        if kind == "name":
            following = self.peek()
            if following is not None and following[1] == "(":
                msg = f"function calls are not allowed ({value}( at position {position + 1})"
                raise ExpressionError(msg)
            return Name(value)
        if value == "(":
            node = self.expression(depth + 1)
            closing = self.peek()
            if closing is None or closing[1] != ")":
                msg = f"the parenthesis opened at position {position + 1} is never closed"
                raise ExpressionError(msg)
            self.index += 1
            return node
        msg = f"unexpected {value!r} at position {position + 1} (an operand was expected)"
        raise ExpressionError(msg)


def parse(text: str) -> Node:
    """Parse a derived-metric expression into a tree, without evaluating anything.

    Parameters
    ----------
    text : str
        Metric names and numbers combined with ``+ - * /``, unary minus and
        parentheses, at most :data:`MAX_LENGTH` characters.

    Returns
    -------
    Node
        The expression tree.

    Raises
    ------
    ExpressionError
        On any other character, a call, a dangling operator or parenthesis.

    Examples
    --------
    >>> parse("revenue / (visitors + 1)")
    BinaryOp(op='/', left=Name(name='revenue'), right=BinaryOp(op='+', left=Name(name='visitors'), right=Number(value=1.0)))
    """  # noqa: E501 - the doctest output is one line
    if not isinstance(text, str) or not text.strip():
        msg = "the expression is empty"
        raise ExpressionError(msg)
    if len(text) > MAX_LENGTH:
        msg = f"the expression is longer than {MAX_LENGTH} characters"
        raise ExpressionError(msg)
    parser = _Parser(_tokens(text))
    node = parser.expression(0)
    leftover = parser.peek()
    if leftover is not None:
        msg = f"unexpected {leftover[1]!r} at position {leftover[2] + 1} (an operator was expected)"
        raise ExpressionError(msg)
    return node


def names(node: Node) -> list[str]:
    """Return the metric names an expression refers to, in order of first use.

    Examples
    --------
    >>> names(parse("a / b - a"))
    ['a', 'b']
    """
    if isinstance(node, Name):
        return [node.name]
    if isinstance(node, Negate):
        return names(node.operand)
    if isinstance(node, BinaryOp):
        return list(dict.fromkeys([*names(node.left), *names(node.right)]))
    return []


def fold(
    node: Node,
    *,
    leaf: Callable[[Name], str],
    number: str,
    combine: Callable[[str, str, str], str],
) -> str:
    """Fold an expression tree bottom-up (used to infer the unit of a derived metric)."""
    if isinstance(node, Name):
        return leaf(node)
    if isinstance(node, Number):
        return number
    if isinstance(node, Negate):
        return fold(node.operand, leaf=leaf, number=number, combine=combine)
    left = fold(node.left, leaf=leaf, number=number, combine=combine)
    right = fold(node.right, leaf=leaf, number=number, combine=combine)
    return combine(node.op, left, right)


def evaluate(node: Node, values: Mapping[str, float], *, metric: str) -> float:
    """Evaluate an expression on metric values; a zero divisor or a nan operand gives nan.

    Examples
    --------
    >>> evaluate(parse("2 * (a - b) / a"), {"a": 4.0, "b": 1.0}, metric="m")
    1.5
    >>> evaluate(parse("a / b"), {"a": 1.0, "b": 0.0}, metric="m")
    nan
    """
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        return float(values[node.name])
    if isinstance(node, Negate):
        return -evaluate(node.operand, values, metric=metric)
    left = evaluate(node.left, values, metric=metric)
    right = evaluate(node.right, values, metric=metric)
    if node.op in _ARITHMETIC:
        return _ARITHMETIC[node.op](left, right)
    return divide(left, right, zero_division=math.nan, kpi=metric, denominator_name="the divisor")
