-- One service's transaction figures per step, from one rollup table (see services.sql);
-- $instance (or NULL) narrows them to one instance.
WITH b AS (
    SELECT ts_us // $step * $step AS ts, bucket, sum(count) AS n, sum(errors) AS e,
           sum(sum_us) AS s, sum(satisfied) AS sat, sum(tolerating) AS tol
    FROM {rollup}
    WHERE tenant = $tenant AND service = $service AND ts_us >= $start AND ts_us < $end
      AND ($instance IS NULL OR instance = $instance)
    GROUP BY ts, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY ts ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY ts) AS total
    FROM b
)
SELECT ts, sum(n), sum(e), sum(s), sum(sat), sum(tol),
       min(bucket) FILTER (WHERE cum >= 0.50 * total),
       min(bucket) FILTER (WHERE cum >= 0.95 * total),
       min(bucket) FILTER (WHERE cum >= 0.99 * total)
FROM c
GROUP BY ts
ORDER BY ts
