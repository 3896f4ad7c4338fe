-- retention_rate, churn_rate, repeat_purchase_rate, revenue_per_customer
-- per (pid, slice), from the customer-days or month rollups: the same
-- numbers as orders.sql. The counts CTE comes from the rollup's counts file
-- (customer_days_counts.sql or order_months_counts.sql): per (pid, slice),
-- buyers, single_order_buyers, revenue, base, retained.
WITH {prelude},
{counts}
SELECT pid, slice,
    100.0 * retained / nullif(base, 0)           AS retention_rate,
    base                                AS retention_rate__n,
    100.0 - 100.0 * retained / nullif(base, 0)   AS churn_rate,
    base                                AS churn_rate__n,
    100.0 * (buyers - single_order_buyers) / nullif(buyers, 0) AS repeat_purchase_rate,
    buyers                              AS repeat_purchase_rate__n,
    revenue::DOUBLE / nullif(buyers, 0)          AS revenue_per_customer,
    buyers                              AS revenue_per_customer__n
FROM counts
