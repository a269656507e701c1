-- Per host and series (service, instance, metric, attribute set) of the named metrics in
-- the window: its first and last point, the mean and the point count. The host of a
-- series is its instance's (host_instances.sql).
WITH h AS (
    SELECT DISTINCT service, instance, h AS host
    FROM (
        SELECT service, instance,
               CASE WHEN json_extract_string(resource, '$."k8s.pod.name"') IS NOT NULL
                    THEN json_extract_string(resource, '$."k8s.node.name"')
                    ELSE host END AS h
        FROM instances
        WHERE tenant = $tenant AND last_seen_us >= $start AND first_seen_us < $end
    )
    WHERE h IS NOT NULL AND ($host IS NULL OR h = $host)
),
p AS (
    SELECT h.host, p.service, p.instance, p.name, p.attributes, p.ts_us,
           coalesce(p.value, p.sum / nullif(p.count, 0)) AS v
    FROM metric_points p
    JOIN h ON p.service = h.service AND p.instance = h.instance
    WHERE p.tenant = $tenant AND p.ts_us >= $start AND p.ts_us < $end
      AND list_contains($names, p.name)
)
SELECT host, service, instance, name, attributes,
       min(ts_us), arg_min(v, ts_us), max(ts_us), arg_max(v, ts_us), avg(v), count(*)
FROM p
GROUP BY host, service, instance, name, attributes
ORDER BY host, service, instance, name, attributes
