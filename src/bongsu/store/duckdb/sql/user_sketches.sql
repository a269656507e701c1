-- User sketch rows of one table (users_1m / users_1d) starting in [start, end), one
-- service's or all; with $every, only those starting less than $within before a point
-- end, end - every, end - 2 every … (the sliding windows of an active-users series).
SELECT service, ts_us, sketch
FROM {table}
WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
  AND ($service IS NULL OR service = $service)
  AND ($every IS NULL OR ($end - ts_us - 1) % $every < $within)
ORDER BY service, ts_us, sketch
