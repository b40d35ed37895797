"""Predictive customer lifetime value: RFM summaries and buy-till-you-die models."""

from retention_kpis.clv.rfm import calibration_holdout_split, rfm_summary

__all__ = [
    "calibration_holdout_split",
    "rfm_summary",
]
