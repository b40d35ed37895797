"""Run the console script with ``python -m retention_kpis``."""

from __future__ import annotations

import sys

from retention_kpis.cli import main

if __name__ == "__main__":
    sys.exit(main())
