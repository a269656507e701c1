-- Instances whose latest resource names their pod: the pod -> service links.
SELECT cluster, namespace, pod, service, instance
FROM (
    SELECT cluster, namespace, json_extract_string(resource, '$."k8s.pod.name"') AS pod,
           service, instance, last_seen_us
    FROM instances
    WHERE tenant = $tenant AND last_seen_us >= $since
)
WHERE pod IS NOT NULL
ORDER BY cluster NULLS LAST, namespace NULLS LAST, pod, last_seen_us DESC, service, instance
