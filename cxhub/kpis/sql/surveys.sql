-- nps, csat, ces, channel_consistency per (pid, slice), with sample sizes and
-- the 95% margin of error of NPS and CSAT (normal approximation).
WITH {prelude},
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
        count(ces) AS n_ces,
        avg(ces) AS ces
    FROM in_period GROUP BY ALL
),
csat_by_touchpoint AS (
    SELECT pid, slice, touchpoint_id, 100.0 * count_if(csat >= 4) / count(csat) AS csat
    FROM in_period GROUP BY ALL
    HAVING count(csat) >= 30
),
consistency AS (
    SELECT pid, slice, count(*) AS qualifying,
        CASE WHEN count(*) >= 2 THEN 100.0 - (max(csat) - min(csat)) END AS channel_consistency
    FROM csat_by_touchpoint GROUP BY ALL
)
SELECT pid, slice,
    100.0 * (promoters - detractors)        AS nps,
    n_nps                                   AS nps__n,
    100.0 * 1.96 * sqrt((promoters + detractors - (promoters - detractors) ^ 2) / nullif(n_nps, 0)) AS nps__moe,
    100.0 * satisfied                       AS csat,
    n_csat                                  AS csat__n,
    100.0 * 1.96 * sqrt(satisfied * (1 - satisfied) / nullif(n_csat, 0)) AS csat__moe,
    ces                                     AS ces,
    n_ces                                   AS ces__n,
    c.channel_consistency                   AS channel_consistency,
    coalesce(c.qualifying, 0)               AS channel_consistency__n
FROM totals t LEFT JOIN consistency c USING (pid, slice)
