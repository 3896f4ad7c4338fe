-- The counts orders.sql turns into KPIs, from the orders themselves: each
-- customer's orders and spend in the period, and who bought in the previous one.
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
    SELECT pid, slice, count(*) AS buyers, count_if(orders = 1) AS single_order_buyers, sum(amount) AS revenue
    FROM in_period GROUP BY ALL
),
retention AS (
    SELECT v.pid, v.slice, count(*) AS base, count(i.customer_id) AS retained
    FROM in_previous v LEFT JOIN in_period i USING (pid, slice, customer_id)
    GROUP BY ALL
),
counts AS (
    SELECT pid, slice, b.buyers, b.single_order_buyers, b.revenue, r.base, r.retained
    FROM buyers b FULL JOIN retention r USING (pid, slice)
)
