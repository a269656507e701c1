-- One database's statements over the window, ranked by {order} (descending); percentiles
-- nearest-rank over duration buckets, the slowest call's trace kept per fingerprint.
WITH b AS (
    SELECT fingerprint, bucket, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s,
           max(max_us) AS mx, argMax(slow_trace, (max_us, slow_trace)) AS slow
    FROM {table}
    WHERE tenant = %(tenant)s AND db = %(db)s AND ts_us >= %(start)s AND ts_us < %(end)s
    GROUP BY fingerprint, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY fingerprint ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY fingerprint) AS total
    FROM b
),
f AS (
    SELECT fingerprint, sum(n) AS fn, sum(e) AS fe, sum(s) AS fs, max(mx) AS fmx,
           argMax(slow, (mx, slow)) AS fslow,
           minIfOrNull(bucket, cum * 100 >= 50 * total) AS fp50,
           minIfOrNull(bucket, cum * 100 >= 95 * total) AS fp95
    FROM c
    GROUP BY fingerprint
),
t AS (
    SELECT fingerprint, any(text) AS text
    FROM db_statement_text
    WHERE tenant = %(tenant)s
    GROUP BY fingerprint
)
SELECT f.fingerprint, t.text, f.n, f.e, f.s, f.mx, f.p50, f.p95, f.slow
FROM (SELECT fingerprint, fn AS n, fe AS e, fs AS s, fmx AS mx, fslow AS slow, fp50 AS p50,
             fp95 AS p95 FROM f) AS f
LEFT JOIN t ON t.fingerprint = f.fingerprint
ORDER BY {order}, f.fingerprint
LIMIT %(limit)s
SETTINGS join_use_nulls = 1
