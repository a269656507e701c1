-- Every database called in the window, from the statement rollup; percentiles nearest-rank
-- over duration buckets (as services.sql).
WITH b AS (
    SELECT db, bucket, any_value(db_system) AS sys, any_value(db_name) AS name,
           any_value(address) AS address, sum(count) AS n, sum(errors) AS e,
           sum(sum_us) AS s, max(max_us) AS mx
    FROM {table}
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
    GROUP BY db, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY db ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY db) AS total
    FROM b
)
SELECT db, any_value(sys), any_value(name), any_value(address), sum(n), sum(e), sum(s),
       max(mx),
       min(bucket) FILTER (WHERE cum >= 0.50 * total),
       min(bucket) FILTER (WHERE cum >= 0.95 * total)
FROM c
GROUP BY db
ORDER BY db
