-- The resource attributes people know instances by, for the named instance ids (any
-- service), the latest sighting first.
SELECT instance, service,
       json_extract_string(resource, '$."k8s.pod.name"'),
       json_extract_string(resource, '$."host.name"'),
       json_extract_string(resource, '$."process.pid"')
FROM instances
WHERE tenant = $tenant AND list_contains($ids, instance)
ORDER BY instance, last_seen_us DESC, service
