"""Covariate BG/NBD and Pareto/NBD fits against pymc-marketing's flat-prior MAP, same run.

pymc-marketing is not installed in the benchmark venv: its fit runs in a subprocess of the
interpreter named by ``PYMC_PYTHON`` (default ``/work/venvs/pymc/bin/python``), through
``tools/pymc_covariates.py fit``, which times ``model.fit(method="map")`` (the model graph
is built before the clock starts; the data reading is not timed) and, inside it, scipy's
``minimize`` call alone: ``pymc_seconds`` includes pytensor's compilation of the
log-density and its gradient (as a user sees it), ``pymc_optimiser_seconds`` does not.
``pymc_evaluations`` counts its log-density evaluations (each also evaluates the gradient,
a second compiled function). Without that interpreter the pymc side is skipped.

Each engine (``engine="numba"`` and ``engine="numpy"``, in that order; ``BENCH_ENGINES``
chooses) is timed in the same run against the same pymc-marketing fit, with its ratios
(``numba_ratio``, ``numpy_ratio``, CPU and without pymc's compilation likewise); numba's
one-off compilation is measured apart, in fresh processes with an empty and with a filled
kernel cache (``first_fit_*``), since the timed fits run after a warm-up.

Our time is the median of three ``fit`` calls on the same frame (wall and CPU time; the
machine is shared, so wall times of ours, a second or less, vary with the load more than
pymc's), after an untimed fit of 2,000 customers (which imports scipy's modules; pymc's
imports are not timed either), without tracemalloc (the peak memory is measured in a
separate, traced fit). ``evaluations`` counts our likelihood evaluations (with or without
the Hessian), ``full_data_evaluations`` those over every row (the others are on the
sample whose fit gives the start: 50,000 customers for BG/NBD, 10,000 for Pareto/NBD).
The ratios are pymc's time over ours: wall with and without pytensor's compilation,
and CPU (``process_time``, all threads) likewise. ``OPENBLAS_NUM_THREADS=1`` applies to
both processes when set.

Data (``simulate``), CDNOW-like base parameters, two shapes:

* ``continuous`` (the default): 52 weeks of continuous time, one continuous purchase
  covariate (``p_spend`` ~ N(0, 1), think standardised first-order value) and one binary
  dropout covariate (``d_channel``). No two customers share a row: the worst case for us.
* ``continuous_dropout``: as ``continuous`` with a continuous dropout covariate
  (``d_age`` ~ N(0, 1)) instead of the binary one: BG/NBD's beta and digamma terms, shared
  per dropout-covariate value otherwise, are computed for every customer.
* ``weekly``: what ``rfm_summary(..., freq="W")`` gives: recency and T in whole weeks,
  customers acquired over the first 12 weeks (T from 40 to 52), and categorical covariates
  only (``p_referred``, ``d_newsletter``, both 0/1; acquisition channel, opt-ins). Many
  customers share a row, which we fit once with its count; pymc-marketing evaluates
  every customer. Realistic for weekly summaries with categorical customer attributes;
  a continuous covariate (spend) makes rows distinct again (the first shape).

``python benchmarks/bench_covariates.py [model n pymc_n ...]`` runs it alone (for example
``bgnbd 1000000 1000000 pareto_nbd 100000 100000``, the default; ``weekly:bgnbd`` for the
second shape).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _harness import Result

HERE = Path(__file__).resolve().parent
PYMC_PYTHON = os.environ.get("PYMC_PYTHON", "/work/venvs/pymc/bin/python")

COVARIATES = {
    "continuous": (["p_spend"], ["d_channel"]),
    "weekly": (["p_referred"], ["d_newsletter"]),
    "continuous_dropout": (["p_spend"], ["d_age"]),
}
BGNBD = {"r": 0.25, "alpha": 4.5, "a": 0.8, "b": 2.5, "p": 0.4, "da": 0.5, "db": -0.3}
PARETO = {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7, "p": 0.4, "d": 0.5}


def simulate(model: str, n: int, seed: int = 0, shape: str = "continuous") -> pd.DataFrame:
    """Histories with per-customer parameters (see tests/clv/test_covariates.py)."""
    rng = np.random.default_rng(seed)
    weekly = shape == "weekly"
    purchase = rng.integers(0, 2, n).astype(float) if weekly else rng.normal(0.0, 1.0, n)
    dropout = rng.integers(0, 2, n).astype(float)
    if shape == "continuous_dropout":
        dropout = rng.normal(0.0, 1.0, n)  # a standardised age, say
    T = 52.0 - rng.integers(0, 13, n) if weekly else np.full(n, 52.0)
    if model == "bgnbd":
        c = BGNBD
        rate = rng.gamma(c["r"], 1.0 / (c["alpha"] * np.exp(-c["p"] * purchase)))
        p = rng.beta(c["a"] * np.exp(c["da"] * dropout), c["b"] * np.exp(c["db"] * dropout))
        bought = rng.poisson(rate * T)
        x = np.minimum(bought, rng.geometric(p))
        beta_b = np.maximum(bought - x + 1, 1)
        t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), beta_b), 0.0)
    else:
        c = PARETO
        rate = rng.gamma(c["r"], 1.0 / (c["alpha"] * np.exp(-c["p"] * purchase)))
        death = rng.gamma(c["s"], 1.0 / (c["beta"] * np.exp(-c["d"] * dropout)))
        end = np.minimum(rng.exponential(1.0 / death), T)
        x = rng.poisson(rate * end)
        t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    if weekly:
        t_x = np.floor(t_x)  # whole weeks since the first purchase
    names = COVARIATES[shape]
    return pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "frequency": x.astype(float),
            "recency": t_x,
            "T": T,
            names[0][0]: purchase,
            names[1][0]: dropout,
        }
    )


def ours(model: str, frame: pd.DataFrame, shape: str, engine: str = "auto") -> dict[str, Any]:
    """Our fit on ``engine``: wall and CPU seconds (median of 3 fits), peak memory, evaluations.

    ``calls`` holds the rows each likelihood evaluation of the first timed fit covered
    (evaluations on the sample that gives the start have fewer rows than the data).
    """
    from retention_kpis.clv import (  # noqa: PLC0415 - after sys.path setup
        BetaGeoCovariateModel,
        ParetoNBDCovariateModel,
    )
    from retention_kpis.clv._bgnbd_covariates import BetaGeoRows  # noqa: PLC0415
    from retention_kpis.clv._pareto_covariates import ParetoRows  # noqa: PLC0415

    model_type = BetaGeoCovariateModel if model == "bgnbd" else ParetoNBDCovariateModel
    purchase, dropout = COVARIATES[shape]

    def fit() -> Any:
        return model_type().fit(
            frame, purchase_covariates=purchase, dropout_covariates=dropout, engine=engine
        )

    model_type().fit(
        frame.iloc[:2000], purchase_covariates=purchase, dropout_covariates=dropout, engine=engine
    )
    rows_type, method = (BetaGeoRows, "evaluate") if model == "bgnbd" else (ParetoRows, "_evaluate")
    counted = getattr(rows_type, method)
    calls: list[int] = []

    def counting(self: object, *args: object, **kwargs: object) -> object:
        calls.append(len(self.x))  # type: ignore[attr-defined]
        return counted(self, *args, **kwargs)

    setattr(rows_type, method, counting)
    try:
        fitted = fit()
    finally:
        setattr(rows_type, method, counted)
    walls, cpus = [], []
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        fit()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    tracemalloc.start()
    fit()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": float(np.median(walls)),
        "min_seconds": min(walls),
        "cpu_seconds": float(np.median(cpus)),
        "memory": peak / 2**20,
        "fitted": fitted,
        "calls": calls,
    }


COMPILE_SCRIPT = """
import json, sys, time
sys.path.insert(0, {here!r})
from bench_covariates import COVARIATES, simulate
frame = simulate({model!r}, 2000, shape={shape!r})
purchase, dropout = COVARIATES[{shape!r}]
start, start_cpu = time.perf_counter(), time.process_time()
from retention_kpis.clv import BetaGeoCovariateModel, ParetoNBDCovariateModel
model_type = BetaGeoCovariateModel if {model!r} == "bgnbd" else ParetoNBDCovariateModel
model_type().fit(frame, purchase_covariates=purchase, dropout_covariates=dropout,
                 engine={engine!r})
