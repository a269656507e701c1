-- Instances seen in the window with their service and grouping labels: cluster,
-- namespace and team (k8s.pod.labels.team, else a team resource attribute). Origins that
-- named no service are no service.
SELECT DISTINCT service, cluster, namespace,
       coalesce(JSONExtract(resource, 'k8s.pod.labels.team', 'Nullable(String)'), JSONExtract(resource, 'team', 'Nullable(String)')) AS team
FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s)
WHERE last_seen_us >= %(start)s AND first_seen_us < %(end)s
  AND JSONExtract(resource, 'service.name', 'Nullable(String)') IS NOT NULL
ORDER BY service, cluster, namespace, team
