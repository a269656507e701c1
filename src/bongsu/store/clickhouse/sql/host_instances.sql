-- Instances seen in the window with the host they run on: a pod's node (k8s.node.name; in
-- a container host.name is the pod's own name), else host.name. %(host)s NULL: every host.
SELECT service, instance, h, pod, cluster, namespace, last_seen_us
FROM (
    SELECT service, instance, cluster, namespace, last_seen_us,
           JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') AS pod,
           CASE WHEN JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') IS NOT NULL
                THEN JSONExtract(resource, 'k8s.node.name', 'Nullable(String)') ELSE host END AS h
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
    WHERE last_seen_us >= %(start)s AND first_seen_us < %(end)s
)
WHERE h IS NOT NULL AND (%(host)s IS NULL OR h = %(host)s)
ORDER BY h, service, instance
