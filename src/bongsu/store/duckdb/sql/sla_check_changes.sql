-- One check's state changes: the result in force at $start (the latest before it), then
-- each result in [$start, $end) whose state differs from the one before it, oldest first
-- (bongsu.store.sla). A month of 10 s probes is ~260,000 results and a few hundred changes.
WITH r AS (
    (SELECT ts_us, state, name FROM check_results
     WHERE tenant = $tenant AND check_id = $check_id AND ts_us < $start
     ORDER BY ts_us DESC LIMIT 1)
    UNION ALL
    (SELECT ts_us, state, name FROM check_results
     WHERE tenant = $tenant AND check_id = $check_id AND ts_us >= $start AND ts_us < $end)
), c AS (
    SELECT ts_us, state, name, lag(state) OVER (ORDER BY ts_us, state) AS prev FROM r
)
SELECT ts_us, state, name FROM c
WHERE prev IS NULL OR prev <> state
ORDER BY ts_us, state
