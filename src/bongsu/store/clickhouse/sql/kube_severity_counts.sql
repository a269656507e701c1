-- Episodes overlapping a window, counted per cluster and severity.
SELECT cluster, severity, count()
FROM (SELECT * FROM kube_episodes WHERE tenant = %(tenant)s)
WHERE last_seen_us >= %(start)s AND first_seen_us < %(end)s
GROUP BY cluster, severity
ORDER BY cluster, severity
