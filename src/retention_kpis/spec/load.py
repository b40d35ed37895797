"""Read a spec file (YAML with a safe loader, or JSON) and validate it into a MetricSpec.

Nothing in a spec is executed. YAML is read with a subclass of
``yaml.SafeLoader`` (no Python tags, no object construction) that also rejects
duplicate keys and keeps dates as text; JSON is read with :func:`json.loads`,
rejecting duplicate keys and ``NaN``/``Infinity``. Every problem is reported
as ``file: path: what was expected``, e.g. ``spec.yaml: metrics[3].window:
Input should be 'D', 'W', 'M', 'Q' or 'Y' (got 'fortnight')``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import reprlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from retention_kpis.exceptions import RetentionKPIsError
from retention_kpis.spec._references import BUILTIN_UNITS, reference_problems
from retention_kpis.spec.models import MetricSpec
from retention_kpis.spec.yaml12 import Yaml12Loader, with_positions

__all__ = ["SPEC_SUFFIXES", "SpecError", "SpecProblem", "load_spec", "read_spec_document"]

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
"""File suffixes read as specs."""
_MAX_BYTES = 1_000_000
_METRIC_TYPES = frozenset({"builtin", "simple", "ratio", "derived"})
_KPI_TAGS = frozenset(BUILTIN_UNITS)
_UNION_TAG = re.compile(
    r"^(date|str|int|float|bool|none|literal\[.*\]|list\[.*\]|dict\[.*\]|tuple\[.*\])$"
)
_USER_KEYS = frozenset({"filter", "segment"})
_EXPECTATION_TAGS = frozenset({"bound", "no_significant_drop"})
MAX_NESTING = 32
"""Deepest nesting of lists and mappings a spec file may have (a spec needs 6)."""
MAX_DIGITS = 100
"""Most digits of an integer in a spec file (Python refuses to read more than 4,300)."""


@dataclasses.dataclass(frozen=True)
class SpecProblem:
    """One problem of a spec: the file, the path in it and what was expected."""

    source: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(RetentionKPIsError):
    """An invalid spec; ``problems`` lists each problem with its path in the file.

    Examples
    --------
    >>> error = SpecError([SpecProblem("spec.yaml", "metrics[0].kpi", "unknown kpi")])
    >>> print(error)
    invalid spec (1 problem):
    spec.yaml: metrics[0].kpi: unknown kpi
    """

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"invalid spec ({count} problem{'s' if count != 1 else ''}):"]
        lines += [str(problem) for problem in self.problems]
        super().__init__("\n".join(lines))


class _SpecLoader(Yaml12Loader):
    """The YAML 1.2 core-schema safe loader (dates stay text) that rejects duplicate keys.

    It also refuses documents nested deeper than :data:`MAX_NESTING` (PyYAML
    composes and constructs nodes recursively: 5,000 ``[`` in a 10 KB file
    raised RecursionError) and integers of more than :data:`MAX_DIGITS` digits.
    The depth counts through aliases: a node's height is kept as it is composed.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._heights: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self._depth += 1
        if self._depth > MAX_NESTING:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"the document nests deeper than {MAX_NESTING} levels", event.start_mark
            )
        try:
            node = super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1
        if node is None:
            return None
        height = self._height(node)
        if self._depth + height > MAX_NESTING:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the document nests deeper than {MAX_NESTING} levels (through aliases)",
                node.start_mark,
            )
        return node

    def _height(self, node: yaml.Node) -> int:
        known = self._heights.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        else:
            children = []
        height = 1 + max((self._heights.get(id(child), 1) for child in children), default=0)
        self._heights[id(node)] = height
        return height


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
    return loader.construct_mapping(node, deep=True)


_SpecLoader.add_constructor("tag:yaml.org,2002:map", _mapping)


def _yaml_integer(loader: Yaml12Loader, node: yaml.ScalarNode) -> int:
    digits = sum(character.isdigit() for character in str(node.value))
    if digits > MAX_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"an integer of {digits:,} digits (at most {MAX_DIGITS})", node.start_mark
        )
    return loader.construct_yaml_int(node)


