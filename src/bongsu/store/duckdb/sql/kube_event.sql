-- One episode with its raw object.
SELECT id, tenant, cluster, namespace, object_kind, object_name, kind, reason, severity,
       summary, message, count, first_seen_us, last_seen_us, component, source, service,
       pod, container, node, raw
FROM kube_events
WHERE tenant = $tenant AND id = $id
