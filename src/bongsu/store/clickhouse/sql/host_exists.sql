-- Whether any instance ever ran on the host (same host rule as host_instances.sql).
SELECT 1
FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s)
WHERE (CASE WHEN JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') IS NOT NULL
                THEN JSONExtract(resource, 'k8s.node.name', 'Nullable(String)') ELSE host END) = %(host)s
LIMIT 1
