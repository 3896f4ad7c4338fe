-- retention_rate, churn_rate, repeat_purchase_rate, revenue_per_customer
-- per (pid, slice). A(X) = customers with an order in X, after filters.
WITH {prelude},
in_period AS (
    SELECT p.pid, f.slice, f.customer_id, count(*) AS orders, sum(f.amount) AS amount
    FROM period_days p JOIN filtered f ON f.d = p.d
    GROUP BY ALL
),
in_previous AS (
    SELECT DISTINCT p.pid, f.slice, f.customer_id
    FROM previous_days p JOIN filtered f ON f.d = p.d
),
buyers AS (
    SELECT pid, slice, count(*) AS buyers, count_if(orders >= 2) AS repeat_buyers, sum(amount) AS revenue
    FROM in_period GROUP BY ALL
),
retention AS (
    SELECT v.pid, v.slice, count(*) AS base, count(i.customer_id) AS retained
    FROM in_previous v LEFT JOIN in_period i USING (pid, slice, customer_id)
    GROUP BY ALL
)
SELECT pid, slice,
    100.0 * r.retained / nullif(r.base, 0)           AS retention_rate,
    r.base                                AS retention_rate__n,
    100.0 - 100.0 * r.retained / nullif(r.base, 0)   AS churn_rate,
    r.base                                AS churn_rate__n,
    100.0 * b.repeat_buyers / nullif(b.buyers, 0)    AS repeat_purchase_rate,
    b.buyers                              AS repeat_purchase_rate__n,
    b.revenue::DOUBLE / nullif(b.buyers, 0)          AS revenue_per_customer,
    b.buyers                              AS revenue_per_customer__n
FROM buyers b FULL JOIN retention r USING (pid, slice)
