-- One episode with its raw object (an episode is its sightings grouped, schema.py).
SELECT id, tenant, cluster, namespace, object_kind, object_name, kind, reason, severity,
       summary, message, count, first_seen_us, last_seen_us, component, source, service,
       pod, container, node, raw
FROM (SELECT * FROM kube_episodes WHERE tenant = %(tenant)s AND id = %(id)s)
