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
(``cache=True``), so later processes load them instead of compiling again.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Literal, TypeAlias

from retention_kpis.exceptions import InvalidInputError

__all__ = ["Engine", "ResolvedEngine", "numba_available", "resolve_engine"]

Engine: TypeAlias = Literal["auto", "numpy", "numba"]
"""What a caller may ask for."""

ResolvedEngine: TypeAlias = Literal["numpy", "numba"]
"""What runs."""

INSTALL_HINT = "pip install 'retention-kpis[fast]'"


@functools.cache
def numba_available() -> bool:
    """Return whether numba can be imported (looked up once per process)."""
    return importlib.util.find_spec("numba") is not None


def resolve_engine(engine: object, func: str) -> ResolvedEngine:
    """Return the engine that runs for ``engine=`` (see the module docstring).

    Raises
    ------
    InvalidInputError
        If ``engine`` is not one of ``"auto"``, ``"numpy"``, ``"numba"``, or is
        ``"numba"`` while numba is not installed.

    Examples
    --------
    >>> resolve_engine("numpy", "fit")
    'numpy'
    """
    if engine not in ("auto", "numpy", "numba"):
        msg = f"{func}: 'engine' must be 'auto', 'numpy' or 'numba'. Got {engine!r}."
        raise InvalidInputError(msg)
    if engine == "numpy":
        return "numpy"
    if numba_available():
        return "numba"
    if engine == "numba":
        msg = f"{func}: engine='numba' needs numba, which is not installed: {INSTALL_HINT}."
        raise InvalidInputError(msg)
    return "numpy"
