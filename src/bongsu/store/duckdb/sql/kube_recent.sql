-- A cluster's episodes seen since a time, for a watcher starting up (raw left out).
SELECT id, tenant, cluster, namespace, object_kind, object_name, kind, reason, severity,
       summary, message, count, first_seen_us, last_seen_us, component, source, service,
       pod, container, node, '{}'
FROM kube_events
WHERE tenant = $tenant AND cluster = $cluster AND last_seen_us >= $since
ORDER BY last_seen_us DESC, id
