-- retention_rate, churn_rate, repeat_purchase_rate, revenue_per_customer
-- per (pid, slice), from the customer_days rollup: the same numbers as
-- orders.sql. Each row knows its customer's previous and next day with an
-- order, so distinct buyers and retained customers are counted in one pass,
-- without a self-join:
--   a customer's last day in X is the row whose next day is after X;
--   a customer of the previous period Q is retained when their last day in
--   Q is followed by a day in P (P starts the day after Q ends).
WITH {prelude},
current AS (
    SELECT p.pid, f.slice,
        count(*) FILTER (WHERE f.next_day IS NULL OR f.next_day > pr.p_end) AS buyers,
        count(*) FILTER (WHERE f.orders = 1
                         AND (f.prev_day IS NULL OR f.prev_day < pr.p_start)
                         AND (f.next_day IS NULL OR f.next_day > pr.p_end)) AS single_order_buyers,
        sum(f.amount) AS revenue
    FROM period_days p JOIN filtered f ON f.d = p.d JOIN periods pr ON pr.pid = p.pid
    GROUP BY ALL
),
retention AS (
    SELECT p.pid, f.slice,
        count(*) FILTER (WHERE f.next_day IS NULL OR f.next_day > pr.prev_end) AS base,
        -- count(*) FILTER, not count_if: the latter is null when every next day is.
        count(*) FILTER (WHERE f.next_day >= pr.p_start AND f.next_day <= pr.p_end) AS retained
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
