-- Instances seen in the window with their service and grouping labels: cluster,
-- namespace and team (k8s.pod.labels.team, else a team resource attribute). Origins that
-- named no service are no service.
SELECT DISTINCT service, cluster, namespace,
       coalesce(JSONExtract(resource, 'k8s.pod.labels.team', 'Nullable(String)'), JSONExtract(resource, 'team', 'Nullable(String)')) AS team
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
  AND JSONExtract(resource, 'service.name', 'Nullable(String)') IS NOT NULL
ORDER BY service, cluster, namespace, team