first = (time.perf_counter() - start, time.process_time() - start_cpu)
start, start_cpu = time.perf_counter(), time.process_time()
model_type().fit(frame, purchase_covariates=purchase, dropout_covariates=dropout,
                 engine={engine!r})
again = (time.perf_counter() - start, time.process_time() - start_cpu)
print(json.dumps({{"first": first, "again": again}}))
"""


def first_fit_seconds(model: str, shape: str) -> dict[str, float]:
    """The first fit of 2,000 customers in a fresh process: compilation and imports.

    numba compiles the kernel on its first call and stores it on disk (``cache=True``;
    here in a fresh ``NUMBA_CACHE_DIR``), so a process that finds the cache loads it
    instead. Measured: numba with an empty cache, numba with that cache filled, numpy;
    the first fit's wall and CPU seconds minus those of a second fit in the same process.
    """
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [("numba_empty_cache", "numba"), ("numba_cached", "numba"), ("numpy", "numpy")]
        for label, engine in runs:
            script = COMPILE_SCRIPT.format(here=str(HERE), model=model, shape=shape, engine=engine)
            done = subprocess.run(
                [sys.executable, "-c", script], check=True, capture_output=True, text=True, env=env
            )
            timing = json.loads(done.stdout)
            out[f"first_fit_{label}_seconds"] = round(timing["first"][0] - timing["again"][0], 3)
            out[f"first_fit_{label}_cpu_seconds"] = round(
                timing["first"][1] - timing["again"][1], 3
            )
    return out


def pymc(model: str, frame: pd.DataFrame) -> dict | None:
    """pymc-marketing's MAP fit in its own interpreter; None when it is not installed."""
    if not Path(PYMC_PYTHON).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data.csv", Path(tmp) / "out.json"
        frame.to_csv(data, index=False)
        script = HERE.parent / "tools" / "pymc_covariates.py"
        subprocess.run(
            [PYMC_PYTHON, str(script), "fit", str(data), model, str(out)],
            check=True,
            capture_output=True,
        )
        result = json.loads(out.read_text())
        # peak resident memory of the largest child so far (KiB on Linux): pymc's process
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return result


