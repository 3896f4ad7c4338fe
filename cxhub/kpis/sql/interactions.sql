-- fcr, scv_coverage, digital_share per (pid, slice). The counts CTE comes
-- from the source's counts file (interactions_counts.sql from the
-- interactions themselves, interaction_days_counts.sql from the rollup): per
-- (pid, slice), contacts (n), those with a known customer (known), digital
-- ones (digital), assisted contacts with a resolution recorded (fcr_n) and
-- those resolved with no contact of their customer in the 7 days after
-- (first_contact). The search for that repeat contact looks at every
-- interaction in the database, whatever the filters and the period.
WITH {prelude},
{counts}
SELECT pid, slice,
    100.0 * first_contact / nullif(fcr_n, 0)   AS fcr,
    fcr_n                             AS fcr__n,
    100.0 * known / nullif(n, 0)               AS scv_coverage,
    n                                 AS scv_coverage__n,
    100.0 * digital / nullif(n, 0)             AS digital_share,
    n                                 AS digital_share__n
FROM counts
