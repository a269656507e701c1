-- One database's statements over the window, ranked by {order} (descending); percentiles
-- nearest-rank over duration buckets, the slowest call's trace kept per fingerprint.
WITH b AS (
    SELECT fingerprint, bucket, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s,
           max(max_us) AS mx, arg_max(slow_trace, max_us) AS slow
    FROM {table}
    WHERE tenant = $tenant AND db = $db AND ts_us >= $start AND ts_us < $end
    GROUP BY fingerprint, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY fingerprint ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY fingerprint) AS total
    FROM b
),
f AS (
    SELECT fingerprint, sum(n) AS n, sum(e) AS e, sum(s) AS s, max(mx) AS mx,
           arg_max(slow, mx) AS slow,
           min(bucket) FILTER (WHERE cum >= 0.50 * total) AS p50,
           min(bucket) FILTER (WHERE cum >= 0.95 * total) AS p95
    FROM c
    GROUP BY fingerprint
)
SELECT f.fingerprint, t.text, f.n, f.e, f.s, f.mx, f.p50, f.p95, f.slow
FROM f LEFT JOIN db_statement_text t ON t.tenant = $tenant AND t.fingerprint = f.fingerprint
ORDER BY {order}, f.fingerprint
LIMIT $limit
