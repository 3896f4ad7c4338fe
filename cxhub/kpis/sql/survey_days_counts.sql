-- The counts surveys.sql turns into KPIs, from the survey_days rollup: the
-- same numbers as surveys_counts.sql. The standard deviations come from the
-- counts: an NPS answer counts +100, 0 or -100, so its sum is
-- 100 (promoters - detractors) and its sum of squares 10,000 (promoters +
-- detractors), 100² taken out of the root; CES keeps its sum and sum of squares.
in_period AS (
    SELECT p.pid, f.*
    FROM period_days p JOIN filtered f ON f.d = p.d
),
sums AS (
    SELECT pid, slice,
        sum(n_nps)::BIGINT AS n_nps, sum(promoters)::BIGINT AS promoters, sum(detractors)::BIGINT AS detractors,
        sum(n_csat)::BIGINT AS n_csat, sum(satisfied)::BIGINT AS satisfied,
        sum(n_ces)::BIGINT AS n_ces, sum(ces_sum)::BIGINT AS ces_sum, sum(ces_squares)::BIGINT AS ces_squares
    FROM in_period GROUP BY ALL
),
totals AS (
    SELECT pid, slice, n_nps, n_csat, n_ces,
        promoters / nullif(n_nps, 0) AS promoters,
        detractors / nullif(n_nps, 0) AS detractors,
        satisfied / nullif(n_csat, 0) AS satisfied,
        CASE WHEN n_nps > 1 THEN 100.0 * sqrt(greatest(0.0, ((promoters + detractors)::DOUBLE
            - (promoters - detractors)::DOUBLE * (promoters - detractors) / n_nps) / (n_nps - 1))) END AS nps_sd,
        ces_sum / nullif(n_ces, 0) AS ces,
        CASE WHEN n_ces > 1 THEN sqrt(greatest(0.0, (ces_squares - ces_sum::DOUBLE * ces_sum / n_ces) / (n_ces - 1)))
            END AS ces_sd
    FROM sums
),
csat_by_touchpoint AS (
    SELECT pid, slice, touchpoint_id, 100.0 * sum(satisfied) / sum(n_csat) AS csat, sum(n_csat) AS answers
    FROM in_period GROUP BY ALL
    HAVING sum(n_csat) >= {min_sample}
)
