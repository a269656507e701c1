-- Per-service transaction figures over one window, read from one rollup table.
-- Percentiles are nearest-rank over duration buckets: the first bucket whose running
-- count reaches q * total. Rollup rows are partial (loads append), so everything is summed.
-- $instance (or NULL for every instance) narrows every figure to one instance.
WITH b AS (
    SELECT service, bucket, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s,
           sum(satisfied) AS sat, sum(tolerating) AS tol
    FROM {rollup}
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
      AND ($instance IS NULL OR instance = $instance)
    GROUP BY service, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY service ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY service) AS total
    FROM b
),
figures AS (
    SELECT service, sum(n) AS n, sum(e) AS e, sum(s) AS s, sum(sat) AS sat, sum(tol) AS tol,
           min(bucket) FILTER (WHERE cum >= 0.50 * total) AS p50,
           min(bucket) FILTER (WHERE cum >= 0.95 * total) AS p95,
           min(bucket) FILTER (WHERE cum >= 0.99 * total) AS p99
    FROM c
    GROUP BY service
),
inst AS (
    SELECT service, count(DISTINCT instance) AS instances,
           list(DISTINCT instance ORDER BY instance) AS ids
    FROM {rollup}
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
      AND ($instance IS NULL OR instance = $instance)
    GROUP BY service
),
users AS (
    SELECT service, count(DISTINCT user_id) AS users
    FROM spans
    WHERE tenant = $tenant AND ts_us >= $users_start AND ts_us < $end
      AND user_id IS NOT NULL AND ($instance IS NULL OR instance = $instance)
    GROUP BY service
)
SELECT f.service, f.n, f.e, f.s, f.sat, f.tol, f.p50, f.p95, f.p99,
       coalesce(i.instances, 0), coalesce(u.users, 0), i.ids
FROM figures f
LEFT JOIN inst i USING (service)
LEFT JOIN users u USING (service)
ORDER BY f.service
