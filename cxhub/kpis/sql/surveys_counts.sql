-- The counts surveys.sql turns into KPIs, from the answers themselves:
-- answers, promoters, detractors, satisfied answers, the sum and the sum of
-- squares of CES (for its interval), and satisfied answers per touchpoint.
in_period AS (
    SELECT p.pid, f.*
    FROM period_days p JOIN filtered f ON f.d = p.d
),
totals AS (
    SELECT pid, slice,
        count(nps) AS n_nps,
        count_if(nps >= 9) AS promoters,
        count_if(nps <= 6) AS detractors,
        count(csat) AS n_csat,
        count_if(csat >= 4) AS satisfied,
        count(ces) AS n_ces,
        sum(ces)::BIGINT AS ces_sum,
        sum(ces * ces)::BIGINT AS ces_squares
    FROM in_period GROUP BY ALL
),
csat_counts_by_touchpoint AS (
    SELECT pid, slice, touchpoint_id, count_if(csat >= 4) AS satisfied, count(csat) AS answers
    FROM in_period GROUP BY ALL
)
