-- Whether any instance ever ran on the host (same host rule as host_instances.sql).
SELECT 1
FROM (
    SELECT service, instance, first_us AS first_seen_us, last_us AS last_seen_us,
           c AS cluster, ns AS namespace, h AS host, r AS resource
    FROM (
        SELECT service, instance, min(first_seen_us) AS first_us, max(last_seen_us) AS last_us,
               argMax(cluster, (last_seen_us, seq)) AS c, argMax(namespace, (last_seen_us, seq)) AS ns,
               argMax(host, (last_seen_us, seq)) AS h, argMax(resource, (last_seen_us, seq)) AS r
        FROM instances
        WHERE tenant = %(tenant)s
        GROUP BY service, instance
    )
)
WHERE (CASE WHEN JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') IS NOT NULL
                THEN JSONExtract(resource, 'k8s.node.name', 'Nullable(String)') ELSE host END) = %(host)s
LIMIT 1
