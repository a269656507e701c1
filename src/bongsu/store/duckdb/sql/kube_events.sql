-- Episodes overlapping a window, newest last sighting first; {filters} adds the optional
-- conditions (fixed text, bound values). The raw object is left out of lists.
SELECT id, tenant, cluster, namespace, object_kind, object_name, kind, reason, severity,
       summary, message, count, first_seen_us, last_seen_us, component, source, service,
       pod, container, node, '{{}}'
FROM kube_events
WHERE tenant = $tenant AND last_seen_us >= $start AND first_seen_us < $end{filters}
ORDER BY last_seen_us DESC, id
LIMIT $limit
