-- Instances whose latest resource names their pod: the pod -> service links.
SELECT cluster, namespace, pod, service, instance
FROM (
    SELECT cluster, namespace, JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') AS pod, service, instance,
           last_seen_us
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
    WHERE last_seen_us >= %(since)s
)
WHERE pod IS NOT NULL
ORDER BY cluster NULLS LAST, namespace NULLS LAST, pod, last_seen_us DESC, service, instance
