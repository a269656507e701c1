-- Each check's latest result (of the checks asked for: {ids}, or every check).
SELECT * FROM check_results
WHERE tenant = $tenant{ids}
QUALIFY row_number() OVER (PARTITION BY check_id ORDER BY ts_us DESC) = 1
ORDER BY check_id
