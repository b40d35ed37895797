"""Optional compiled kernels: which engine a computation runs on.

The numpy code is the reference implementation and always available. Where a
likelihood is evaluated many times over millions of rows (the covariate CLV
fits), a kernel compiled by numba fuses the per-row work into one pass. numba is
an optional dependency (``pip install 'retention-kpis[fast]'``); a function that
takes ``engine=`` accepts:

* ``"auto"`` (the default): numba when it can be imported, else numpy;
* ``"numpy"``: the numpy code, whatever is installed;
* ``"numba"``: the compiled kernel; an error names the extra to install when numba
  is missing.

Both engines give the same numbers (tests compare them to ~1e-12 relative); only the
time differs. Kernels are compiled on first use and cached on disk by numba
(``cache=True``), so later processes load them instead of compiling again. Where no
cache directory is writable (a read-only install without a writable home, say), numba
refuses ``cache=True``; :func:`compile_kernel` then compiles without the disk cache
(again in every process) instead of failing.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any, Literal, TypeAlias, TypeVar, cast

from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "Engine",
    "ResolvedEngine",
    "check_engine",
    "compile_kernel",
    "numba_available",
    "numba_problem",
    "resolve_engine",
]

Engine: TypeAlias = Literal["auto", "numpy", "numba"]
"""What a caller may ask for."""

ResolvedEngine: TypeAlias = Literal["numpy", "numba"]
"""What runs."""

INSTALL_HINT = "pip install 'retention-kpis[fast]'"

_F = TypeVar("_F", bound=Callable[..., Any])


@functools.cache
def numba_problem() -> str | None:
    """Return why numba cannot be used, or ``None`` when it can (checked once per process).

    numba is imported here (about 0.3 s), so an install that cannot load it (a numpy
    newer than the installed numba supports, say: numba raises ``ImportError``) falls
    back to numpy under ``"auto"`` instead of failing in the middle of a fit.
    """
    try:
        if importlib.util.find_spec("numba") is None:
            return "numba is not installed"
        import numba  # noqa: F401, PLC0415 - optional dependency, checked on first use
    except (ImportError, ValueError) as exc:  # ValueError: a module without a spec
        return f"numba cannot be imported ({type(exc).__name__}: {exc})"
    return None


def numba_available() -> bool:
    """Return whether numba can be imported (see :func:`numba_problem`)."""
    return numba_problem() is None


def check_engine(engine: object, func: str) -> Engine:
    """Return ``engine`` if it is ``"auto"``, ``"numpy"`` or ``"numba"`` (nothing imported).

    Raises
    ------
    InvalidInputError
        Otherwise, naming the three choices.
    """
    if engine == "auto" or engine == "numpy" or engine == "numba":  # noqa: PLR1714 - narrows
        return engine
    msg = f"{func}: 'engine' must be 'auto', 'numpy' or 'numba'. Got {engine!r}."
    raise InvalidInputError(msg)


def resolve_engine(engine: object, func: str) -> ResolvedEngine:
    """Return the engine that runs for ``engine=`` (see the module docstring).

    ``"auto"`` and ``"numba"`` import numba (once per process) to check it loads.

    Raises
    ------
    InvalidInputError
        If ``engine`` is not one of ``"auto"``, ``"numpy"``, ``"numba"``, or is
        ``"numba"`` while numba is not installed or cannot be imported.

    Examples
    --------
    >>> resolve_engine("numpy", "fit")
    'numpy'
    """
    if check_engine(engine, func) == "numpy":
        return "numpy"
    problem = numba_problem()
    if problem is None:
        return "numba"
    if engine == "numba":
        msg = f"{func}: engine='numba' needs numba: {problem}. Install it: {INSTALL_HINT}."
        raise InvalidInputError(msg)
    return "numpy"


def compile_kernel(
    func: _F,
    *,
    error_model: Literal["python", "numpy"] = "python",
    nogil: bool = False,
    reassociate: bool = False,
) -> _F:
    """Return ``func`` compiled by numba in nopython mode, cached on disk where possible.

    ``error_model`` and ``nogil`` go to ``numba.njit``; no ``fastmath``, so
    the compiled arithmetic is the numpy engine's, except with ``reassociate``:
    ``fastmath={"reassoc"}`` alone, which lets LLVM reorder (vectorise) sums, as
    numpy's own reductions do; no other fastmath flag. Only modules imported on the numba
    engine call this (it imports numba). Without a writable cache directory numba
    raises ``RuntimeError`` at ``cache=True``; the kernel is then compiled without the
    disk cache.
    """
    import numba  # noqa: PLC0415 - optional dependency, only on the numba engine

    options: dict[str, Any] = {"error_model": error_model, "nogil": nogil}
    if reassociate:
        options["fastmath"] = {"reassoc"}
    try:
        dispatcher: Any = numba.njit(cache=True, **options)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        dispatcher = numba.njit(cache=False, **options)(func)
    return cast("_F", dispatcher)
