"""numba kernel of the covariate BG/NBD likelihood: fused passes over blocks of rows.

Imported only when a fit runs with ``engine="numba"`` (numba's import alone costs a few
tenths of a second); :class:`~retention_kpis.clv._bgnbd_covariates.BetaGeoRows` is the
numpy reference, whose docstring gives the formulas. Per block of ``_BLOCK`` rows:

1. numpy's vectorised ``log`` of ``alpha_i``, ``alpha_i + T``, ``alpha_i + t_x`` (SIMD
   loops, about 1 ns a value here, against 6-7 ns for the scalar libm call a compiled
   loop makes);
2. a compiled pass: each buyer's beta-function terms and ``d_i``;
3. numpy's ``exp(-|d|)`` and ``log1p`` of it;
4. a compiled pass: log-likelihood, the weighted log-space gradients in
   ``(r, alpha_i, a_i, b_i)`` and, when asked, the ten entries of each row's weighted
   Hessian into a block buffer;
5. (with the Hessian) a compiled contraction of that buffer into the fit's coordinates
   (``sum_i J_i' H_i J_i``, as :func:`~retention_kpis.clv._covariates.contract_rows`),
   while it is in cache: one sum per matrix cell, the only loop compiled with
   reassociation (:data:`_contract_sums`). No per-row temporary spans the data.

The beta-function terms of ``(x, a_i, b_i)`` are computed here too (numba has no
``scipy.special``). ``x`` is a whole number, so for ``x <= _RECURRENCE`` they are finite
sums of ``Gamma(z + 1) = z Gamma(z)``::

    B(a, b+x) - B(a, b) = sum_j log((b+j) / (a+b+j)),
    a (psi(a+b) - psi(a+b+x)) = -a sum_j 1 / (a+b+j),
    b (psi(a+b) - psi(b) + psi(b+x) - psi(a+b+x)) = b sum_j a / ((b+j)(a+b+j)),
    psi'(a+b) - psi'(a+b+x) = sum_j 1 / (a+b+j)^2,  psi'(b+x) - psi'(b) = -sum_j 1 / (b+j)^2

(``j = 0 .. x-1``): exact up to rounding and free of the cancellation of the differences
of special functions; above, differences of Stirling's series for the beta terms (more
accurate than scipy's ``betaln`` differences, which lose ~1e-10 at ``x = 1e5``) and
asymptotic series of ``psi`` and ``psi'``.
They are evaluated per (x, dropout row) pair, or inline per row when the dropout
covariates are continuous (every row its own pair: gathering would cost more).

Plain IEEE arithmetic (no ``fastmath`` but the reassociated sums of step 5; numpy's
error model: a division by zero gives inf, as numpy), serial, compiled once and cached
on disk. The work arrays are :func:`staggered`: rows 4 KiB apart evicted each other
from the cache (three times slower).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from retention_kpis._core.jit import compile_kernel
from retention_kpis.clv._base import FloatArray
from retention_kpis.clv._covariates import Coordinates

__all__ = [
    "contraction_terms",
    "pair_terms",
    "row_pass",
    "stack_multipliers",
    "stack_rows",
    "staggered",
]

_RECURRENCE = 64
"""Largest ``x`` whose beta-function terms are summed term by term."""

_BLOCK = 4096
"""Rows per block: summed into a block total, their Hessian entries buffered (in cache)."""

_STAGGER = 72
"""Doubles added to each row of a 2-D work array (9 cache lines: rows fall in other sets)."""

_TINY = 1e-280
"""Below this, a running product of ratios is moved into its logarithm."""

_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(func: _F) -> _F:
    """Compile ``func`` with numba: no Python objects, cached on disk, no fastmath."""
    return compile_kernel(func, error_model="numpy")


@_jit
def _digamma(x: float) -> float:  # pragma: no cover - compiled
    """``psi(x)`` for ``x > 0``: shift to ``z >= 10``, then A&S 6.3.18 to ``z^-14``."""
    shift = 0.0
    z = x
    while z < 10.0:
        shift -= 1.0 / z
        z += 1.0
    inv = 1.0 / z
    sq = inv * inv
    series = sq * (
        1.0 / 12.0
        - sq
        * (
            1.0 / 120.0
            - sq
            * (
                1.0 / 252.0
                - sq * (1.0 / 240.0 - sq * (1.0 / 132.0 - sq * (691.0 / 32760.0 - sq / 12.0)))
            )
        )
    )
    return shift + math.log(z) - 0.5 * inv - series


@_jit
def _trigamma(x: float) -> float:  # pragma: no cover - compiled
    """``psi'(x)`` for ``x > 0`` as :func:`retention_kpis.clv._special.trigamma`."""
    shift = 0.0
    z = x
    while z < 10.0:
        shift += 1.0 / (z * z)
        z += 1.0
    inv = 1.0 / z
    sq = inv * inv
    series = 7.0 / 6.0
    series = -691.0 / 2730.0 + sq * series
    series = 5.0 / 66.0 + sq * series
    series = -1.0 / 30.0 + sq * series
    series = 1.0 / 42.0 + sq * series
    series = -1.0 / 30.0 + sq * series
    series = 1.0 / 6.0 + sq * series
    return shift + inv + sq / 2.0 + inv * sq * series


