"""YAML 1.2 core-schema reading of spec files, and where each node of a spec is.

PyYAML implements YAML 1.1, whose implicit types surprise people: ``NO`` (the
country code of Norway), ``yes``, ``on`` and ``off`` are booleans, ``0777`` is
the octal 511, ``1e3`` is the string ``"1e3"`` and ``2024-01-01`` a date.
:class:`Yaml12Loader` resolves plain scalars by the YAML 1.2 core schema
(https://yaml.org/spec/1.2.2/#103-core-schema) instead:

* null: ``~``, ``null``, ``Null``, ``NULL`` and the empty scalar;
* bool: ``true``/``True``/``TRUE`` and ``false``/``False``/``FALSE`` only;
* int: ``[-+]?[0-9]+`` (decimal, so ``0777`` is 777), ``0o17``, ``0x1F``;
* float: ``1.5``, ``1e3``, ``-.5E-2``, ``.inf``, ``-.inf``, ``.nan``;
* everything else, dates and ``NO``/``yes``/``on``/``off`` included, is a string.

Quote a scalar to keep it text whatever it looks like (``"0777"``).
:func:`node_positions` maps each path of a document to its line and column, so
that problems and check results can point at the line of the file.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Position", "Yaml12Loader", "locate", "node_positions", "path_parts", "with_positions"]


Position = tuple[int, int]
"""A 1-based (line, column) in a file."""

_CORE = "tag:yaml.org,2002:"


class Yaml12Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with the YAML 1.2 core schema's implicit types.

    Examples
    --------
    >>> Yaml12Loader("[NO, yes, on, off, 0777, 1e3, 2024-01-01, true, ~, 0x1F]").get_single_data()
    ['NO', 'yes', 'on', 'off', 777, 1000.0, '2024-01-01', True, None, 31]
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class registry

    def construct_yaml_bool(self, node: yaml.Node) -> bool:
        """Read ``true``/``false`` in any of the three spellings the core schema allows."""
        return str(self.construct_scalar(node)).lower() == "true"  # type: ignore[arg-type]

    def construct_yaml_int(self, node: yaml.Node) -> int:
        """Read a decimal, ``0o`` octal or ``0x`` hexadecimal integer."""
        text = str(self.construct_scalar(node))  # type: ignore[arg-type]
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)

    def construct_yaml_float(self, node: yaml.Node) -> float:
        """Read a decimal float, ``.inf``, ``-.inf`` or ``.nan``."""
        text = str(self.construct_scalar(node)).lower()  # type: ignore[arg-type]
        if text.endswith(".inf"):
            return -math.inf if text.startswith("-") else math.inf
        if text == ".nan":
            return math.nan
        return float(text)


_RESOLVERS = (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "float",
        (
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+.0123456789"),
    ),
    ("merge", r"^(?:<<)$", ["<"]),
)
for _name, _pattern, _first in _RESOLVERS:
    Yaml12Loader.add_implicit_resolver(_CORE + _name, re.compile(_pattern), _first)
Yaml12Loader.add_constructor(_CORE + "bool", Yaml12Loader.construct_yaml_bool)
Yaml12Loader.add_constructor(_CORE + "int", Yaml12Loader.construct_yaml_int)
Yaml12Loader.add_constructor(_CORE + "float", Yaml12Loader.construct_yaml_float)


def node_positions(text: str) -> dict[tuple[int | str, ...], Position]:
    r"""Return the 1-based (line, column) of every node of a YAML (or JSON) document by path.

    A path is a tuple of mapping keys and sequence indexes, as pydantic reports
    locations (``("expectations", 2, "min")``); a key's own position is that of
    its value. A document that does not parse gives an empty mapping.

    Examples
    --------
    >>> positions = node_positions("version: 1\nmetrics:\n  - name: x\n    kpi: nps\n")
    >>> positions[("metrics", 0)], positions[("metrics", 0, "kpi")]
    ((3, 5), (4, 10))
    """
    loader = Yaml12Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        return {}
    finally:
        loader.dispose()
    found: dict[tuple[int | str, ...], Position] = {}
    stack: list[tuple[tuple[int | str, ...], yaml.Node | None]] = [((), root)]
    seen: set[int] = set()  # an alias repeats a node: visit it once (alias bombs stay cheap)
    while stack:
        path, node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        found[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    stack.append(((*path, str(key.value)), value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(((*path, index), item) for index, item in enumerate(node.value))
    return found


_PART = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def path_parts(path: str) -> tuple[int | str, ...]:
    """Split a problem path such as ``metrics[3].window`` into ``("metrics", 3, "window")``.

    Examples
    --------
    >>> path_parts("expectations[2].segment.country")
    ('expectations', 2, 'segment', 'country')
    """
    return tuple(int(index) if index else key for index, key in _PART.findall(path) if index or key)


def locate(positions: dict[tuple[int | str, ...], Position], path: str) -> Position | None:
    """Return the position of ``path``, or of its nearest ancestor the document holds."""
    parts = path_parts(path)
    for end in range(len(parts), -1, -1):
        found = positions.get(parts[:end])
        if found is not None:
            return found
    return None


def with_positions(problems: list[Any], file: object) -> list[Any]:
    """Return the problems of a spec file with the line and column of their paths.

    ``problems`` are dataclasses with ``path``, ``line`` and ``column`` fields
    (:class:`~retention_kpis.spec.load.SpecProblem`); unreadable files are left as they are.
    """
    try:
        text = Path(str(file)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return problems
    positions = node_positions(text)
    located = []
    for problem in problems:
        position = locate(positions, problem.path) if problem.path else None
        located.append(
            problem
            if position is None
            else dataclasses.replace(problem, line=position[0], column=position[1])
        )
    return located
