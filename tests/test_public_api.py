"""Tests of the public namespace of retention_kpis."""

from __future__ import annotations

import retention_kpis


def test_all_is_sorted():
    assert retention_kpis.__all__ == sorted(retention_kpis.__all__)


def test_all_has_no_duplicates():
    assert len(retention_kpis.__all__) == len(set(retention_kpis.__all__))


def test_every_name_in_all_resolves():
    missing = [name for name in retention_kpis.__all__ if not hasattr(retention_kpis, name)]
    assert missing == []


def test_pure_metric_functions_and_models_are_exported():
    expected = {
        "average_order_value": "AverageOrderValue",
        "churn_rate": "ChurnRate",
        "conversion_rate": "ConversionRate",
        "cost_per_acquisition": "CostPerAcquisition",
        "customer_acquisition_cost": "CustomerAcquisitionCost",
        "customer_effort_score": "CustomerEffortScore",
        "customer_lifetime_value": "CustomerLifetimeValue",
        "customer_satisfaction_score": "CustomerSatisfactionScore",
        "net_promoter_score": "NetPromoterScore",
        "purchase_frequency": "PurchaseFrequency",
        "repeat_purchase_rate": "RepeatPurchaseRate",
        "retention_rate": "RetentionRate",
        "return_on_ad_spend": "ReturnOnAdSpend",
    }
    for function, model in expected.items():
        assert function in retention_kpis.__all__
        assert model in retention_kpis.__all__
        assert callable(getattr(retention_kpis, function))
        assert (
            getattr(retention_kpis, model).__module__
            == getattr(retention_kpis, function).__module__
        )