@_jit
def _log_gamma_ratio(y: float, eps: float) -> float:  # pragma: no cover - compiled
    """``log G(y + eps) - log G(y)`` without cancellation (as ``_special.log_gamma_ratio``).

    Shift ``y`` to at least 10 with ``log1p`` terms, then difference Stirling's series
    term by term through ``log1p``/``expm1``.
    """
    out = 0.0
    z = y
    while z < 10.0:
        out -= math.log1p(eps / z)
        z += 1.0
    step = math.log1p(eps / z)
    out += eps * math.log(z) + (z + eps - 0.5) * step - eps
    power = 1.0 / z
    square = power * power
    coefficients = (1.0 / 12.0, -1.0 / 360.0, 1.0 / 1260.0, -1.0 / 1680.0, 1.0 / 1188.0)
    for k in range(5):  # c_k z^(1-2k) ((1 + eps/z)^(1-2k) - 1)
        out += coefficients[k] * power * math.expm1(-(2.0 * k + 1.0) * step)
        power *= square
    return out


@_jit
def _digamma_gap(y: float, eps: float) -> float:  # pragma: no cover - compiled
    """``psi(y) - psi(y + eps)`` without cancellation (A&S 6.3.18 differenced term by term)."""
    out = 0.0
    z = y
    while z < 10.0:  # psi(z) = psi(z + 1) - 1/z
        out -= eps / (z * (z + eps))
        z += 1.0
    step = math.log1p(eps / z)
    out += -step - eps / (2.0 * z * (z + eps))
    sq = 1.0 / (z * z)
    coefficients = (1.0 / 12.0, -1.0 / 120.0, 1.0 / 252.0, -1.0 / 240.0, 1.0 / 132.0)
    power = sq
    for k in range(5):
        out += coefficients[k] * power * math.expm1(-2.0 * (k + 1) * step)
        power *= sq
    return out


@_jit
def _trigamma_gap(y: float, eps: float) -> float:  # pragma: no cover - compiled
    """``psi'(y) - psi'(y + eps)`` without cancellation (A&S 6.4.12 differenced)."""
    out = 0.0
    z = y
    while z < 10.0:  # psi'(z) = psi'(z + 1) + 1/z^2
        out += 1.0 / (z * z) - 1.0 / ((z + eps) * (z + eps))
        z += 1.0
    step = math.log1p(eps / z)
    out -= math.expm1(-step) / z + math.expm1(-2.0 * step) / (2.0 * z * z)
    bernoulli = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0)
    power = 1.0 / (z * z * z)
    for k in range(6):
        out -= bernoulli[k] * power * math.expm1(-(2.0 * k + 3.0) * step)
        power /= z * z
    return out


