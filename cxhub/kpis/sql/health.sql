-- availability, p95_latency_ms, incidents per (pid, slice). system_health has
-- no customer: only the touchpoint filter narrows it.
WITH periods(pid, p_start, p_end, prev_start, prev_end) AS ({periods}),
-- Each period as its days: rows meet their periods by an equi-join on the
-- date, which is far cheaper than a range join on millions of rows.
period_days AS (
    SELECT pid, CAST(unnest(generate_series(p_start, p_end, INTERVAL 1 DAY)) AS DATE) AS d FROM periods
),
filtered AS ({filtered})
SELECT p.pid, f.slice,
    avg(f.availability_pct)     AS availability,
    count(*)                    AS availability__n,
    avg(f.p95_latency_ms)       AS p95_latency_ms,
    count(f.p95_latency_ms)     AS p95_latency_ms__n,
    sum(f.incidents)            AS incidents,
    count(*)                    AS incidents__n
FROM period_days p JOIN filtered f ON f.d = p.d
GROUP BY ALL
