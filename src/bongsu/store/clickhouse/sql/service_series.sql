-- One service's transaction figures per step, from one rollup table (see services.sql);
-- %(instance)s (or NULL) narrows them to one instance.
WITH b AS (
    SELECT intDiv(ts_us, %(step)s) * %(step)s AS ts, bucket, sum(count) AS n,
           sum(errors) AS e, sum(sum_us) AS s, sum(satisfied) AS sat, sum(tolerating) AS tol
    FROM {rollup}
    WHERE tenant = %(tenant)s AND service = %(service)s AND ts_us >= %(start)s
      AND ts_us < %(end)s AND (%(instance)s IS NULL OR instance = %(instance)s)
    GROUP BY ts, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY ts ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY ts) AS total
    FROM b
)
SELECT ts, sum(n), sum(e), sum(s), sum(sat), sum(tol),
       minIfOrNull(bucket, cum * 100 >= 50 * total),
       minIfOrNull(bucket, cum * 100 >= 95 * total),
       minIfOrNull(bucket, cum * 100 >= 99 * total)
FROM c
GROUP BY ts
ORDER BY ts
