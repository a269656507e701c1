-- The slowest call of each rollup row (partial rows merged per key first, so merges never
-- change the answer); one per trace, slowest first.
WITH r AS (
    SELECT ts_us, service, max(max_us) AS mx, argMax(slow_trace, (max_us, slow_trace)) AS tr
    FROM {table}
    WHERE tenant = %(tenant)s AND db = %(db)s AND fingerprint = %(fingerprint)s
      AND ts_us >= %(start)s AND ts_us < %(end)s
    GROUP BY ts_us, db_system, db_name, address, service, bucket
)
SELECT ts_us, service, mx, tr
FROM r
QUALIFY row_number() OVER (PARTITION BY tr ORDER BY mx DESC, ts_us, service) = 1
ORDER BY mx DESC, tr
LIMIT %(limit)s
