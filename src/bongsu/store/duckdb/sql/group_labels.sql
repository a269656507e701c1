-- Instances seen in the window with their service and grouping labels: cluster,
-- namespace and team (the pod label the Collector's k8sattributes processor adds as
-- k8s.pod.labels.team, else a team resource attribute). Origins that named no service
-- (service.name absent: the Collector sending a node's host metrics) are no service.
SELECT DISTINCT service, cluster, namespace,
       coalesce(json_extract_string(resource, '$."k8s.pod.labels.team"'),
                json_extract_string(resource, '$."team"')) AS team
FROM instances
WHERE tenant = $tenant AND last_seen_us >= $start AND first_seen_us < $end
  AND json_extract_string(resource, '$."service.name"') IS NOT NULL
ORDER BY service, cluster, namespace, team
