-- Every database called in the window; percentiles nearest-rank over duration buckets,
-- compared in integers (cum * 100 >= q * total) as DuckDB's exact decimals do.
WITH b AS (
    SELECT db, bucket, any(db_system) AS sys, any(db_name) AS dbname, any(address) AS addr,
           sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s, max(max_us) AS mx
    FROM {table}
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
    GROUP BY db, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY db ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY db) AS total
    FROM b
)
SELECT db, any(sys), any(dbname), any(addr), sum(n), sum(e), sum(s), max(mx),
       minIfOrNull(bucket, cum * 100 >= 50 * total),
       minIfOrNull(bucket, cum * 100 >= 95 * total)
FROM c
GROUP BY db
ORDER BY db
