-- One episode's count over time (a ReplacingMergeTree: distinct rows).
SELECT DISTINCT ts_us, count
FROM kube_event_counts
WHERE tenant = %(tenant)s AND id = %(id)s
ORDER BY ts_us, count
