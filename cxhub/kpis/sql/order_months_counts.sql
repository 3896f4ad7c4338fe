-- The counts orders.sql turns into KPIs, from the order_months
-- rollups when every period is one calendar month: a month's buyers are
-- counted by the month; a period's retention base is its previous month's
-- buyers and its retained customers those of them who came back.
counts AS (
    SELECT pr.pid, f.slice,
        coalesce(sum(f.buyers) FILTER (WHERE f.d = pr.p_start), 0) AS buyers,
        coalesce(sum(f.single_order_buyers) FILTER (WHERE f.d = pr.p_start), 0) AS single_order_buyers,
        sum(f.revenue) FILTER (WHERE f.d = pr.p_start) AS revenue,
        coalesce(sum(f.buyers) FILTER (WHERE f.d = pr.prev_start), 0) AS base,
        coalesce(sum(f.came_back) FILTER (WHERE f.d = pr.prev_start), 0) AS retained
    FROM periods pr JOIN filtered f ON f.d = pr.p_start OR f.d = pr.prev_start
    GROUP BY ALL
)
