"""The install instructions: one section, honest about PyPI, with commands that parse.

``retention-kpis`` is not on the Python Package Index yet, so a bare ``pip install
retention-kpis`` fails (or would install whatever someone else publishes under that name).
The README and the getting-started page carry the same Install section (checked equal
here); no other page may tell users to install the package by name from the index.
``.ci/run`` installs the package from a git URL of the checkout, the form documented.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
PAGES = (REPO / "README.md", REPO / "docs" / "getting-started.md")
# examples/ci/github-workflow.yml and its copy in docs/ci.md belong to the CI example (issue
# #15 is fixed there separately); every other page is held to the rule.
NOT_CHECKED_HERE: frozenset[str] = frozenset()
# `pip install retention-kpis` or `pip install "retention-kpis[plot]"` (by name, from an index);
# a direct reference `retention-kpis @ git+...` is fine.
BY_NAME = re.compile(
    r"pip\s+install\s+(?:-\S+\s+)*[\"']?retention[-_]kpis(?:\[[^\]]*\])?(?![^\s\"']*\s*@)",
    re.IGNORECASE,
)


def install_section(path: Path) -> str:
    """The lines after ``## Install`` up to the next heading outside a code fence."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "## Install" in lines, f"{path.name} has no '## Install' section"
    section: list[str] = []
    fenced = False
    for line in lines[lines.index("## Install") + 1 :]:
        if line.startswith("```"):
            fenced = not fenced
        elif line.startswith("#") and not fenced:
            break
        section.append(line)
    return "\n".join(section)


def by_name_installs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if BY_NAME.search(line)]


def test_readme_and_getting_started_have_the_same_install_section():
    readme, getting_started = (install_section(page) for page in PAGES)
    assert readme == getting_started


def test_install_section_says_the_package_is_not_on_pypi():
    section = install_section(PAGES[0])
    assert "not on the Python Package Index (PyPI) yet" in section
    assert "pip install ." in section


def test_git_url_commands_are_valid_requirements_with_real_extras():
    section = install_section(PAGES[0])
    quoted = re.findall(r'pip install "([^"]+ @ [^"]+)"', section)
    assert len(quoted) == 2
    extras = set(metadata.metadata("retention-kpis").get_all("Provides-Extra") or [])
    for text in quoted:
        requirement = Requirement(text)
        assert requirement.name == "retention-kpis"
        assert requirement.url is not None
        assert requirement.url.startswith("git+https://")
        assert requirement.extras <= extras
    listed = set(re.findall(r'pip install "\.\[([^\]]+)\]"', section)[0].split(","))
    assert listed <= extras


def test_extras_named_in_the_section_exist():
    # every extra the prose names, and no extra the package has left out
    extras = set(metadata.metadata("retention-kpis").get_all("Provides-Extra") or [])
    section = install_section(PAGES[0])
    named = {name for name in extras if f"`{name}`" in section}
    assert named == extras


def pages() -> list[Path]:
    found = [REPO / "README.md", REPO / "CONTRIBUTING.md"]
    for folder in ("docs", "examples"):
        found += [
            path
            for path in sorted((REPO / folder).rglob("*"))
            if path.suffix in {".md", ".ipynb", ".yml", ".yaml", ".py", ".txt"}
        ]
    return [path for path in found if str(path.relative_to(REPO)) not in NOT_CHECKED_HERE]


def test_no_page_installs_the_package_by_name_from_the_index():
    problems = {
        str(path.relative_to(REPO)): by_name_installs(path.read_text(encoding="utf-8"))
        for path in pages()
    }
    assert {name: lines for name, lines in problems.items() if lines} == {}


@pytest.mark.parametrize(
    "line",
    [
        "pip install retention-kpis",
        "pip install retention-kpis            # extras: [polars]",
        'pip install "retention-kpis[polars]"',
        "pip install 'retention-kpis[plot]'",
        "pip install -U retention_kpis",
        "        run: pip install retention-kpis",
    ],
)
def test_by_name_pattern_flags_index_installs(line):
    assert by_name_installs(line) == [line.strip()]


@pytest.mark.parametrize(
    "line",
    [
        'pip install "retention-kpis @ git+https://example.org/org/retention_kpis"',
        'pip install "retention-kpis[plot] @ git+https://example.org/org/retention_kpis"',
        'pip install -e ".[test,lint,spark]"',
        "pip install . && retention-kpis report --demo",
        "`retention-kpis` is not on PyPI yet: pip cannot install it by name.",
    ],
)
def test_by_name_pattern_accepts_checkout_and_git_url_installs(line):
    assert by_name_installs(line) == []
