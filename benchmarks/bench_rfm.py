"""rfm_summary against lifetimes' summary_data_from_transaction_data.

Synthetic transaction log (numpy, seeded): 10 transactions per customer on
average, timestamps to the second over two years, so several purchases often
share a day (the merging into purchase periods is exercised). Every comparison
first asserts that both sides give the same summary (frequency, recency and T
exactly, monetary_value to 1e-12 relative).

Backends: pandas, polars (eager and lazy), DuckDB and PySpark (``local[2]``, reading the
transactions from Parquet), each when installed; a backend's time includes fetching its
summary into Python (polars collect, DuckDB Arrow, PySpark ``toPandas``).
At 1M transactions, lifetimes and each of our backends are called alternately,
three rounds, best time each (the benchmark machine's load varies). At 10M,
lifetimes is timed once per variant (one call takes 10-50 s); our backends get
the best of three.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from _harness import Result, best_time, peak_memory_mb, read_parquet_with_spark

SEED = 20240501
_TARGET = ">= 5x vs lifetimes"


def make_transactions(n_transactions: int, n_customers: int) -> Any:
    """Seeded pandas frame with columns customer, timestamp, amount."""
    import pandas as pd  # noqa: PLC0415 - benchmarks import their backends lazily

    rng = np.random.default_rng(SEED)
    start = np.datetime64("2022-01-01T00:00:00", "s")
    seconds = rng.integers(0, 2 * 365 * 86_400, n_transactions)
    return pd.DataFrame(
        {
            "customer": rng.integers(0, n_customers, n_transactions),
            "timestamp": (start + seconds.astype("timedelta64[s]")).astype("datetime64[ns]"),
            "amount": np.round(rng.gamma(2.0, 20.0, n_transactions), 2),
        }
    )


def _to_pandas(result: Any) -> Any:
    import pandas as pd  # noqa: PLC0415 - benchmarks import their backends lazily

    if isinstance(result, pd.DataFrame):
        return result
    return _materialise(result).to_pandas()  # polars DataFrame or pyarrow Table


def _assert_same(ours: Any, reference: Any, *, monetary: bool) -> None:
    ours = _to_pandas(ours).set_index("customer").sort_index()
    reference = reference.sort_index()
    assert np.array_equal(ours.index.to_numpy(), reference.index.to_numpy())
    for column in ("frequency", "recency", "T"):
        assert np.array_equal(ours[column].to_numpy(float), reference[column].to_numpy(float)), (
            column
        )
    if monetary:
        assert np.allclose(
            ours["monetary_value"].to_numpy(),
            reference["monetary_value"].to_numpy(),
            rtol=1e-12,
            atol=0,
        )


def _spark(frame: Any, folder: Path) -> Any:
    """The frame as a PySpark DataFrame read from Parquet (``local[2]``), as on a cluster."""
    path = folder / "transactions.parquet"
    # Spark reads microsecond timestamps only (the synthetic ones are whole seconds).
    frame.to_parquet(path, index=False, coerce_timestamps="us")
    return read_parquet_with_spark(path, "retention_kpis-bench-rfm")


def _backends(frame: Any, folder: Path) -> dict[str, Any]:
    """The same data on every backend installed here (polars, DuckDB, PySpark are optional)."""
    backends: dict[str, Any] = {"pandas": frame}
    try:
        import polars as pl  # noqa: PLC0415 - optional backend

        backends["polars"] = pl.from_pandas(frame)
        backends["polars-lazy"] = backends["polars"].lazy()
    except ImportError:
        pass
    try:
        import duckdb  # noqa: PLC0415 - optional backend

        backends["duckdb"] = duckdb.from_df(frame)
    except ImportError:
        pass
    if importlib.util.find_spec("pyspark") is not None:  # pyspark is optional
        backends["pyspark"] = _spark(frame, folder)
    return backends


def _materialise(result: Any) -> Any:
    if hasattr(result, "toPandas"):  # PySpark DataFrame: run the job, fetch the summary
        return result.toPandas()
    if hasattr(result, "collect"):
        return result.collect()
    if hasattr(result, "to_arrow_table"):  # DuckDB relation: run the query
        return result.to_arrow_table()
    return result


def _paired_best(ours: Any, reference: Any, rounds: int = 3) -> tuple[float, float]:
    """Best times of ``ours`` and ``reference``, called alternately.

    The benchmark machine is shared, so the load changes from second to second.
    Alternating the calls means both sides see the same load.
    """
    ours_s = reference_s = float("inf")
    for _ in range(rounds):
        reference_s = min(reference_s, best_time(reference, repeat=1))
        ours_s = min(ours_s, best_time(ours, repeat=1))
    return ours_s, reference_s


def run(quick: bool) -> list[Result]:
    from lifetimes.utils import summary_data_from_transaction_data  # noqa: PLC0415 - benchmark venv only

    from retention_kpis.clv import rfm_summary  # noqa: PLC0415 - after the path is set up

    results: list[Result] = []
    sizes = [(100_000, 10_000)] if quick else [(1_000_000, 100_000), (10_000_000, 1_000_000)]
    for n_transactions, n_customers in sizes:
        frame = make_transactions(n_transactions, n_customers)
        label = (
            f"{n_transactions // 1_000_000}M"
            if n_transactions >= 1_000_000
            else f"{n_transactions // 1_000}k"
        )
        big = n_transactions > 1_000_000
        folder = tempfile.TemporaryDirectory()
        natives = _backends(frame, Path(folder.name))
        for monetary in (None, "amount"):

            def reference(monetary: str | None = monetary, frame: Any = frame) -> Any:
                return summary_data_from_transaction_data(
                    frame, "customer", "timestamp", monetary_value_col=monetary
                )

            expected = reference()
            reference_s = best_time(reference, repeat=1) if big else None
            for backend, native in natives.items():

                def ours(native: Any = native, monetary: str | None = monetary) -> Any:
                    return _materialise(
                        rfm_summary(
                            native,
                            customer_id="customer",
                            timestamp="timestamp",
                            monetary_value=monetary,
                        )
                    )

                _assert_same(ours(), expected, monetary=monetary is not None)
                extra: dict[str, Any] = {}
                if backend == "pandas":
                    extra["peak_mb"] = round(peak_memory_mb(ours), 1)
                if big:  # lifetimes timed once per variant (one call takes 10-50 s)
                    ours_s, paired_reference_s = best_time(ours), reference_s
                else:
                    ours_s, paired_reference_s = _paired_best(ours, reference)
                results.append(
                    Result(
                        name=f"rfm_summary {label} tx{' +monetary' if monetary else ''} [{backend}]",
                        ours_s=ours_s,
                        reference_s=paired_reference_s,
                        reference="lifetimes summary_data",
                        target=_TARGET,
                        extra=extra,
                    )
                )
        if "pyspark" in natives:
            natives["pyspark"].sparkSession.stop()
        folder.cleanup()
    return results
