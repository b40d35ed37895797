"""Field types shared by the spec models."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import StringConstraints

__all__ = ["Column", "Identifier", "Scalar"]

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
"""A metric name: letters, digits and underscores, not starting with a digit."""
Column = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Scalar: TypeAlias = str | int | float | bool
