-- A check's results in [start, end), oldest first, after the one in force at start (the
-- latest before it), so a reader knows the status of every instant of the window.
(SELECT * FROM check_results
 WHERE tenant = $tenant AND check_id = $check_id AND ts_us < $start
 ORDER BY ts_us DESC LIMIT 1)
UNION ALL
(SELECT * FROM check_results
 WHERE tenant = $tenant AND check_id = $check_id AND ts_us >= $start AND ts_us < $end
 ORDER BY ts_us LIMIT $limit)
ORDER BY ts_us
