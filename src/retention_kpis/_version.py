__version__ = "0.1.0"
"""The installed version of retention_kpis."""
