"""Shared pytest configuration: paths to the reference data beside the project."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the reference datasets (``../shared/data``, see its SOURCES.md)."""
    if not SHARED_DATA.is_dir():  # pragma: no cover - the data ships beside the repo
        pytest.fail(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA
