-- The resource attributes people know instances by, for the named instance ids (any
-- service), the latest sighting first.
SELECT instance, service,
       JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)'),
       JSONExtract(resource, 'host.name', 'Nullable(String)'),
       JSONExtract(resource, 'process.pid', 'Nullable(String)')
FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s)
WHERE has(%(ids)s, instance)
ORDER BY instance, last_seen_us DESC, service
