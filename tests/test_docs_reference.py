"""Every public name has an entry in the API reference (docs/reference/*.md).

``mkdocs build --strict`` fails on a ``:::`` path that does not resolve, but not on a public
name that no page shows: ``retention_kpis.funnels.funnel`` (the function) was missing
because the submodule ``funnels/funnel.py`` has the same name, and the documentation
generator (griffe, through mkdocstrings-python) sees the submodule there, which
``show_submodules: false`` does not render.

This test reads the ``:::`` directives of the reference pages, loads the package with griffe
(the generator's own loader) and works out which objects each directive renders, with the
site's options (``mkdocs.yml``): the object itself and, for a module or class, its public
members (no submodules, no ``_private`` names, none without a docstring, or the ``members:``
list when a directive gives one). Each name of each public ``__all__`` must be one of them,
compared by the object the name holds at run time (``__module__.__qualname__`` for
functions and classes).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

griffe = pytest.importorskip(
    "griffe", reason="griffe comes with the docs extra: pip install -e '.[docs]'"
)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
PUBLIC = (
    "retention_kpis",
    "retention_kpis.clv",
    "retention_kpis.attribution",
    "retention_kpis.cohorts",
    "retention_kpis.funnels",
    "retention_kpis.plot",
    "retention_kpis.spec",
    "retention_kpis.datasets",
    "retention_kpis.events",
    "retention_kpis.report",
    "retention_kpis.exceptions",
)
# retention_kpis.metrics has no __all__ of its own: one module per metric, each with one.
METRICS_DIR = ROOT / "src" / "retention_kpis" / "metrics"
METRIC_MODULES = tuple(
    f"retention_kpis.metrics.{path.stem}"
    for path in sorted(METRICS_DIR.glob("*.py"))
    if not path.stem.startswith("_")
)
_DIRECTIVE = re.compile(
    r"^::: *(?P<path>[\w.]+) *\n(?P<options>(?:[ \t]+.*\n|[ \t]*\n)*)", re.MULTILINE
)


@functools.cache
def _package() -> Any:
    """The package as the documentation generator loads it (statically, from src/)."""
    return griffe.load("retention_kpis", search_paths=[str(ROOT / "src")])


def _directives(text: str) -> list[tuple[str, dict[str, object]]]:
    """``(path, options)`` of every ``:::`` directive in a page."""
    found = []
    for match in _DIRECTIVE.finditer(text):
        block = yaml.safe_load(textwrap.dedent(match["options"])) or {}
        found.append((match["path"], dict(block.get("options") or {})))
    return found


def _target(obj: Any) -> Any:
    """The object an alias (an import) points to, else the object itself."""
    while getattr(obj, "is_alias", False):
        obj = obj.final_target
    return obj


def _shown_member(member: Any, *, in_module: bool) -> bool:
    """Whether mkdocstrings-python, with the site's options, renders this member."""
    if member.name.startswith("_"):
        return False  # filters: ["!^_"]
    try:
        resolved = _target(member)
    except griffe.AliasResolutionError:
        return False  # an import from outside the package: never rendered
    if resolved.is_module:
        return False  # show_submodules: false
    if in_module and not member.is_public:
        return False  # an import that __all__ does not export
    # show_if_no_docstring: false
    return bool(resolved.docstring or (resolved.is_class and resolved.has_docstrings))


def _rendered(obj: Any, options: dict[str, object]) -> list[Any]:
    """The griffe objects a directive renders: the object and its shown members."""
    target = _target(obj)
    members = options.get("members")
    if not (target.is_module or target.is_class) or members is False:
        return [obj]
    items = target.members.items()
    if isinstance(members, list):
        return [obj, *(member for name, member in items if name in members)]
    return [
        obj,
        *(member for _, member in items if _shown_member(member, in_module=target.is_module)),
    ]


@pytest.fixture(scope="module")
def documented() -> set[str]:
    """Paths (as written and as defined) of every object the reference pages render."""
    package = _package()
    paths: set[str] = set()
    for page in sorted(REFERENCE.glob("*.md")):
        for path, options in _directives(page.read_text(encoding="utf-8")):
            obj = package[path.removeprefix("retention_kpis.")] if "." in path else package
            for shown in _rendered(obj, options):
                paths.add(shown.path)
                paths.add(_target(shown).path)
    return paths


def _identities(module_name: str, name: str) -> set[str]:
    """Paths under which the run-time value of ``module_name.name`` may be documented."""
    value = getattr(importlib.import_module(module_name), name)
    if inspect.isfunction(value) or inspect.isclass(value):
        return {f"{value.__module__}.{value.__qualname__}"}
    # A constant or type alias: documented under the exporting or the defining module.
    return {f"{module_name}.{name}"} | _defined_at(module_name, name)


def _defined_at(module_name: str, name: str) -> set[str]:
    package = _package()
    relative = module_name.removeprefix("retention_kpis").removeprefix(".")
    module = package[relative] if relative else package
    member = module.members.get(name)
    if member is None:
        return set()
    target = _target(member)
    return set() if target.is_module else {target.path}


def _public_names() -> list[tuple[str, str]]:
    names = []
    for module_name in PUBLIC + METRIC_MODULES:
        module = importlib.import_module(module_name)
        names += [(module_name, name) for name in module.__all__]
    return names


def test_directives_are_read() -> None:
    """The parser sees the reference pages' directives (a broken regex would pass vacuously)."""
    text = (REFERENCE / "funnels.md").read_text(encoding="utf-8")
    assert ("retention_kpis.funnels", {"show_root_heading": False, "heading_level": 2}) in (
        _directives(text)
    )


def test_the_shadowed_submodule_is_not_rendered() -> None:
    """The check follows the generator: a submodule is no entry for a same-named function."""
    shown = _rendered(_package()["funnels"], {})
    assert "retention_kpis.funnels.funnel" not in {_target(obj).path for obj in shown}


@pytest.mark.parametrize(("module_name", "name"), _public_names())
def test_public_name_has_a_reference_entry(
    documented: set[str], module_name: str, name: str
) -> None:
    identities = _identities(module_name, name)
    assert identities & documented, (
        f"{module_name}.{name} is in __all__ but no page of docs/reference/ renders it "
        f"(looked for {sorted(identities)}): add a '::: path' entry or list it in 'members:'."
    )
