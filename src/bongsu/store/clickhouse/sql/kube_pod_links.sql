-- Instances whose latest resource names their pod: the pod -> service links.
SELECT cluster, namespace, pod, service, instance
FROM (
    SELECT cluster, namespace, JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') AS pod, service, instance,
           last_seen_us
    FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s)
    WHERE last_seen_us >= %(since)s
)
WHERE pod IS NOT NULL
ORDER BY cluster NULLS LAST, namespace NULLS LAST, pod, last_seen_us DESC, service, instance
