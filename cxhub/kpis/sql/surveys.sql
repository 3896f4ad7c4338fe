-- nps, csat, ces, channel_consistency per (pid, slice), with sample sizes and
-- the standard deviations the 95% intervals of NPS and CES need. The CTEs
-- in_period, totals and csat_by_touchpoint come from the answers
-- (surveys_counts.sql) or from the survey_days rollup (survey_days_counts.sql).
WITH {prelude},
{counts},
consistency AS (
    SELECT pid, slice, count(*) AS qualifying, sum(answers) AS answers,
        CASE WHEN count(*) >= 2 THEN 100.0 - (max(csat) - min(csat)) END AS channel_consistency
    FROM csat_by_touchpoint GROUP BY ALL
)
SELECT pid, slice,
    100.0 * (promoters - detractors)        AS nps,
    n_nps                                   AS nps__n,
    nps_sd                                  AS nps__sd,
    100.0 * satisfied                       AS csat,
    n_csat                                  AS csat__n,
    ces                                     AS ces,
    n_ces                                   AS ces__n,
    ces_sd                                  AS ces__sd,
    c.channel_consistency                   AS channel_consistency,
    coalesce(c.answers, 0)                  AS channel_consistency__n
FROM totals t LEFT JOIN consistency c USING (pid, slice)
