-- retention_rate, churn_rate, repeat_purchase_rate, revenue_per_customer
-- per (pid, slice), from the customer_months rollup, for periods of whole
-- months: the same numbers as orders.sql. Each row knows its customer's
-- previous and next month with an order, so distinct buyers and retained
-- customers are counted in one pass, without a self-join:
--   a customer's last month in X is the row whose next month is after X;
--   a customer of the previous period Q is retained when their last month
--   in Q is followed by a month in P (P starts the day after Q ends).
WITH {prelude},
current AS (
    SELECT p.pid, f.slice,
        count_if(f.next_month IS NULL OR f.next_month > pr.p_end) AS buyers,
        count_if(f.orders = 1
                 AND (f.prev_month IS NULL OR f.prev_month < pr.p_start)
                 AND (f.next_month IS NULL OR f.next_month > pr.p_end)) AS single_order_buyers,
        sum(f.amount) AS revenue
    FROM period_days p JOIN filtered f ON f.d = p.d JOIN periods pr ON pr.pid = p.pid
    GROUP BY ALL
),
retention AS (
    SELECT p.pid, f.slice,
        count_if(f.next_month IS NULL OR f.next_month > pr.prev_end) AS base,
        count_if(f.next_month >= pr.p_start AND f.next_month <= pr.p_end) AS retained
    FROM previous_days p JOIN filtered f ON f.d = p.d JOIN periods pr ON pr.pid = p.pid
    GROUP BY ALL
)
SELECT pid, slice,
    100.0 * r.retained / nullif(r.base, 0)           AS retention_rate,
    r.base                                AS retention_rate__n,
    100.0 - 100.0 * r.retained / nullif(r.base, 0)   AS churn_rate,
    r.base                                AS churn_rate__n,
    100.0 * (b.buyers - b.single_order_buyers) / nullif(b.buyers, 0) AS repeat_purchase_rate,
    b.buyers                              AS repeat_purchase_rate__n,
    b.revenue::DOUBLE / nullif(b.buyers, 0)          AS revenue_per_customer,
    b.buyers                              AS revenue_per_customer__n
FROM current b FULL JOIN retention r USING (pid, slice)
