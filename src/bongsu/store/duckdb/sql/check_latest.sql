-- Each check's latest result (of the checks asked for, or every check with NULL).
SELECT * FROM check_results
WHERE tenant = $tenant AND ($ids IS NULL OR list_contains($ids, check_id))
QUALIFY row_number() OVER (PARTITION BY check_id ORDER BY ts_us DESC) = 1
ORDER BY check_id
