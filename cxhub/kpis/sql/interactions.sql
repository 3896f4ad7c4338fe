-- fcr, scv_coverage, digital_share per (pid, slice).
-- fcr's search for a repeat contact looks at every interaction in the
-- database, whatever the filters and the period.
WITH {prelude},
in_period AS (
    SELECT p.pid, f.*
    FROM period_days p JOIN filtered f ON f.d = p.d
),
assisted AS (
    SELECT pid, slice, customer_id, occurred_at, resolved
    FROM in_period
    WHERE kind = 'assisted' AND resolved IS NOT NULL
),
came_back AS (
    SELECT DISTINCT a.customer_id, a.occurred_at
    FROM (SELECT DISTINCT customer_id, occurred_at FROM assisted
          WHERE resolved AND customer_id IS NOT NULL) a
    JOIN interactions i
      ON i.customer_id = a.customer_id
     AND i.occurred_at > a.occurred_at
     AND i.occurred_at <= a.occurred_at + INTERVAL 7 DAY
),
fcr AS (
    SELECT a.pid, a.slice, count(*) AS n,
        count_if(a.resolved AND b.customer_id IS NULL) AS first_contact
    FROM assisted a LEFT JOIN came_back b
      ON b.customer_id = a.customer_id AND b.occurred_at = a.occurred_at
    GROUP BY ALL
),
mix AS (
    SELECT pid, slice, count(*) AS n,
        count_if(known) AS known,
        count_if(kind = 'digital') AS digital
    FROM in_period GROUP BY ALL
)
SELECT pid, slice,
    100.0 * fcr.first_contact / nullif(fcr.n, 0)   AS fcr,
    fcr.n                               AS fcr__n,
    100.0 * mix.known / nullif(mix.n, 0)           AS scv_coverage,
    mix.n                               AS scv_coverage__n,
    100.0 * mix.digital / nullif(mix.n, 0)         AS digital_share,
    mix.n                               AS digital_share__n
FROM mix FULL JOIN fcr USING (pid, slice)
