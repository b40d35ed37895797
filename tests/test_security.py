"""Security gate over the source tree: no pickle/dill/marshal/shelve, no eval/exec, safe YAML only.

The checker walks each file's syntax tree (comments and strings never count) and
flags: imports of pickle, dill, marshal, shelve and cloudpickle; calls of eval, exec, compile, __import__; ``yaml.load``,
``yaml.unsafe_load``, ``yaml.load_all``/``yaml.full_load``, and any use of
``yaml.Loader``, ``UnsafeLoader`` or ``FullLoader``; subprocess calls with
``shell=True``; ``os.system`` and ``os.popen``. Run over src/retention_kpis,
examples/, benchmarks/, fuzz/ and tools/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECKED = ("src/retention_kpis", "examples", "benchmarks", "fuzz", "tools")

BANNED_MODULES = frozenset(
    {"pickle", "cPickle", "_pickle", "dill", "marshal", "shelve", "cloudpickle"}
)
BANNED_CALLS = frozenset({"eval", "exec", "compile", "__import__"})
BANNED_YAML = frozenset(
    {
        "load",
        "load_all",
        "unsafe_load",
        "unsafe_load_all",
        "full_load",
        "full_load_all",
        "Loader",
        "UnsafeLoader",
        "FullLoader",
        "CLoader",
        "CUnsafeLoader",
        "CFullLoader",
    }
)
UNSAFE_LOADERS = frozenset(
    {"Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader"}
)
SHELL_RUNNERS = frozenset({"system", "popen"})
SUBPROCESS_CALLS = frozenset(
    {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}
)


def _dotted(node: ast.AST) -> str:
    """Return ``a.b.c`` for a Name/Attribute chain, else an empty string."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _import_problems(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [
            f"import of {alias.name}"
            for alias in node.names
            if alias.name.split(".")[0] in BANNED_MODULES
        ]
    module = (node.module or "").split(".")[0]
    if module in BANNED_MODULES:
        return [f"import from {node.module}"]
    banned = {"yaml": BANNED_YAML, "os": SHELL_RUNNERS, "builtins": BANNED_CALLS}.get(module, ())
    return [f"from {module} import {alias.name}" for alias in node.names if alias.name in banned]


def _attribute_problem(node: ast.Attribute) -> str | None:
    name = _dotted(node)
    root = name.split(".")[0]
    unsafe = (
        (root == "yaml" and node.attr in BANNED_YAML)
        or (root == "_yaml" and node.attr in UNSAFE_LOADERS)
        or (root == "os" and node.attr in SHELL_RUNNERS)
        or (root == "builtins" and node.attr in BANNED_CALLS)
    )
    return f"use of {name}" if unsafe else None


def _call_problem(node: ast.Call) -> str | None:
    name = _dotted(node.func)
    if name in BANNED_CALLS:
        return f"call of {name}()"
    shell = any(
        keyword.arg == "shell"
        and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False)
        for keyword in node.keywords
    )
    if shell and (name.split(".")[-1] in SUBPROCESS_CALLS or name.startswith("subprocess.")):
        return f"{name}() with shell=True"
    return None


def security_problems(source: str, filename: str = "<snippet>") -> list[str]:
    """Return one ``file:line: what`` message per banned construct in ``source``."""
    problems: list[str] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        found: list[str | None] = []
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found += _import_problems(node)
        elif isinstance(node, ast.Attribute):
            found.append(_attribute_problem(node))
        elif isinstance(node, ast.Name) and node.id in UNSAFE_LOADERS:
            found.append(f"use of {node.id}")
        elif isinstance(node, ast.Call):
            found.append(_call_problem(node))
        line = getattr(node, "lineno", 0)
        problems += [f"{filename}:{line}: {what}" for what in found if what is not None]
    return problems


def python_files() -> list[Path]:
    files = [path for folder in CHECKED for path in sorted((REPO / folder).rglob("*.py"))]
    assert files, "no Python files found: is the repository layout unchanged?"
    return files


def test_source_tree_has_no_unsafe_constructs():
    problems = [
        problem
        for path in python_files()
        for problem in security_problems(
            path.read_text(encoding="utf-8"), str(path.relative_to(REPO))
        )
    ]
    assert problems == []


def test_checked_tree_includes_the_spec_loader():
    # The YAML reader is the file most likely to regress; make sure it is in the walk.
    assert REPO / "src/retention_kpis/spec/load.py" in python_files()


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("import pickle", "import of pickle"),
        ("import dill as d", "import of dill"),
        ("from marshal import loads", "import from marshal"),
        ("import shelve.x", "import of shelve.x"),
        ("eval('1')", "call of eval()"),
        ("exec('x = 1')", "call of exec()"),
        ("compile('1', 'f', 'eval')", "call of compile()"),
        ("__import__('os')", "call of __import__()"),
        ("import yaml\nyaml.load(text)", "use of yaml.load"),
        ("import yaml\nyaml.unsafe_load(text)", "use of yaml.unsafe_load"),
        ("import yaml\nyaml.safe_load(text, Loader=yaml.Loader)", "use of yaml.Loader"),
        ("import yaml\nclass L(yaml.UnsafeLoader): pass", "use of yaml.UnsafeLoader"),
        ("from yaml import FullLoader", "from yaml import FullLoader"),
        ("import subprocess\nsubprocess.run('ls', shell=True)", "subprocess.run() with shell=True"),
        ("from subprocess import Popen\nPopen(cmd, shell=flag)", "Popen() with shell=True"),
        ("import os\nos.system('ls')", "use of os.system"),
        ("from os import system", "from os import system"),
        ("import builtins\nbuiltins.exec(code)", "use of builtins.exec"),
    ],
)
def test_checker_flags_a_bad_snippet(snippet, expected):
    problems = security_problems(snippet)
    assert any(problem.endswith(f": {expected}") for problem in problems), problems


@pytest.mark.parametrize(
    "snippet",
    [
        "import yaml\nyaml.safe_load(text)",
        "import yaml\nclass L(yaml.SafeLoader): pass",
        "import yaml\nyaml.dump({'a': 1})",
        "import subprocess\nsubprocess.run(['ls'], check=True)",
        "import subprocess\nsubprocess.run(['ls'], shell=False)",
        "text = 'eval(x) and pickle'  # eval in a string or comment is fine",
        "model.evaluate(x)",
        "re.compile('a+')",
        "import json\njson.loads('{}')",
    ],
)
def test_checker_accepts_safe_code(snippet):
    assert security_problems(snippet) == []
