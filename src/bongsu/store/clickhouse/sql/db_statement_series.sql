-- One statement's calls per step (see db_statements.sql for the percentile).
WITH b AS (
    SELECT intDiv(ts_us, %(step)s) * %(step)s AS ts, bucket, sum(count) AS n,
           sum(errors) AS e, sum(sum_us) AS s, max(max_us) AS mx
    FROM {table}
    WHERE tenant = %(tenant)s AND db = %(db)s AND fingerprint = %(fingerprint)s
      AND ts_us >= %(start)s AND ts_us < %(end)s
    GROUP BY ts, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY ts ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY ts) AS total
    FROM b
)
SELECT ts, sum(n), sum(e), sum(s), max(mx), minIfOrNull(bucket, cum * 100 >= 95 * total)
FROM c
GROUP BY ts
ORDER BY ts
