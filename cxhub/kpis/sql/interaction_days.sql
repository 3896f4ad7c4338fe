-- fcr, scv_coverage, digital_share per (pid, slice), from the
-- interaction_days rollup: the same numbers as interactions.sql (the repeat
-- contact within 7 days was looked for when the rollup was built, over
-- every interaction in the database).
WITH {prelude},
counts AS (
    SELECT p.pid, f.slice,
        sum(f.resolved_n) FILTER (WHERE f.kind = 'assisted')::BIGINT AS fcr_n,
        sum(f.first_contact) FILTER (WHERE f.kind = 'assisted')::BIGINT AS first_contact,
        sum(f.interactions)::BIGINT AS n,
        coalesce(sum(f.interactions) FILTER (WHERE f.known), 0)::BIGINT AS known,
        coalesce(sum(f.interactions) FILTER (WHERE f.kind = 'digital'), 0)::BIGINT AS digital
    FROM period_days p JOIN filtered f ON f.d = p.d
    GROUP BY ALL
)
SELECT pid, slice,
    100.0 * first_contact / nullif(fcr_n, 0)   AS fcr,
    fcr_n                             AS fcr__n,
    100.0 * known / nullif(n, 0)               AS scv_coverage,
    n                                 AS scv_coverage__n,
    100.0 * digital / nullif(n, 0)             AS digital_share,
    n                                 AS digital_share__n
FROM counts
