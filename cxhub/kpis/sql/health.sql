-- availability, p95_latency_ms, incidents per (pid, slice). system_health has
-- no customer: only the touchpoint filter narrows it.
WITH {prelude}
SELECT p.pid, f.slice,
    avg(f.availability_pct)     AS availability,
    count(*)                    AS availability__n,
    avg(f.p95_latency_ms)       AS p95_latency_ms,
    count(f.p95_latency_ms)     AS p95_latency_ms__n,
    sum(f.incidents)            AS incidents,
    count(*)                    AS incidents__n
FROM period_days p JOIN filtered f ON f.d = p.d
GROUP BY ALL