SIZES = {
    "bgnbd": (1_000_000, 1_000_000),
    "weekly:bgnbd": (1_000_000, 1_000_000),
    "pareto_nbd": (100_000, 100_000),
    "weekly:pareto_nbd": (100_000, 100_000),
}
"""Customers fitted by us and by pymc-marketing. Pareto/NBD stays at 100,000: pymc-marketing
spends about 0.2 s per 25,000 customers per evaluation there, so a million would take
minutes per fit on the shared 2-core machine."""
QUICK = {"bgnbd": (100_000, 100_000), "pareto_nbd": (20_000, 20_000)}


def engines() -> list[str]:
    """The engines timed: ``BENCH_ENGINES`` (comma-separated), else numpy and numba."""
    from retention_kpis._core.jit import numba_available  # noqa: PLC0415

    chosen = os.environ.get("BENCH_ENGINES", "numba,numpy").split(",")
    return [e for e in chosen if e == "numpy" or (e == "numba" and numba_available())]


def run(quick: bool, sizes: dict[str, tuple[int, int]] | None = None) -> list[Result]:
    """One result per model: our fit (each engine) and pymc-marketing's on the same customers.

    Keys of ``sizes`` are ``model`` or ``shape:model`` (``weekly:bgnbd``). The result's
    time is the first engine's (numba, the default ``engine="auto"`` when installed);
    ``extra`` holds every engine's figures under its name (``numpy_seconds``,
    ``numba_ratio``, ...), and numba's one-off compilation (:func:`first_fit_seconds`).
    """
    chosen = sizes or (QUICK if quick else SIZES)
    results: list[Result] = []
    timed = engines()
    for key, (n, pymc_n) in chosen.items():
        shape, _, model = key.rpartition(":")
        shape = shape or "continuous"
        frame = simulate(model, n, shape=shape)
        runs = {engine: ours(model, frame, shape, engine) for engine in timed}
        mine = runs[timed[0]]
        seconds, fitted, calls = mine["seconds"], mine["fitted"], mine["calls"]
        extra: dict[str, object] = {
            "data": shape,
            "engine": timed[0],
            "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
            "load_average": round(os.getloadavg()[0], 2),
            "ours_min_seconds": round(mine["min_seconds"], 3),
            "ours_cpu_seconds": round(mine["cpu_seconds"], 3),
            "peak_memory_mib": round(mine["memory"], 1),
            "log_likelihood": fitted.log_likelihood,
            "evaluations": len(calls),
            "full_data_evaluations": sum(rows == max(calls) for rows in calls),
            "rows_evaluated": max(calls),
        }
        for engine, result in runs.items():
            extra[f"{engine}_seconds"] = round(result["seconds"], 3)
            extra[f"{engine}_cpu_seconds"] = round(result["cpu_seconds"], 3)
            extra[f"{engine}_peak_memory_mib"] = round(result["memory"], 1)
            extra[f"{engine}_log_likelihood"] = result["fitted"].log_likelihood
        if "numba" in runs and "numpy" in runs:
            a, b = runs["numpy"]["fitted"], runs["numba"]["fitted"]
            extra["engines_log_likelihood_relative_difference"] = abs(
                a.log_likelihood - b.log_likelihood
            ) / abs(a.log_likelihood)
            extra["engines_max_coefficient_difference_in_se"] = max(
                abs(a.coefficients[k] - b.coefficients[k]) / a.standard_errors[k]
                for k in a.coefficients
            )
            extra.update(first_fit_seconds(model, shape))
        reference_s = None
        if pymc_n:
            small = frame.iloc[:pymc_n]
            small_runs = (
                runs
                if pymc_n == n
                else {engine: ours(model, small, shape, engine) for engine in timed}
            )
            small_run = small_runs[timed[0]]
            small_s, small_fit = small_run["seconds"], small_run["fitted"]
            theirs = pymc(model, small)
            if theirs is not None:
                reference_s = theirs["seconds"] * (n / pymc_n)
                params = small_fit.coefficients
                extra.update(
                    pymc_n=pymc_n,
                    pymc_seconds=round(theirs["seconds"], 2),
                    pymc_cpu_seconds=round(theirs["cpu_seconds"], 2),
                    pymc_optimiser_seconds=round(theirs["optimiser_seconds"], 2),
                    pymc_optimiser_cpu_seconds=round(theirs["optimiser_cpu_seconds"], 2),
                    pymc_compile_and_setup_seconds=round(theirs["compile_and_setup_seconds"], 2),
                    pymc_evaluations=theirs["evaluations"],
                    ratio_without_pymc_compile=round(theirs["optimiser_seconds"] / small_s, 1),
                    cpu_ratio=round(theirs["cpu_seconds"] / small_run["cpu_seconds"], 1),
                    cpu_ratio_without_pymc_compile=round(
                        theirs["optimiser_cpu_seconds"] / small_run["cpu_seconds"], 1
                    ),
                    pymc_peak_rss_mib=round(theirs["peak_rss_mib"], 1),
                    ours_seconds_at_pymc_n=round(small_s, 3),
                    ratio_at_pymc_n=round(theirs["seconds"] / small_s, 1),
                    log_likelihood_difference=small_fit.log_likelihood - theirs["log_likelihood"],
                    max_relative_parameter_difference=max(
                        abs(params[k] - v) / max(abs(v), 1e-12) for k, v in theirs["params"].items()
                    ),
                )
                for engine, result in small_runs.items():
                    extra[f"{engine}_ratio"] = round(theirs["seconds"] / result["seconds"], 1)
                    extra[f"{engine}_cpu_ratio"] = round(
                        theirs["cpu_seconds"] / result["cpu_seconds"], 1
                    )
                    extra[f"{engine}_ratio_without_pymc_compile"] = round(
                        theirs["optimiser_seconds"] / result["seconds"], 1
                    )
                extra["load_average_after"] = round(os.getloadavg()[0], 2)
        label = f"{model} covariate fit, {n:,} customers, {shape} data"
        note = "" if reference_s is None or pymc_n == n else f" (pymc at {pymc_n:,}, scaled by n)"
        results.append(
            Result(label, seconds, reference_s, f"pymc-marketing MAP{note}", "50x", extra)
        )
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent / "src"))
    # python benchmarks/bench_covariates.py [model n pymc_n ...]
    args = sys.argv[1:]
    chosen = {args[i]: (int(args[i + 1]), int(args[i + 2])) for i in range(0, len(args), 3)}
    for result in run(quick=False, sizes=chosen or None):
        sys.stdout.write(
            f"{result.name}: ours {result.ours_s:.2f} s, reference {result.reference_s} s, "
            f"ratio {result.ratio}, {json.dumps(result.extra)}\n"
        )
