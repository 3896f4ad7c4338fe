-- The counts orders.sql turns into KPIs, from the customer-days rollups
-- for any periods: one scan serves each period and its previous one (a CTE
-- read twice would be materialized). Each row knows its customer's previous
-- and next day with an order:
--   a customer's last day in X is the row whose next day is after X;
--   a customer of the previous period Q is retained when their last day in
--   Q is followed by a day in P (P starts the day after Q ends).
-- count(*) FILTER, not count_if: the latter is null when every input is.
roles AS (
    SELECT pid, d, true AS in_p FROM period_days
    UNION ALL
    SELECT pid, d, false AS in_p FROM previous_days
),
counts AS (
    SELECT r.pid, f.slice,
        count(*) FILTER (WHERE r.in_p AND (f.next_day IS NULL OR f.next_day > pr.p_end)) AS buyers,
        count(*) FILTER (WHERE r.in_p AND f.orders = 1
                         AND (f.prev_day IS NULL OR f.prev_day < pr.p_start)
                         AND (f.next_day IS NULL OR f.next_day > pr.p_end)) AS single_order_buyers,
        sum(f.amount) FILTER (WHERE r.in_p) AS revenue,
        count(*) FILTER (WHERE NOT r.in_p AND (f.next_day IS NULL OR f.next_day > pr.prev_end)) AS base,
        count(*) FILTER (WHERE NOT r.in_p AND f.next_day >= pr.p_start AND f.next_day <= pr.p_end) AS retained
    FROM roles r JOIN filtered f ON f.d = r.d JOIN periods pr ON pr.pid = r.pid
    GROUP BY ALL
)
