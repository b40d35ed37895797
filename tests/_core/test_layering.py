"""The house rules of docs/architecture.md, checked on the import graph of src/.

The graph is read from the source with ``ast`` (no import is executed): an edge
``a -> b`` is an ``import``/``from ... import`` in module ``a`` of module ``b``, at
any depth (function-level imports count), except imports under
``if TYPE_CHECKING:``, which never run. Importing ``pkg.sub`` also runs
``pkg/__init__``; that implicit edge is Python's package mechanics, not a
dependency of the importer, and is left out.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import retention_kpis

PACKAGE = pathlib.Path(retention_kpis.__file__).parent


def _module_name(path: pathlib.Path) -> str:
    parts = ["retention_kpis", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Import statements that run: everything but the bodies of ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and ast.unparse(child.test) in {
                "TYPE_CHECKING",
                "typing.TYPE_CHECKING",
            }:
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def _graph() -> tuple[dict[str, set[str]], dict[str, set[tuple[str, str]]]]:
    """Module -> imported modules, and module -> (module, name) of every imported name."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {name: set() for name in modules}
    names: dict[str, set[tuple[str, str]]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges[name] |= {a.name for a in node.names if a.name in modules}
                continue
            if node.level or not (node.module or "").startswith("retention_kpis"):
                continue
            assert node.module is not None
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in modules:
                    edges[name].add(full)
                else:
                    edges[name].add(node.module)
                    names[name].add((node.module, alias.name))
    return {k: {v for v in vs if v != k} for k, vs in edges.items()}, names


EDGES, NAMES = _graph()


def _cycles(edges: dict[str, set[str]]) -> list[str]:
    """Modules left after peeling, again and again, those that import none of the rest or
    that none of the rest imports: empty exactly when the graph has no cycle."""
    left = {node: set(deps) & set(edges) for node, deps in edges.items()}
    while True:
        importers = {dep for deps in left.values() for dep in deps}
        peel = {node for node, deps in left.items() if not deps or node not in importers}
        if not peel:
            return sorted(left)
        left = {node: deps - peel for node, deps in left.items() if node not in peel}


def _wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_graph_is_read():
    # A broken reader would make every rule below pass vacuously.
    assert len(EDGES) > 100
    assert "retention_kpis._core.checks" in EDGES["retention_kpis.metrics.nps"]
    assert "retention_kpis.report.tables" in EDGES["retention_kpis.report.compute"]


def test_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == ["a", "b", "c"]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package():
    assert _cycles(EDGES) == []


def test_core_imports_nothing_above_it():
    allowed = {"_core", "exceptions"}
    wrong = {
        module: sorted(d for d in deps if _wing(d) not in allowed)
        for module, deps in EDGES.items()
        if _wing(module) == "_core"
    }
    assert {module: deps for module, deps in wrong.items() if deps} == {}


def test_metrics_stand_on_core_only():
    # stats/ (interval formulas, no KPI meaning) sits beside _core: a result model may carry
    # its KPI's interval; stats never imports metrics (test_stats_stand_on_core_only).
    allowed = {"_core", "exceptions", "metrics", "stats"}
    wrong = {
        module: sorted(d for d in deps if _wing(d) not in allowed)
        for module, deps in EDGES.items()
        if _wing(module) == "metrics"
    }
    assert {module: deps for module, deps in wrong.items() if deps} == {}


def test_stats_stand_on_core_only():
    allowed = {"_core", "exceptions", "stats"}
    wrong = {
        module: sorted(d for d in deps if _wing(d) not in allowed)
        for module, deps in EDGES.items()
        if _wing(module) == "stats"
    }
    assert "retention_kpis.stats.proportions" in EDGES
    assert {module: deps for module, deps in wrong.items() if deps} == {}


def test_events_stand_on_core_only():
    allowed = {"_core", "exceptions", "events"}
    wrong = {
        module: sorted(d for d in deps if _wing(d) not in allowed)
        for module, deps in EDGES.items()
        if _wing(module) == "events"
    }
    assert {module: deps for module, deps in wrong.items() if deps} == {}


@pytest.mark.parametrize("module", sorted(EDGES))
def test_no_wing_imports_another_wings_private_names(module):
    wing = _wing(module)
    private_modules = [
        dep
        for dep in EDGES[module]
        if _wing(dep) not in {wing, "_core", "_version"}
        and any(part.startswith("_") for part in dep.split(".")[2:])
    ]
    private_names = [
        f"{source}.{name}"
        for source, name in NAMES[module]
        if _wing(source) != wing and name.startswith("_") and name != "__version__"
    ]
    assert private_modules + private_names == []
