-- The slowest call of each rollup row of one statement; one per trace, slowest first.
SELECT ts_us, service, max_us, slow_trace
FROM (
    SELECT ts_us, service, max_us, slow_trace,
           row_number() OVER (PARTITION BY slow_trace ORDER BY max_us DESC) AS k
    FROM {table}
    WHERE tenant = $tenant AND db = $db AND fingerprint = $fingerprint
      AND ts_us >= $start AND ts_us < $end
)
WHERE k = 1
ORDER BY max_us DESC, slow_trace
LIMIT $limit
