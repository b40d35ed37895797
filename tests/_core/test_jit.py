"""Engine selection for the optional compiled kernels (retention_kpis._core.jit).

Source of truth: the module's documented rules ("auto" = numba when importable).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from retention_kpis._core import jit
from retention_kpis.exceptions import InvalidInputError


@pytest.fixture
def without_numba(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(jit.importlib.util, "find_spec", lambda _name: None)
    jit.numba_available.cache_clear()
    yield
    jit.numba_available.cache_clear()


def test_numba_is_installed_for_the_tests() -> None:
    # the test extra installs numba, so both engines are compared in CI
    assert jit.numba_available()
    assert jit.resolve_engine("auto", "f") == "numba"
    assert jit.resolve_engine("numba", "f") == "numba"
    assert jit.resolve_engine("numpy", "f") == "numpy"


@pytest.mark.usefixtures("without_numba")
def test_auto_falls_back_to_numpy_without_numba() -> None:
    assert not jit.numba_available()
    assert jit.resolve_engine("auto", "f") == "numpy"
    assert jit.resolve_engine("numpy", "f") == "numpy"


@pytest.mark.usefixtures("without_numba")
def test_asking_for_numba_without_it_names_the_extra() -> None:
    with pytest.raises(
        InvalidInputError, match=r"Model\.fit: engine='numba' needs numba.*\[fast\]"
    ):
        jit.resolve_engine("numba", "Model.fit")


@pytest.mark.parametrize("engine", ["cython", "NUMBA", None, 1])
def test_unknown_engine_is_refused(engine: object) -> None:
    with pytest.raises(InvalidInputError, match=r"'engine' must be 'auto', 'numpy' or 'numba'"):
        jit.resolve_engine(engine, "f")
