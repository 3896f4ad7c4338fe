-- The counts interactions.sql turns into KPIs, from the interaction_days
-- rollup: the same numbers as interactions_counts.sql (the repeat contact
-- within 7 days was looked for when the rollup was built, over every
-- interaction in the database).
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
