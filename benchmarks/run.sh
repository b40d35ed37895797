#!/usr/bin/env bash
# One command for all benchmarks: bash benchmarks/run.sh [--quick] [--only NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BENCH_VENV:-.bench-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
"$VENV/bin/pip" install -q -e . -r benchmarks/requirements.txt
exec "$VENV/bin/python" benchmarks/run.py "$@"
