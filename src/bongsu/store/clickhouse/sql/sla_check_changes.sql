-- One check's state changes: the result in force at %(start)s, then each result in
-- [start, end) whose state differs from the one before it, oldest first (bongsu.store.sla).
WITH r AS (
    SELECT ts_us, state, name FROM (
        (SELECT ts_us, state, name FROM check_results
         WHERE tenant = %(tenant)s AND check_id = %(check_id)s AND ts_us < %(start)s
         ORDER BY ts_us DESC LIMIT 1)
        UNION ALL
        (SELECT ts_us, state, name FROM check_results
         WHERE tenant = %(tenant)s AND check_id = %(check_id)s
           AND ts_us >= %(start)s AND ts_us < %(end)s))
), c AS (
    SELECT ts_us, state, name,
           lagInFrame(toNullable(toString(state))) OVER (
               ORDER BY ts_us, state ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev
    FROM r
)
SELECT ts_us, state, name FROM c
WHERE prev IS NULL OR prev != state
ORDER BY ts_us, state
