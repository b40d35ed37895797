"""Every pure KPI function of retention_kpis on one small worked example.

A shop's month: 4,000 visitors, 120 conversions, 6,000 spent on ads, 24,000 of
revenue from 400 orders placed by 160 customers (48 of them bought twice or more),
80 of those customers new. 500 customers at the start, 35 lost, 545 at the end.
A handful of survey answers. Run with ``python examples/pure_metrics.py``.
"""

from __future__ import annotations

import retention_kpis as rk

# Marketing funnel and spend.
VISITORS, CONVERSIONS = 4_000, 120
AD_SPEND, REVENUE = 6_000.0, 24_000.0
# Orders and customers.
ORDERS, CUSTOMERS, REPEAT_CUSTOMERS, NEW_CUSTOMERS = 400, 160, 48, 80
# Customer base over the month.
AT_START, LOST, AT_END = 500, 35, 545
# Survey answers.
NPS_ANSWERS = [10, 9, 9, 8, 7, 6, 10, 3, 9, 8]  # 0-10 "would you recommend us"
CSAT_ANSWERS = [5, 4, 4, 3, 5, 2, 4, 5]  # 1-5 "how satisfied were you"
CES_ANSWERS = [7, 6, 6, 5, 2, 7]  # 1-7 "the company made it easy"


def main() -> None:
    aov = rk.average_order_value(REVENUE, ORDERS)
    frequency = rk.purchase_frequency(ORDERS, CUSTOMERS)
    churn = rk.churn_rate(AT_START, LOST)
    rows = [
        ("conversion rate", rk.conversion_rate(CONVERSIONS, VISITORS), "fraction"),
        ("cost per acquisition", rk.cost_per_acquisition(AD_SPEND, CONVERSIONS), "per conversion"),
        (
            "customer acquisition cost",
            rk.customer_acquisition_cost(AD_SPEND, NEW_CUSTOMERS),
            "per new customer",
        ),
        ("return on ad spend", rk.return_on_ad_spend(REVENUE, AD_SPEND), "ratio"),
        ("average order value", aov, "per order"),
        ("purchase frequency", frequency, "orders per customer (month)"),
        ("repeat purchase rate", rk.repeat_purchase_rate(REPEAT_CUSTOMERS, CUSTOMERS), "fraction"),
        ("churn rate", churn, "fraction (month)"),
        ("retention rate", rk.retention_rate(AT_START, AT_END, NEW_CUSTOMERS), "fraction (month)"),
        ("net promoter score", rk.net_promoter_score(NPS_ANSWERS), "score (-100..100)"),
        ("customer satisfaction", rk.customer_satisfaction_score(CSAT_ANSWERS), "fraction"),
        ("customer effort score", rk.customer_effort_score(CES_ANSWERS), "score on 1-7"),
        (
            "CLV (1/churn months, 40 % margin)",
            rk.customer_lifetime_value(aov, frequency, 1 / churn, gross_margin=0.4),
            "per customer",
        ),
        (
            "CLV, discounted 1 % a month",
            rk.customer_lifetime_value(
                aov, frequency, 1 / churn, gross_margin=0.4, discount_rate=0.01
            ),
            "per customer",
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, unit in rows:
        print(f"{name:<{width}}  {value:>10.4f}  {unit}")

    # A result model keeps the parts and serialises to JSON.
    print(rk.NetPromoterScore.from_scores(NPS_ANSWERS).model_dump_json(indent=2))


if __name__ == "__main__":
    main()