@_jit
def _pair(a: float, b: float, x: float, hessian: bool) -> tuple[float, ...]:  # pragma: no cover
    """Return the beta-function terms of one ``(x, a, b)`` (see the module docstring).

    ``(base, shift, da, db, b_over, h_aa, h_ab, h_bb)``, all 0 when ``x = 0``.
    """
    if x <= 0.0:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    ab = a + b
    b_drop = b + x - 1.0
    if x <= _RECURRENCE:
        log_part = 0.0
        product = 1.0
        s_ab = 0.0
        s_b = 0.0
        t_ab = 0.0
        t_b = 0.0
        for j in range(int(x)):
            bj = b + j
            abj = ab + j
            product *= bj / abj
            if product < _TINY:
                log_part += math.log(product)
                product = 1.0
            inv_ab = 1.0 / abj
            s_ab += inv_ab
            s_b += 1.0 / (bj * abj)
            if hessian:
                t_ab += inv_ab * inv_ab
                t_b += 1.0 / (bj * bj)
        base = log_part + math.log(product)
        da = -a * s_ab
        db = b * a * s_b
        tri_ab = t_ab
        tri_b = t_ab - t_b
    else:
        base = _log_gamma_ratio(b, a) - _log_gamma_ratio(b + x, a)
        da = a * (_digamma(ab) - _digamma(ab + x))
        db = b * (_digamma_gap(b + x, a) - _digamma_gap(b, a))
        tri_ab = 0.0
        tri_b = 0.0
        if hessian:
            tri_ab = _trigamma(ab) - _trigamma(ab + x)
            tri_b = _trigamma_gap(b + x, a) - _trigamma_gap(b, a)
    shift = math.log(a) - math.log(b_drop)
    b_over = b / b_drop
    return base, shift, da, db, b_over, a * a * tri_ab, a * b * tri_ab, b * b * tri_b


@_jit
def _pairs(  # pragma: no cover - compiled
    a: FloatArray, b: FloatArray, x: FloatArray, hessian: bool, out: FloatArray
) -> None:
    for i in range(len(x)):
        values = _pair(a[i], b[i], x[i], hessian)
        for k in range(8):
            out[k, i] = values[k]


_UPPER = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))
"""The upper triangle of a row's 4 x 4 Hessian, in the order of the kernel's buffer."""


@_jit
def _prepare(  # noqa: PLR0917 - one block of rows and the shared terms
    r: float,
    x: FloatArray,
    start: int,
    pair: npt.NDArray[np.intp],
    per_pair: FloatArray,
    dropout: FloatArray,
    inline: bool,
    hessian: bool,
    logs: FloatArray,
    terms: FloatArray,
) -> None:  # pragma: no cover - compiled
    """First pass over a block: ``d_i``, ``-|d_i|`` into ``logs[3:5]``, inline beta terms.

    ``logs`` holds ``log alpha_i``, ``log(alpha_i + T)``, ``log(alpha_i + t_x)`` (rows 0-2).
    """
    per_row_ab = dropout.shape[1] > 1
    for j in range(logs.shape[1]):
        i = start + j
        xi = x[i]
        if xi <= 0.0:
            logs[3, j] = 0.0
            logs[4, j] = 0.0
            continue
        if inline:
            k = i if per_row_ab else 0
            values = _pair(dropout[0, k], dropout[1, k], xi, hessian)
            for t in range(8):
                terms[t, j] = values[t]
            shift = values[1]
        else:
            shift = per_pair[1, pair[i]]
        d = shift + (r + xi) * (logs[1, j] - logs[2, j])
        logs[3, j] = d
        logs[4, j] = -abs(d)


def _contract(  # noqa: PLR0917 - one block's entries, the multipliers and the sums
    buffer: FloatArray,
    size: int,
    multipliers: FloatArray,
    start: int,
    terms: npt.NDArray[np.intp],
    sums: FloatArray,
) -> None:  # pragma: no cover - compiled
    """Add one block's ``sum_j buffer[e, j] m1[j] m2[j]`` to ``sums[t]`` for each term ``t``.

    ``terms[t]`` is ``(e, c1, c2)``: the buffer row (an entry of :data:`_UPPER`) and the
    rows of ``multipliers`` (columns ``start ..``) that multiply it, ``-1`` for 1. Both
    arrays must be C-contiguous (their rows then are contiguous slices): compiled with
    reassociation (:data:`_contract_sums`), these sums are SIMD loops.
    """
    for t in range(terms.shape[0]):
        e, c1, c2 = terms[t, 0], terms[t, 1], terms[t, 2]
        row = buffer[e]
        total = 0.0
        if c1 < 0:
            for j in range(size):
                total += row[j]
        elif c2 < 0:
            m1 = multipliers[c1, start : start + size]
            for j in range(size):
                total += row[j] * m1[j]
        else:
            m1 = multipliers[c1, start : start + size]
            m2 = multipliers[c2, start : start + size]
            for j in range(size):
                total += row[j] * m1[j] * m2[j]
        sums[t] += total


