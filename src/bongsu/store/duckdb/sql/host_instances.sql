-- Instances seen in the window with the host they run on: a pod's node (k8s.node.name; in
-- a container host.name is the pod's own name), else host.name. $host NULL: every host.
SELECT service, instance, h, pod, cluster, namespace, last_seen_us
FROM (
    SELECT service, instance, cluster, namespace, last_seen_us,
           json_extract_string(resource, '$."k8s.pod.name"') AS pod,
           CASE WHEN json_extract_string(resource, '$."k8s.pod.name"') IS NOT NULL
                THEN json_extract_string(resource, '$."k8s.node.name"')
                ELSE host END AS h
    FROM instances
    WHERE tenant = $tenant AND last_seen_us >= $start AND first_seen_us < $end
)
WHERE h IS NOT NULL AND ($host IS NULL OR h = $host)
ORDER BY h, service, instance
