-- Per-service transaction figures over one window, read from one rollup table.
-- Percentiles are nearest-rank over duration buckets: the first bucket whose running
-- count reaches q * total, compared in integers (cum * 100 >= q * total) as DuckDB's
-- exact decimals do. Rollup rows are partial (loads append), so everything is summed.
-- %(instance)s (or NULL for every instance) narrows every figure to one instance.
WITH b AS (
    SELECT service, bucket, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s,
           sum(satisfied) AS sat, sum(tolerating) AS tol
    FROM {rollup}
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND (%(instance)s IS NULL OR instance = %(instance)s)
    GROUP BY service, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY service ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY service) AS total
    FROM b
),
figures AS (
    SELECT service, sum(n) AS fn, sum(e) AS fe, sum(s) AS fs, sum(sat) AS fsat,
           sum(tol) AS ftol,
           minIfOrNull(bucket, cum * 100 >= 50 * total) AS p50,
           minIfOrNull(bucket, cum * 100 >= 95 * total) AS p95,
           minIfOrNull(bucket, cum * 100 >= 99 * total) AS p99
    FROM c
    GROUP BY service
),
inst AS (
    SELECT service, uniqExact(instance) AS instances,
           arraySort(groupUniqArray(toString(instance))) AS ids
    FROM {rollup}
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND (%(instance)s IS NULL OR instance = %(instance)s)
    GROUP BY service
),
users AS (
    SELECT service, uniqExact(user_id) AS active
    FROM spans
    WHERE tenant = %(tenant)s AND ts_us >= %(users_start)s AND ts_us < %(end)s
      AND user_id IS NOT NULL AND (%(instance)s IS NULL OR instance = %(instance)s)
    GROUP BY service
)
SELECT f.service, f.fn, f.fe, f.fs, f.fsat, f.ftol, f.p50, f.p95, f.p99,
       coalesce(i.instances, 0), coalesce(u.active, 0), i.ids
FROM figures AS f
LEFT JOIN inst AS i ON i.service = f.service
LEFT JOIN users AS u ON u.service = f.service
ORDER BY f.service
