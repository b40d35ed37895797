"""Griffe extension for the documentation site (``mkdocs.yml``): numpydoc as griffe reads it.

The docstrings follow numpydoc, and two of its conventions render badly with
mkdocstrings-python, without any warning:

* Sphinx roles (``:func:`~retention_kpis.compute_kpis```) are printed literally. Each
  role becomes an *optional* mkdocs-autorefs cross-reference: a link when its target is
  documented on the site, inline code otherwise (private helpers, the standard library).
* A choice of values written in braces (``period : {"D", "W", "M"}, default="M"``) is
  read by griffe as "the first choice is the default", so the default column shows
  ``"D"``. The braces become ``Literal[...]``, as in the signature, and the default comes
  from ``default=`` or from the signature.

Only griffe's in-memory copy of each docstring changes; the source stays plain numpydoc
(which pytest runs as doctests and ruff checks).
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?P<role>func|class|meth|mod|attr|data|exc|obj|const|ref):"
    r"`(?P<tilde>~)?(?P<target>[^`<>]+)`"
)
_CHOICES = re.compile(r"^(?P<head>\s*[\w*]+(?:, [\w*]+)* : )\{(?P<choices>[^{}]*)\}(?P<rest>.*)$")
_CALLABLE = frozenset({"func", "meth"})


def _resolve(obj: griffe.Object | griffe.Alias, target: str) -> str | None:
    """Return the canonical path of ``target`` seen from ``obj``, or None when unknown."""
    first, _, rest = target.partition(".")
    scope: griffe.Object | griffe.Alias | None = obj
    while scope is not None:
        try:
            path = scope.resolve(first)
        except (griffe.NameResolutionError, AttributeError):
            scope = scope.parent
            continue
        full = f"{path}.{rest}" if rest else path
        return _canonical(obj, full)
    return _canonical(obj, target)


def _canonical(obj: griffe.Object | griffe.Alias, path: str) -> str | None:
    package = obj.package
    if path == package.path:
        return path
    prefix = f"{package.path}."
    if not path.startswith(prefix):
        return None
    try:
        found = package[path.removeprefix(prefix)]
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None
    try:
        return str(found.canonical_path)
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _role_to_autoref(obj: griffe.Object | griffe.Alias, match: re.Match[str]) -> str:
    target = match["target"].strip()
    shown = target.rsplit(".", 1)[-1] if match["tilde"] else target.lstrip(".")
    if match["role"] in _CALLABLE:
        shown += "()"
    code = f"<code>{html.escape(shown)}</code>"
    identifier = _resolve(obj, target.lstrip("~"))
    if identifier is None:
        return code
    return f'<autoref identifier="{html.escape(identifier)}" optional>{code}</autoref>'


def _choices_to_literal(line: str) -> str:
    match = _CHOICES.match(line)
    if match is None:
        return line
    return f"{match['head']}Literal[{match['choices']}]{match['rest']}"


def _rewrite(obj: griffe.Object | griffe.Alias) -> None:
    docstring = obj.docstring
    if docstring is None:
        return
    lines = [_choices_to_literal(line) for line in docstring.value.split("\n")]
    text = "\n".join(lines)
    docstring.value = _ROLE.sub(lambda match: _role_to_autoref(obj, match), text)


def _walk(obj: griffe.Object) -> list[griffe.Object]:
    found = [obj]
    for member in obj.members.values():
        if member.is_alias:
            continue
        assert isinstance(member, griffe.Object)
        found.extend(_walk(member))
    return found


class NumpydocForGriffe(griffe.Extension):
    """Rewrite Sphinx roles and brace choices once the whole package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:  # noqa: ANN401, ARG002
        """Rewrite every docstring of the package (``kwargs``: griffe's, unused)."""
        for obj in _walk(pkg):
            _rewrite(obj)
