-- Each check's latest result (of the checks asked for, or every check with {ids} empty:
-- the caller gives the fragment, as has(NULL, x) does not type).
SELECT tenant, check_id, ts_us, status, state, duration_ms, status_code, failed_condition, error, tls_days_left, name, target
FROM check_results
WHERE tenant = %(tenant)s{ids}
QUALIFY row_number() OVER (PARTITION BY check_id ORDER BY ts_us DESC) = 1
ORDER BY check_id
