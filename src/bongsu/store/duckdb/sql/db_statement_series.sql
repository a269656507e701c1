-- One statement's calls per step (see db_statements.sql for the percentile).
WITH b AS (
    SELECT ts_us // $step * $step AS ts, bucket, sum(count) AS n, sum(errors) AS e,
           sum(sum_us) AS s, max(max_us) AS mx
    FROM {table}
    WHERE tenant = $tenant AND db = $db AND fingerprint = $fingerprint
      AND ts_us >= $start AND ts_us < $end
    GROUP BY ts, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY ts ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY ts) AS total
    FROM b
)
SELECT ts, sum(n), sum(e), sum(s), max(mx), min(bucket) FILTER (WHERE cum >= 0.95 * total)
FROM c
GROUP BY ts
ORDER BY ts
