-- Metric names with points in a window.
SELECT name, any_value(kind), any_value(unit), count(*)
FROM metric_points
WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
GROUP BY name
ORDER BY name
