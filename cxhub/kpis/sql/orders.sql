-- retention_rate, churn_rate, repeat_purchase_rate, revenue_per_customer
-- per (pid, slice). A(X) = customers with an order in X, after filters.
-- The counts CTE comes from the source's counts file (orders_counts.sql from
-- the orders themselves, customer_days_counts.sql or order_months_counts.sql
-- from a rollup): per (pid, slice), buyers, single_order_buyers, revenue,
-- base (buyers of the previous period) and retained (those of them who
-- bought again in the period).
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
