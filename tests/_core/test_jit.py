"""Engine selection for the optional compiled kernels (retention_kpis._core.jit).

Source of truth: the module's documented rules ("auto" = numba when importable).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from retention_kpis._core import jit
from retention_kpis.exceptions import InvalidInputError


@pytest.fixture
def without_numba(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(jit.importlib.util, "find_spec", lambda _name: None)
    jit.numba_problem.cache_clear()
    yield
    jit.numba_problem.cache_clear()


@pytest.fixture
def broken_numba(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # installed but failing to import, as numba does with a numpy newer than it supports
    monkeypatch.setattr(jit.importlib.util, "find_spec", lambda _name: object())
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    jit.numba_problem.cache_clear()
    yield
    jit.numba_problem.cache_clear()


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


@pytest.mark.usefixtures("broken_numba")
def test_auto_falls_back_to_numpy_when_numba_cannot_be_imported() -> None:
    assert not jit.numba_available()
    assert jit.resolve_engine("auto", "f") == "numpy"
    with pytest.raises(InvalidInputError, match=r"f: engine='numba' needs numba: numba cannot be"):
        jit.resolve_engine("numba", "f")


@pytest.mark.parametrize("engine", ["cython", "NUMBA", None, 1])
def test_unknown_engine_is_refused(engine: object) -> None:
    with pytest.raises(InvalidInputError, match=r"'engine' must be 'auto', 'numpy' or 'numba'"):
        jit.resolve_engine(engine, "f")
    with pytest.raises(InvalidInputError, match=r"'engine' must be 'auto', 'numpy' or 'numba'"):
        jit.check_engine(engine, "f")


def _add_one(x: float) -> float:
    return x + 1.0


def test_kernels_are_cached_on_disk_where_a_directory_is_writable() -> None:
    import numba.core.caching  # noqa: PLC0415 - numba is a test dependency

    kernel = jit.compile_kernel(_add_one)
    assert kernel(2.0) == 3.0
    assert isinstance(kernel._cache, numba.core.caching.FunctionCache)


def test_without_a_writable_cache_directory_kernels_compile_uncached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a read-only install without a writable home: numba finds no cache locator
    import numba  # noqa: PLC0415 - numba is a test dependency
    import numba.core.caching  # noqa: PLC0415

    monkeypatch.setattr(numba.core.caching.CacheImpl, "_locator_classes", [])
    with pytest.raises(RuntimeError, match="no locator available"):
        numba.njit(cache=True)(_add_one)  # what compile_kernel must not let through
    kernel = jit.compile_kernel(_add_one, error_model="numpy")
    assert kernel(2.0) == 3.0
    assert isinstance(kernel._cache, numba.core.caching.NullCache)
