-- Episodes overlapping a window, newest last sighting first; {filters} adds the optional
-- conditions (fixed text, bound values). The raw object is left out of lists.
SELECT id, tenant, cluster, namespace, object_kind, object_name, kind, reason, severity,
       summary, message, count, first_seen_us, last_seen_us, component, source, service,
       pod, container, node, '{{}}'
FROM (SELECT * FROM kube_episodes WHERE tenant = %(tenant)s)
WHERE last_seen_us >= %(start)s AND first_seen_us < %(end)s{filters}
ORDER BY last_seen_us DESC, id
LIMIT %(limit)s
