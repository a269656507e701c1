-- A cluster's episodes seen since a time, for a watcher starting up (raw left out).
SELECT id, tenant, cluster, namespace, object_kind, object_name, kind, reason, severity,
       summary, message, count, first_seen_us, last_seen_us, component, source, service,
       pod, container, node, '{}'
FROM (SELECT * FROM kube_episodes WHERE tenant = %(tenant)s)
WHERE cluster = %(cluster)s AND last_seen_us >= %(since)s
ORDER BY last_seen_us DESC, id
