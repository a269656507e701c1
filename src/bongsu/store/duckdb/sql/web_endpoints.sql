-- HTTP endpoints over the window, ranked by {order} (descending); percentiles nearest-rank
-- over duration buckets.
WITH b AS (
    SELECT service, endpoint, bucket, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s,
           coalesce(sum(count) FILTER (WHERE status >= 400 AND status < 500), 0) AS c4,
           coalesce(sum(count) FILTER (WHERE status >= 500 AND status < 600), 0) AS c5
    FROM {table}
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
      AND ($service IS NULL OR service = $service)
    GROUP BY service, endpoint, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY service, endpoint ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY service, endpoint) AS total
    FROM b
),
f AS (
    SELECT service, endpoint, sum(n) AS n, sum(e) AS e, sum(c4) AS c4, sum(c5) AS c5,
           sum(s) AS s,
           min(bucket) FILTER (WHERE cum >= 0.50 * total) AS p50,
           min(bucket) FILTER (WHERE cum >= 0.95 * total) AS p95
    FROM c
    GROUP BY service, endpoint
)
SELECT service, endpoint, n, e, c4, c5, s, p50, p95
FROM f
ORDER BY {order}, service, endpoint
LIMIT $limit
