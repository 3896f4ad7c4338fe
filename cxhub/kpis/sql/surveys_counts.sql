-- The counts surveys.sql turns into KPIs, from the answers themselves:
-- shares, the standard deviations the 95% intervals of NPS and CES need
-- (NPS as the mean of +100 / 0 / -100 per answer), and CSAT per touchpoint.
in_period AS (
    SELECT p.pid, f.*
    FROM period_days p JOIN filtered f ON f.d = p.d
),
totals AS (
    SELECT pid, slice,
        count(nps) AS n_nps,
        count_if(nps >= 9) / nullif(count(nps), 0) AS promoters,
        count_if(nps <= 6) / nullif(count(nps), 0) AS detractors,
        count(csat) AS n_csat,
        count_if(csat >= 4) / nullif(count(csat), 0) AS satisfied,
        stddev_samp(CASE WHEN nps >= 9 THEN 100 WHEN nps <= 6 THEN -100 WHEN nps IS NOT NULL THEN 0 END) AS nps_sd,
        count(ces) AS n_ces,
        avg(ces) AS ces,
        stddev_samp(ces) AS ces_sd
    FROM in_period GROUP BY ALL
),
csat_by_touchpoint AS (
    SELECT pid, slice, touchpoint_id, 100.0 * count_if(csat >= 4) / count(csat) AS csat, count(csat) AS answers
    FROM in_period GROUP BY ALL
    HAVING count(csat) >= {min_sample}
)
