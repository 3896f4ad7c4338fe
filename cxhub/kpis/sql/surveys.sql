-- nps, csat, ces, channel_consistency per (pid, slice), with sample sizes and
-- the standard deviations the 95% intervals of NPS and CES need. The CTEs
-- in_period, totals and csat_counts_by_touchpoint come from the answers
-- (surveys_counts.sql) or from the survey_days rollup (survey_days_counts.sql).
-- The standard deviations come from the counts: an NPS answer counts +100,
-- 0 or -100, so its sum is 100 (promoters - detractors) and its sum of
-- squares 10,000 (promoters + detractors), 100² taken out of the root; CES
-- from its sum and sum of squares. Channel consistency is the spread of
-- CSAT across the touchpoints with enough answers.
WITH {prelude},
{counts},
consistency AS (
    SELECT pid, slice, count(*) AS qualifying, sum(answers) AS answers,
        CASE WHEN count(*) >= 2 THEN 100.0 - (max(csat) - min(csat)) END AS channel_consistency
    FROM (SELECT pid, slice, 100.0 * satisfied / answers AS csat, answers
          FROM csat_counts_by_touchpoint WHERE answers >= {min_sample})
    GROUP BY ALL
)
SELECT pid, slice,
    100.0 * (promoters - detractors) / nullif(n_nps, 0) AS nps,
    n_nps                                   AS nps__n,
    CASE WHEN n_nps > 1 THEN 100.0 * sqrt(greatest(0.0, ((promoters + detractors)::DOUBLE
        - (promoters - detractors)::DOUBLE * (promoters - detractors) / n_nps) / (n_nps - 1))) END AS nps__sd,
    100.0 * satisfied / nullif(n_csat, 0)   AS csat,
    n_csat                                  AS csat__n,
    ces_sum / nullif(n_ces, 0)              AS ces,
    n_ces                                   AS ces__n,
    CASE WHEN n_ces > 1 THEN sqrt(greatest(0.0, (ces_squares - ces_sum::DOUBLE * ces_sum / n_ces) / (n_ces - 1)))
        END                                 AS ces__sd,
    c.channel_consistency                   AS channel_consistency,
    coalesce(c.answers, 0)                  AS channel_consistency__n
FROM totals t LEFT JOIN consistency c USING (pid, slice)
