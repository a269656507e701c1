-- HTTP endpoints over the window, ranked by {order} (descending); percentiles nearest-rank
-- over duration buckets.
WITH b AS (
    SELECT service, endpoint, bucket, sum(count) AS bn, sum(errors) AS be, sum(sum_us) AS bs,
           sumIf(count, status >= 400 AND status < 500) AS b4,
           sumIf(count, status >= 500 AND status < 600) AS b5
    FROM {table}
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND (%(service)s IS NULL OR service = %(service)s)
    GROUP BY service, endpoint, bucket
),
c AS (
    SELECT *, sum(bn) OVER (PARTITION BY service, endpoint ORDER BY bucket) AS cum,
              sum(bn) OVER (PARTITION BY service, endpoint) AS total
    FROM b
),
f AS (
    SELECT service, endpoint, sum(bn) AS fn, sum(be) AS fe, sum(b4) AS f4, sum(b5) AS f5,
           sum(bs) AS fs,
           minIfOrNull(bucket, cum * 100 >= 50 * total) AS fp50,
           minIfOrNull(bucket, cum * 100 >= 95 * total) AS fp95
    FROM c
    GROUP BY service, endpoint
)
SELECT service, endpoint, n, e, c4, c5, s, p50, p95
FROM (SELECT service, endpoint, fn AS n, fe AS e, f4 AS c4, f5 AS c5, fs AS s, fp50 AS p50,
             fp95 AS p95 FROM f)
ORDER BY {order}, service, endpoint
LIMIT %(limit)s
