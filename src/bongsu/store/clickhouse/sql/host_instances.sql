-- Instances seen in the window with the host they run on: a pod's node (k8s.node.name; in
-- a container host.name is the pod's own name), else host.name. %(host)s NULL: every host.
SELECT service, instance, h, pod, cluster, namespace, last_seen_us
FROM (
    SELECT service, instance, cluster, namespace, last_seen_us,
           JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') AS pod,
           CASE WHEN JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') IS NOT NULL
                THEN JSONExtract(resource, 'k8s.node.name', 'Nullable(String)') ELSE host END AS h
    FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s)
    WHERE last_seen_us >= %(start)s AND first_seen_us < %(end)s
)
WHERE h IS NOT NULL AND (%(host)s IS NULL OR h = %(host)s)
ORDER BY h, service, instance
