-- Episodes overlapping a window, counted per cluster and severity.
SELECT cluster, severity, count(*)
FROM kube_events
WHERE tenant = $tenant AND last_seen_us >= $start AND first_seen_us < $end
GROUP BY cluster, severity
ORDER BY cluster, severity
