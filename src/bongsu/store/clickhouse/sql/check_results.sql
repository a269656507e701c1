-- A check's results in [start, end), oldest first, after the one in force at start (the
-- latest before it), so a reader knows the status of every instant of the window.
SELECT tenant, check_id, ts_us, status, state, duration_ms, status_code, failed_condition, error, tls_days_left, name, target FROM (
    (SELECT tenant, check_id, ts_us, status, state, duration_ms, status_code, failed_condition, error, tls_days_left, name, target FROM check_results
     WHERE tenant = %(tenant)s AND check_id = %(check_id)s AND ts_us < %(start)s
     ORDER BY ts_us DESC LIMIT 1)
    UNION ALL
    (SELECT tenant, check_id, ts_us, status, state, duration_ms, status_code, failed_condition, error, tls_days_left, name, target FROM check_results
     WHERE tenant = %(tenant)s AND check_id = %(check_id)s
       AND ts_us >= %(start)s AND ts_us < %(end)s
     ORDER BY ts_us LIMIT %(limit)s))
ORDER BY ts_us
