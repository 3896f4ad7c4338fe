-- The counts surveys.sql turns into KPIs, from the survey_days rollup: the
-- same numbers as surveys_counts.sql, summed over the period's days.
in_period AS (
    SELECT p.pid, f.*
    FROM period_days p JOIN filtered f ON f.d = p.d
),
totals AS (
    SELECT pid, slice,
        sum(n_nps)::BIGINT AS n_nps, sum(promoters)::BIGINT AS promoters, sum(detractors)::BIGINT AS detractors,
        sum(n_csat)::BIGINT AS n_csat, sum(satisfied)::BIGINT AS satisfied,
        sum(n_ces)::BIGINT AS n_ces, sum(ces_sum)::BIGINT AS ces_sum, sum(ces_squares)::BIGINT AS ces_squares
    FROM in_period GROUP BY ALL
),
csat_counts_by_touchpoint AS (
    SELECT pid, slice, touchpoint_id, sum(satisfied) AS satisfied, sum(n_csat) AS answers
    FROM in_period GROUP BY ALL
)
