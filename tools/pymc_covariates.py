r"""pymc-marketing's covariate BG/NBD and Pareto/NBD, flat priors, MAP: reference numbers.

Runs in its own virtual environment (pymc-marketing is not a dependency of the project)::

    python3 -m venv /work/venvs/pymc && /work/venvs/pymc/bin/pip install pymc-marketing
    /work/venvs/pymc/bin/python tools/pymc_covariates.py cdnow tests/data/pymc_covariates_cdnow.json
    /work/venvs/pymc/bin/python tools/pymc_covariates.py fit DATA.csv bgnbd OUT.json

``cdnow``: the CDNOW 1/10 sample (2,357 customers, 39 calibration weeks; the summary of
``retention_kpis.datasets.load_cdnow_summary``, read from the package's CSV) with one
covariate, the dollar value of the customer's first purchase day in thousands of dollars
(Abe 2009's covariate), read from ``tests/data/CDNOW_sample.txt.gz``. It is used for both the
purchase and the dropout process, in both models.

``fit``: one model (``bgnbd`` or ``pareto_nbd``) on a CSV with ``customer_id, frequency,
recency, T`` and covariate columns named ``p_*`` (purchase) and ``d_*`` (dropout); used by
``benchmarks/bench_covariates.py``, which times the call.

Every prior is flat (``HalfFlat`` for the positive parameters, ``Flat`` for the
coefficients), so the MAP is the maximum-likelihood estimate. The log-likelihood written
is pymc-marketing's own distribution (``BetaGeoNBD`` / ``ParetoNBD``) evaluated at its MAP.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def cdnow_frame() -> pd.DataFrame:
    """Return the CDNOW sample summary with ``first_spend`` (first purchase day, thousands of $)."""
    summary = pd.read_csv(
        ROOT / "src/retention_kpis/datasets/data/cdnow_customers_summary_with_transactions.csv"
    )
    summary = summary.rename(columns={"ID": "customer_id", "x": "frequency", "t_x": "recency"})
    log = pd.read_csv(
        ROOT / "tests/data/CDNOW_sample.txt.gz",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "dollars"],
    )
    first_day = log.groupby("customer_id")["date"].transform("min")
    first = log[log["date"] == first_day].groupby("customer_id")["dollars"].sum() / 1000.0
    summary["first_spend"] = summary["customer_id"].map(first)
    return summary[["customer_id", "frequency", "recency", "T", "first_spend"]]


def _flat(model_name: str, purchase: list[str], dropout: list[str]) -> dict[str, object]:
    from pymc_extras.prior import Prior  # noqa: PLC0415 - only in the pymc venv

    positive = ("r", "alpha", "a", "b") if model_name == "bgnbd" else ("r", "alpha", "s", "beta")
    config: dict[str, object] = {name: Prior("HalfFlat") for name in positive}
    config["purchase_coefficient"] = Prior("Flat")
    config["dropout_coefficient"] = Prior("Flat")
    config["purchase_covariate_cols"] = purchase
    config["dropout_covariate_cols"] = dropout
    return config


def fit(
    frame: pd.DataFrame,
    model_name: str,
    purchase: list[str],
    dropout: list[str],
    *,
    tight: bool = False,
) -> dict:
    """Fit one model by MAP; return its estimates, log-likelihood and fit time.

    ``tight`` passes stricter L-BFGS-B tolerances to ``pymc.find_MAP`` (through
    pymc-marketing's ``fit``): with scipy's defaults the optimiser stops where the
    weakly identified dropout coefficients of the CDNOW fit are still ~1e-1 from the
    optimum (the log-likelihood ~1e-4 below it). The benchmark keeps the defaults.
    """
    import pymc as pm  # noqa: PLC0415 - only in the pymc venv
    from pymc.tuning import starting  # noqa: PLC0415 - only in the pymc venv
    from pymc_marketing.clv import BetaGeoModel, ParetoNBDModel  # noqa: PLC0415
    from pymc_marketing.clv.distributions import BetaGeoNBD, ParetoNBD  # noqa: PLC0415

    model_type = BetaGeoModel if model_name == "bgnbd" else ParetoNBDModel
    model = model_type(data=frame, model_config=_flat(model_name, purchase, dropout))
    model.build_model()
    # find_MAP compiles the log-density and its gradient, then calls scipy's minimize:
    # timing that call alone separates the optimisation from the compilation
    optimiser: dict[str, float] = {}
    scipy_minimize = starting.minimize

    def timed_minimize(*args: object, **kwargs: object) -> object:
        begin, begin_cpu = time.perf_counter(), time.process_time()
        result = scipy_minimize(*args, **kwargs)
        optimiser["seconds"] = time.perf_counter() - begin
        optimiser["cpu_seconds"] = time.process_time() - begin_cpu
        optimiser["evaluations"] = int(result.nfev)
        optimiser["iterations"] = int(result.nit)
        return result

    starting.minimize = timed_minimize
    start, start_cpu = time.perf_counter(), time.process_time()
    options = {"maxeval": 100_000, "options": {"maxiter": 50_000, "ftol": 1e-15, "gtol": 1e-10}}
    try:
        model.fit(method="map", progressbar=False, **(options if tight else {}))
    finally:
        starting.minimize = scipy_minimize
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    post = model.idata.posterior
    values = {name: np.asarray(post[name]).reshape(-1) for name in post.data_vars}
    observed = np.column_stack([frame["recency"], frame["frequency"]])
    T = frame["T"].to_numpy()
    out: dict[str, object] = {
        "model": model_name,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "optimiser_seconds": optimiser.get("seconds"),
        "optimiser_cpu_seconds": optimiser.get("cpu_seconds"),
        "compile_and_setup_seconds": seconds - optimiser["seconds"] if optimiser else None,
        "evaluations": optimiser.get("evaluations"),
        "iterations": optimiser.get("iterations"),
        "n": len(frame),
        "tight_tolerances": tight,
    }
    if model_name == "bgnbd":
        dist = BetaGeoNBD.dist(
            r=values["r"][0], alpha=values["alpha"], a=values["a"], b=values["b"], T=T
        )
        scales = {"alpha": "alpha_scale", "a": "a_scale", "b": "b_scale"}
        coefficients = {
            "purchase": "purchase_coefficient_alpha",
            "dropout_a": "dropout_coefficient_a",
            "dropout_b": "dropout_coefficient_b",
        }
        groups = {"purchase": purchase, "dropout_a": dropout, "dropout_b": dropout}
    else:
        dist = ParetoNBD.dist(
            r=values["r"][0], alpha=values["alpha"], s=values["s"][0], beta=values["beta"], T=T
        )
        scales = {"alpha": "alpha_scale", "beta": "beta_scale"}
        coefficients = {"purchase": "purchase_coefficient", "dropout": "dropout_coefficient"}
        groups = {"purchase": purchase, "dropout": dropout}
    params: dict[str, float] = {}
    for name in ("r", "s"):
        if name in values:
            params[name] = float(values[name][0])
    for name, scale in scales.items():
        covariates = purchase if name == "alpha" else dropout
        params[name] = float(values[scale if covariates else name][0])
    for label, variable in coefficients.items():
        for j, column in enumerate(groups[label]):
            params[f"{label}:{column}"] = float(values[variable][j])
    out["params"] = params
    out["log_likelihood"] = float(pm.logp(dist, observed).sum().eval())
    return out


def main(argv: list[str]) -> int:
    """Run ``cdnow OUT`` or ``fit DATA MODEL OUT`` (see the module docstring)."""
    import pymc_marketing  # noqa: PLC0415 - only in the pymc venv

    if len(argv) == 3 and argv[1] == "cdnow":
        frame = cdnow_frame()
        results = [
            fit(frame, name, ["first_spend"], ["first_spend"], tight=True)
            for name in ("bgnbd", "pareto_nbd")
        ]
        payload = {
            "source": "tools/pymc_covariates.py cdnow",
            "pymc_marketing": pymc_marketing.__version__,
            "data": "CDNOW 1/10 sample, 2,357 customers, weeks; covariate first_spend = dollar "
            "value of the first purchase day / 1000, for purchase and dropout",
            "fits": results,
        }
        Path(argv[2]).write_text(json.dumps(payload, indent=2) + "\n")
        return 0
    if len(argv) == 5 and argv[1] == "fit":
        frame = pd.read_csv(argv[2])
        purchase = [c for c in frame.columns if c.startswith("p_")]
        dropout = [c for c in frame.columns if c.startswith("d_")]
        result = fit(frame, argv[3], purchase, dropout)
        result["pymc_marketing"] = pymc_marketing.__version__
        Path(argv[4]).write_text(json.dumps(result, indent=2) + "\n")
        return 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
