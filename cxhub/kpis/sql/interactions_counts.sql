-- The counts interactions.sql turns into KPIs, from the interactions themselves.
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
    SELECT a.pid, a.slice, count(*) AS fcr_n,
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
),
counts AS (
    SELECT pid, slice, fcr.fcr_n, fcr.first_contact, mix.n, mix.known, mix.digital
    FROM mix FULL JOIN fcr USING (pid, slice)
)
