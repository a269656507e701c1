-- One episode's count over time.
SELECT ts_us, count
FROM kube_event_counts
WHERE tenant = $tenant AND id = $id
ORDER BY ts_us, count