_contract_sums = compile_kernel(_contract, error_model="numpy", reassociate=True)
""":func:`_contract` compiled with reassociation of its sums only (``fastmath={"reassoc"}``):
the order of a sum's additions is left to LLVM, which vectorises it, as numpy's einsum
orders its own (half the time of four explicit running sums, a fifth of one running sum;
the Hessian only steers Newton steps and gives the standard errors). No other fastmath
flag: infinities, nans and signed zeros keep IEEE semantics."""


@_jit
def _finish(  # noqa: PLR0915, PLR0917 - one block of rows, the shared terms, the outputs
    r: float,
    rows: FloatArray,
    start: int,
    alpha: FloatArray,
    x_index: npt.NDArray[np.intp],
    per_x: FloatArray,
    hessian: bool,
    logs: FloatArray,
    shared: tuple[npt.NDArray[np.intp], FloatArray, FloatArray, bool],
    grads: FloatArray,
    buffer: FloatArray,
) -> float:  # pragma: no cover - compiled
    """Second pass: log-likelihood, gradients and Hessian entries, no special function.

    ``rows`` holds ``x, t_x, T, w`` (rows 0-3); ``logs`` rows 4 and 5 hold
    ``exp(-|d_i|)`` and ``log1p`` of it. ``shared`` is ``(pair, per_pair, terms, inline)``:
    the beta terms are ``terms[:, j]`` (inline) or ``per_pair[:, pair[i]]``.
    """
    pair, per_pair, terms, inline = shared
    per_row_alpha = len(alpha) > 1
    block_total = 0.0
    for j in range(logs.shape[1]):
        i = start + j
        wi = rows[3, i]
        al = alpha[i] if per_row_alpha else alpha[0]
        xi = rows[0, i]
        T = rows[2, i]
        at = al + T
        log_alpha = logs[0, j]
        log_at = logs[1, j]
        if xi <= 0.0:  # no repeat purchase: r log(alpha / (alpha + T))
            log_ratio = log_alpha - log_at
            block_total += wi * (r * log_ratio)
            g_r = wi * r * log_ratio
            g_alpha = wi * (r * T / at)
            grads[0, i] = g_r
            grads[1, i] = g_alpha
            grads[2, i] = 0.0
            grads[3, i] = 0.0
            if hessian:
                buffer[0, j] = g_r
                buffer[1, j] = g_alpha
                buffer[4, j] = -g_alpha * al / at
                buffer[2, j] = 0.0
                buffer[3, j] = 0.0
                buffer[5, j] = 0.0
                buffer[6, j] = 0.0
                buffer[7, j] = 0.0
                buffer[8, j] = 0.0
                buffer[9, j] = 0.0
            continue
        xk = x_index[i]
        pk = pair[i]
        if inline:
            base = terms[0, j]
            da = terms[2, j]
            db = terms[3, j]
            b_over = terms[4, j]
            h_aa = terms[5, j]
            h_ab = terms[6, j]
            h_bb = terms[7, j]
        else:
            base = per_pair[0, pk]
            da = per_pair[2, pk]
            db = per_pair[3, pk]
            b_over = per_pair[4, pk]
            h_aa = per_pair[5, pk]
            h_ab = per_pair[6, pk]
            h_bb = per_pair[7, pk]
        atx = al + rows[1, i]
        gap = log_at - logs[2, j]
        rx = r + xi
        d = logs[3, j]
        e = logs[4, j]
        softplus = max(d, 0.0) + logs[5, j]
        w_drop = (1.0 if d > 0.0 else e) / (1.0 + e)
        block_total += wi * (per_x[0, xk] + r * log_alpha + base - rx * log_at + softplus)
        g_r = r * (per_x[1, xk] + log_alpha - log_at + w_drop * gap)
        inv_t = 1.0 / at
        inv_tx = 1.0 / atx
        shrink = (1.0 - w_drop) * inv_t + w_drop * inv_tx
        g_alpha = r - al * rx * shrink
        grads[0, i] = wi * g_r
        grads[1, i] = wi * g_alpha
        grads[2, i] = wi * (da + w_drop)
        grads[3, i] = wi * (db - w_drop * b_over)
        if hessian:
            v = wi * w_drop * (1.0 - w_drop)
            d_r = r * gap
            spread = al * (inv_t - inv_tx)
            d_alpha = rx * spread
            v_r = v * d_r
            v_alpha = v * d_alpha
            vb = v * b_over
            curvature = (1.0 - w_drop) * inv_t * inv_t + w_drop * inv_tx * inv_tx
            buffer[0, j] = wi * (g_r + per_x[2, xk]) + v_r * d_r
            buffer[1, j] = wi * r * (T * inv_t + w_drop * spread) + v_r * d_alpha
            buffer[2, j] = v_r
            buffer[3, j] = -vb * d_r
            buffer[4, j] = wi * (al * rx * (al * curvature - shrink)) + v_alpha * d_alpha
            buffer[5, j] = v_alpha
            buffer[6, j] = -vb * d_alpha
            buffer[7, j] = wi * (da + h_aa) + v
            buffer[8, j] = wi * h_ab - vb
            buffer[9, j] = wi * (db + h_bb - w_drop * b_over * (1.0 - b_over)) + vb * b_over
    return block_total


