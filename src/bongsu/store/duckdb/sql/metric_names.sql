-- Metric names with points in a window (a name's kind and unit: the smallest seen).
SELECT name, min(kind), min(unit), count(*)
FROM metric_points
WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
GROUP BY name
ORDER BY name
