"""Predictive customer lifetime value: RFM summaries and buy-till-you-die models."""