def staggered(rows: int, n: int) -> FloatArray:
    """Return an uninitialised ``(rows, n)`` array whose rows do not start ``2^k`` bytes apart.

    A kernel reads or writes every row at the same column in one step; rows a multiple
    of 4 KiB apart map to the same cache set and evict each other (4K aliasing), so
    each row is offset by ``_STAGGER`` doubles more than its length.
    """
    out: FloatArray = np.empty((rows, n + _STAGGER))[:, :n]
    return out


def stack_rows(columns: list[FloatArray]) -> FloatArray:
    """Return the columns as the rows of one :func:`staggered` array (built once per fit)."""
    out = staggered(len(columns), len(columns[0]))
    for c, values in enumerate(columns):
        out[c] = values
    return out


def pair_terms(a: FloatArray, b: FloatArray, x: FloatArray, *, hessian: bool) -> FloatArray:
    """Return the beta-function terms of each ``(x, a, b)``: an ``(8, len(x))`` array.

    Rows: ``B(a, b+x) - B(a, b)``, ``log(a / (b+x-1))``, the log-space gradients in
    ``a`` and ``b``, ``b / (b+x-1)`` and (with ``hessian``, else 0) ``a^2 T_ab``,
    ``a b T_ab``, ``b^2 T_b`` (see :func:`~retention_kpis.clv._bgnbd_covariates._pair_terms`).
    """
    out = np.empty((8, len(x)))
    _pairs(
        np.ascontiguousarray(a, dtype=np.float64),
        np.ascontiguousarray(b, dtype=np.float64),
        np.ascontiguousarray(x, dtype=np.float64),
        hessian,
        out,
    )
    return out


def contraction_terms(
    coordinates: Coordinates, *, stay: bool
) -> tuple[npt.NDArray[np.intp], list[tuple[int, int]]]:
    """Return the :func:`_contract` terms of ``sum_i J_i' H_i J_i`` and their matrix cells.

    Coordinate ``p`` moves base parameter ``coordinates[p][0]``; the ``c``-th coordinate
    with a multiplier reads row ``c`` of the stacked multipliers. ``stay``: rows without
    repeat purchases, whose Hessian has the entries ``(0, 0), (0, 1), (1, 1)`` only.
    """
    columns: list[int] = []
    for _, multiplier in coordinates:
        columns.append(-1 if multiplier is None else sum(c >= 0 for c in columns))
    present = _UPPER[:2] + _UPPER[4:5] if stay else _UPPER
    terms: list[tuple[int, int, int]] = []
    cells: list[tuple[int, int]] = []
    for p, (tp, _) in enumerate(coordinates):
        for q in range(p, len(coordinates)):
            key = (min(tp, coordinates[q][0]), max(tp, coordinates[q][0]))
            if key not in present:
                continue
            c1, c2 = sorted((columns[p], columns[q]), reverse=True)
            terms.append((_UPPER.index(key), c1, c2))
            cells.append((p, q))
    return np.array(terms, dtype=np.intp).reshape(-1, 3), cells


