"""retention_kpis: customer-retention and performance-marketing KPIs.

Pure metric functions return floats; their result models keep the parts, the
unit and the definition. :func:`compute_kpis` runs them all over a frame of
events on any backend narwhals supports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from retention_kpis._version import __version__
from retention_kpis.exceptions import (
    ColumnNotFoundError,
    ConvergenceError,
    InvalidInputError,
    RetentionKPIsError,
    UndefinedKPIWarning,
)
from retention_kpis.metrics.aov import AverageOrderValue, average_order_value
from retention_kpis.metrics.cac import CustomerAcquisitionCost, customer_acquisition_cost
from retention_kpis.metrics.cart import (
    CartAbandonmentRate,
    CheckoutConversionRate,
    cart_abandonment_rate,
    checkout_conversion_rate,
)
from retention_kpis.metrics.ces import CustomerEffortScore, customer_effort_score
from retention_kpis.metrics.churn import ChurnRate, churn_rate
from retention_kpis.metrics.clv import CustomerLifetimeValue, customer_lifetime_value
from retention_kpis.metrics.conversion import ConversionRate, conversion_rate
from retention_kpis.metrics.cpa import CostPerAcquisition, cost_per_acquisition
from retention_kpis.metrics.csat import CustomerSatisfactionScore, customer_satisfaction_score
from retention_kpis.metrics.email import (
    EmailClickThroughRate,
    EmailClickToOpenRate,
    EmailOpenRate,
    EmailUnsubscribeRate,
    email_click_through_rate,
    email_click_to_open_rate,
    email_open_rate,
    email_unsubscribe_rate,
)
from retention_kpis.metrics.nps import NetPromoterScore, net_promoter_score
from retention_kpis.metrics.pareto import ParetoShare, pareto_share
from retention_kpis.metrics.purchase_frequency import PurchaseFrequency, purchase_frequency
from retention_kpis.metrics.referral import (
    ReferralRate,
    ReferredCustomerShare,
    referral_rate,
    referred_customer_share,
)
from retention_kpis.metrics.repeat_purchase import RepeatPurchaseRate, repeat_purchase_rate
from retention_kpis.metrics.retention import RetentionRate, retention_rate
from retention_kpis.metrics.roas import ReturnOnAdSpend, return_on_ad_spend
from retention_kpis.stats import (
    IntervalEstimate,
    NPSEstimate,
    ProportionEstimate,
    RatioEstimate,
    benjamini_hochberg,
    bootstrap_interval,
    log_product_interval,
    log_product_standard_error,
    normal_difference_test,
    nps_interval,
    nps_standard_error,
    proportion_difference_interval,
    proportion_interval,
    ratio_interval,
    ratio_interval_from_sums,
    ratio_standard_error,
    top_share_interval_from_sums,
    top_share_standard_error,
    total_interval,
    two_proportion_ztest,
)

if TYPE_CHECKING:
    from retention_kpis.events import EventSchema, EventTypes, validate_events
    from retention_kpis.report import (
        ChangeReport,
        KPIChange,
        KPIComparison,
        KPIDifference,
        KPIReport,
        KPIRow,
        compare_kpis,
        compute_kpis,
        detect_changes,
        engagement_kpis,
        referred_vs_organic,
    )

# The events facade (narwhals, attribution, cohorts) loads on first use, so that
# `import retention_kpis` for the pure metrics stays fast.
_LAZY = {
    "ChangeReport": "retention_kpis.report",
    "KPIChange": "retention_kpis.report",
    "EventSchema": "retention_kpis.events",
    "EventTypes": "retention_kpis.events",
    "KPIComparison": "retention_kpis.report",
    "KPIDifference": "retention_kpis.report",
    "KPIReport": "retention_kpis.report",
    "KPIRow": "retention_kpis.report",
    "compare_kpis": "retention_kpis.report",
    "compute_kpis": "retention_kpis.report",
    "detect_changes": "retention_kpis.report",
    "engagement_kpis": "retention_kpis.report",
    "referred_vs_organic": "retention_kpis.report",
    "validate_events": "retention_kpis.events",
}


def __getattr__(name: str) -> Any:  # noqa: ANN401 - the attribute's own type
    """Import the facade's names on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'retention_kpis' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "AverageOrderValue",
    "CartAbandonmentRate",
    "ChangeReport",
    "CheckoutConversionRate",
    "ChurnRate",
    "ColumnNotFoundError",
    "ConvergenceError",
    "ConversionRate",
    "CostPerAcquisition",
    "CustomerAcquisitionCost",
    "CustomerEffortScore",
    "CustomerLifetimeValue",
    "CustomerSatisfactionScore",
    "EmailClickThroughRate",
    "EmailClickToOpenRate",
    "EmailOpenRate",
    "EmailUnsubscribeRate",
    "EventSchema",
    "EventTypes",
    "IntervalEstimate",
    "InvalidInputError",
    "KPIChange",
    "KPIComparison",
    "KPIDifference",
    "KPIReport",
    "KPIRow",
    "NPSEstimate",
    "NetPromoterScore",
    "ParetoShare",
    "ProportionEstimate",
    "PurchaseFrequency",
    "RatioEstimate",
    "ReferralRate",
    "ReferredCustomerShare",
    "RepeatPurchaseRate",
    "RetentionKPIsError",
    "RetentionRate",
    "ReturnOnAdSpend",
    "UndefinedKPIWarning",
    "__version__",
    "average_order_value",
    "benjamini_hochberg",
    "bootstrap_interval",
    "cart_abandonment_rate",
    "checkout_conversion_rate",
    "churn_rate",
    "compare_kpis",
    "compute_kpis",
    "conversion_rate",
    "cost_per_acquisition",
    "customer_acquisition_cost",
    "customer_effort_score",
    "customer_lifetime_value",
    "customer_satisfaction_score",
    "detect_changes",
    "email_click_through_rate",
    "email_click_to_open_rate",
    "email_open_rate",
    "email_unsubscribe_rate",
    "engagement_kpis",
    "log_product_interval",
    "log_product_standard_error",
    "net_promoter_score",
    "normal_difference_test",
    "nps_interval",
    "nps_standard_error",
    "pareto_share",
    "proportion_difference_interval",
    "proportion_interval",
    "purchase_frequency",
    "ratio_interval",
    "ratio_interval_from_sums",
    "ratio_standard_error",
    "referral_rate",
    "referred_customer_share",
    "referred_vs_organic",
    "repeat_purchase_rate",
    "retention_rate",
    "return_on_ad_spend",
    "top_share_interval_from_sums",
    "top_share_standard_error",
    "total_interval",
    "two_proportion_ztest",
    "validate_events",
]