_SpecLoader.add_constructor("tag:yaml.org,2002:int", _yaml_integer)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        msg = f"found duplicate key(s) {duplicated}"
        raise ValueError(msg)
    return dict(pairs)


def _no_constant(name: str) -> None:
    msg = f"{name} is not a number a spec may hold"
    raise ValueError(msg)


def read_spec_document(path: str | Path) -> object:
    r"""Read a YAML or JSON spec file into plain data, without validating it.

    Parameters
    ----------
    path : str or Path
        A ``.yaml``, ``.yml`` or ``.json`` file of at most 1 MB.

    Returns
    -------
    object
        The document (a dict for a well-formed spec); dates stay text.

    Raises
    ------
    SpecError
        If the file is missing, too large, not UTF-8, or not valid YAML/JSON
        (with the line and column), or holds duplicate keys or Python tags.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.yaml").write_text("version: 1\nperiod: 2024-01-01\n")
    >>> read_spec_document(folder / "s.yaml")
    {'version': 1, 'period': '2024-01-01'}
    """
    path = Path(path)
    source = str(path)

    def fail(message: str) -> SpecError:
        return SpecError([SpecProblem(source, "", message)])

    if path.suffix.lower() not in SPEC_SUFFIXES:
        msg = f"a spec file must end in {', '.join(SPEC_SUFFIXES)}"
        raise fail(msg)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from exc
    if len(raw) > _MAX_BYTES:
        raise fail(f"the file is larger than {_MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail("the file is not UTF-8 text") from exc
    if path.suffix.lower() == ".json":
        return _parse_json(text, fail)
    return _parse_yaml(text, fail)


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_nesting(text: str, fail: Callable[[str], SpecError]) -> None:
    """Refuse JSON nested deeper than :data:`MAX_NESTING`, naming the line and column."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in {"[", "{"}:
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
                msg = (
                    f"line {line}, column {column}: invalid JSON: the document nests deeper "
                    f"than {MAX_NESTING} levels"
                )
                raise fail(msg)
        elif token in {"]", "}"}:
            depth -= 1


def _json_integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        msg = f"an integer of {digits:,} digits (at most {MAX_DIGITS})"
        raise ValueError(msg)
    return int(text)


def _parse_json(text: str, fail: Callable[[str], SpecError]) -> object:
    _json_nesting(text, fail)
    try:
        return json.loads(
            text,
            object_pairs_hook=_json_object,
            parse_constant=_no_constant,
            parse_int=_json_integer,
        )
    except json.JSONDecodeError as exc:
        msg = f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}"
        raise fail(msg) from exc
    except ValueError as exc:
        raise fail(f"invalid JSON: {exc}") from exc


def _parse_yaml(text: str, fail: Callable[[str], SpecError]) -> object:
    try:
        loader = _SpecLoader(text)  # a SafeLoader: no python tags, no code
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise fail(f"{where}invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise fail(f"invalid YAML: {exc}") from exc


def _is_tag(loc: tuple[int | str, ...], index: int, *, in_metric: bool) -> bool:
    """Whether ``loc[index]`` is a union tag pydantic adds (not a key of the file)."""
    item, previous = loc[index], loc[index - 1] if index else None
    if not isinstance(item, str) or previous in _USER_KEYS:
        return False
    if in_metric and isinstance(previous, int) and item in _METRIC_TYPES:
        return True
    if isinstance(previous, int) and index >= 2 and loc[index - 2] == "expectations":
        return item in _EXPECTATION_TAGS
    if in_metric and previous == "builtin" and item in _KPI_TAGS:
        return True
    return bool(_UNION_TAG.match(item))


def _path(loc: tuple[int | str, ...]) -> str:
    """Format a pydantic location as ``metrics[3].window``, dropping union tags."""
    parts: list[str] = []
    in_metric = False
    for index, item in enumerate(loc):
        if isinstance(item, int):
            parts.append(f"[{item}]")
            in_metric = index >= 1 and loc[index - 1] == "metrics"
        elif not _is_tag(loc, index, in_metric=in_metric):
            parts.append(f".{item}" if parts else item)
    return "".join(parts)


def _short_repr(value: object, limit: int = 200) -> str:
    """Return ``repr(value)``, or a bounded one when the value is big.

    YAML aliases can make a small file a huge nested list (``&a [*b, *b, ...]``
    repeated): ``repr`` of it would take exponential time and memory. Up to
    ``limit`` nodes the plain ``repr`` is used; beyond, :mod:`reprlib`.
    """
    stack, seen = [value], 0
    while stack and seen <= limit:
        item = stack.pop()
        seen += 1
        if isinstance(item, (list, tuple)):
            stack.extend(item[: limit + 1])
        elif isinstance(item, dict):
            stack.extend(list(item.values())[: limit + 1])
    if seen <= limit:
        return repr(value)
    short = reprlib.Repr()  # keyword arguments need Python 3.12
    short.maxlevel, short.maxlist, short.maxdict, short.maxstring = 3, 8, 8, 60
    return short.repr(value)


def _message(error: ErrorDetails) -> tuple[str, str]:
    """Return ``(path, message)`` of one pydantic error, in the spec's words."""
    kind = error["type"]
    path = _path(tuple(error["loc"]))
    context = error.get("ctx", {})
    if kind == "missing":
        return path, "required key is missing"
    if kind == "extra_forbidden":
        return path, "unknown key (see `retention-kpis schema` for the keys allowed here)"
    if kind == "union_tag_invalid":
        key = str(context.get("discriminator", "")).strip("'")
        return (
            f"{path}.{key}" if path else key,
            f"unknown {key} {context.get('tag')!r}; expected one of {context.get('expected_tags')}",
        )
    if kind == "union_tag_not_found":
        key = str(context.get("discriminator", "")).strip("'")
        return f"{path}.{key}" if path else key, "required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, (str, int, float, bool, list)) and kind != "value_error":
        shown = _short_repr(value)
        message += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    return path, message


def _validation_problems(error: ValidationError, source: str) -> list[SpecProblem]:
    merged: dict[str, list[str]] = {}
    for details in error.errors(include_url=False):
        path, message = _message(details)
        if message not in merged.setdefault(path, []):
            merged[path].append(message)
    return [SpecProblem(source, path, "; or ".join(messages)) for path, messages in merged.items()]


def load_spec(spec: str | Path | Mapping[str, Any], *, source: str | None = None) -> MetricSpec:
    """Read and validate a metric spec: schema, references between metrics and units.

    Parameters
    ----------
    spec : str, Path or mapping
        A YAML/JSON spec file, or the already-parsed document.
    source : str, optional
        Name used in messages; the file name, or ``"<spec>"`` for a mapping.

    Returns
    -------
    MetricSpec
        The validated, frozen spec.

    Raises
    ------
    SpecError
        Listing every problem as ``file: path: what was expected``.

    Examples
    --------
    >>> spec = load_spec({"version": 1, "metrics": [
    ...     {"name": "conv", "type": "builtin", "kpi": "conversion_rate"}]})
    >>> spec.metrics[0].unit
    'user'
    >>> load_spec({"version": 1, "metrics": [{"name": "x", "type": "builtin", "kpi": "nps",
    ...                                        "scale": [1, 5]}]})
    Traceback (most recent call last):
    ...
    retention_kpis.spec.load.SpecError: invalid spec (2 problems):
    <spec>: metrics[0].scale[0]: Input should be 0 (got 1)
    <spec>: metrics[0].scale[1]: Input should be 10 (got 5)
    """
    if isinstance(spec, Mapping):
        document: object = spec
        name = source or "<spec>"
    else:
        document = read_spec_document(spec)
        name = source or str(spec)
    if not isinstance(document, Mapping):
        shown = "an empty file" if document is None else f"a {type(document).__name__}"
        raise SpecError([SpecProblem(name, "", f"a spec must be a mapping of keys, got {shown}")])
    try:
        model = MetricSpec.model_validate(document, context={"skip_references": True})
    except ValidationError as exc:
        found = _validation_problems(exc, name)
        raise SpecError(
            found if isinstance(spec, Mapping) else with_positions(found, spec)
        ) from None
    problems = reference_problems(model)
    if problems:
        found = [SpecProblem(name, path, message) for path, message in problems]
        raise SpecError(found if isinstance(spec, Mapping) else with_positions(found, spec))
    return model