def stack_multipliers(coordinates: Coordinates) -> FloatArray:
    """Return the per-row multipliers of ``coordinates`` as the rows of one C-contiguous array.

    Each row is ``_STAGGER`` doubles longer than the data (see :func:`staggered`).
    """
    columns = [m for _, m in coordinates if m is not None] or [np.zeros(1)]
    out = np.zeros((len(columns), len(columns[0]) + _STAGGER))
    for c, values in enumerate(columns):
        out[c, : len(values)] = values
    return out


def row_pass(  # noqa: PLR0917 - the rows, the shared terms and the outputs
    r: float,
    rows: FloatArray,
    alpha: FloatArray,
    x_index: npt.NDArray[np.intp],
    per_x: FloatArray,
    pair: npt.NDArray[np.intp],
    per_pair: FloatArray,
    dropout: tuple[FloatArray, FloatArray] | None,
    coordinates: tuple[Coordinates, FloatArray] | None,
    grads: FloatArray,
    matrix: FloatArray,
    n_stay: int = 0,
) -> float:
    """Run the fused pass; fill ``grads`` ``(4, n)`` and the upper triangle of ``matrix``.

    ``rows`` is :func:`stack_rows` of ``(x, t_x, T, weights)``; ``per_x`` ``(3, distinct x)`` holds
    ``log G(r+x) - log G(r)``, ``psi(r+x) - psi(r)`` and ``r^2 (psi'(r+x) - psi'(r))``;
    ``per_pair`` the :func:`pair_terms` of each row's ``pair``, unless ``dropout`` gives
    ``(a_i, b_i)`` per row (then they are computed inline). With ``coordinates``
    (the fit's coordinates, see :func:`~retention_kpis.clv._covariates.contract_rows`,
    and their :func:`stack_multipliers`), the upper triangle of ``sum_i J_i' H_i J_i``
    is added to ``matrix``; ``None``: no Hessian. Returns the weighted log-likelihood.
    The first ``n_stay`` rows must have ``x = 0``.
    """
    x, t_x, T = rows[0], rows[1], rows[2]
    n = len(x)
    ab = np.zeros((2, 1)) if dropout is None else np.vstack(dropout)
    hessian = coordinates is not None
    logs_all = staggered(6, _BLOCK)
    terms_all = staggered(8, _BLOCK)
    # C-contiguous, rows _STAGGER doubles longer than used (see staggered)
    buffer_all = np.empty((10, _BLOCK + _STAGGER if hessian else 1))
    multipliers = np.zeros((1, 1)) if coordinates is None else coordinates[1]
    single = len(alpha) == 1
    total = 0.0
    # rows [0, n_stay) have no repeat purchase (the caller sorts them first): only
    # r log(alpha / (alpha + T)), whose Hessian has three entries
    for first, last, stay in ((0, n_stay, True), (n_stay, n, False)):
        plan, cells = (
            contraction_terms(coordinates[0], stay=stay)
            if coordinates is not None
            else (np.zeros((0, 3), dtype=np.intp), [])
        )
        sums = np.zeros(len(cells))
        for start in range(first, last, _BLOCK):
            stop = min(last, start + _BLOCK)
            size = stop - start
            logs, terms = logs_all[:, :size], terms_all[:, :size]
            al = alpha if single else alpha[start:stop]
            # the logarithms and exponentials by numpy's vectorised loops (several times
            # faster than the scalar libm calls of a compiled loop); the rest compiled
            np.log(al, out=logs[0])
            np.add(al, T[start:stop], out=logs[1])
            np.log(logs[1], out=logs[1])
            if not stay:
                np.add(al, t_x[start:stop], out=logs[2])
                np.log(logs[2], out=logs[2])
                _prepare(r, x, start, pair, per_pair, ab, dropout is not None, hessian, logs, terms)
                np.exp(logs[4], out=logs[4])
                np.log1p(logs[4], out=logs[5])
            total += _finish(
                r,
                rows,
                start,
                alpha,
                x_index,
                per_x,
                hessian,
                logs,
                (pair, per_pair, terms, dropout is not None),
                grads,
                buffer_all,
            )
            if hessian:  # contracted while the block's entries are in cache
                _contract_sums(buffer_all, size, multipliers, start, plan, sums)
        for (p, q), value in zip(cells, sums, strict=True):
            matrix[p, q] += value
    return total
