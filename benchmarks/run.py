"""Run every benchmark module and print one table of ratios.

Usage: ``python benchmarks/run.py [--quick] [--only SUBSTRING]`` (or ``bash benchmarks/run.sh``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import Result  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", default="", help="run only modules whose name contains this")
    args = parser.parse_args()
    results: list[Result] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and args.only not in path.stem:
            continue
        module = importlib.import_module(path.stem)
        print(f"# {path.stem}", flush=True)
        for result in module.run(quick=args.quick):
            results.append(result)
            ratio = "n/a" if result.ratio is None else f"{result.ratio:.1f}x"
            ref = "-" if result.reference_s is None else f"{result.reference_s:.3f}s"
            print(
                f"  {result.name:<55} ours {result.ours_s:8.3f}s  {result.reference:<28} {ref:>9}"
                f"  ratio {ratio:>7}  {result.target}  {result.extra or ''}",
                flush=True,
            )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    payload = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "results": [{**r.__dict__, "ratio": r.ratio} for r in results],
    }
    (out / "latest.json").write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
