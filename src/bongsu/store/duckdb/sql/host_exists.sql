-- Whether any instance ever ran on the host (same host rule as host_instances.sql).
SELECT 1
FROM instances
WHERE tenant = $tenant
  AND (CASE WHEN json_extract_string(resource, '$."k8s.pod.name"') IS NOT NULL
            THEN json_extract_string(resource, '$."k8s.node.name"')
            ELSE host END) = $host
LIMIT 1
