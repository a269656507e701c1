-- One host's series of the named metrics per epoch-aligned step: each series' latest
-- point in the step (its time and value).
WITH h AS (
    SELECT DISTINCT service, instance
    FROM instances
    WHERE tenant = $tenant AND last_seen_us >= $start AND first_seen_us < $end
      AND (CASE WHEN json_extract_string(resource, '$."k8s.pod.name"') IS NOT NULL
                THEN json_extract_string(resource, '$."k8s.node.name"')
                ELSE host END) = $host
),
p AS (
    SELECT p.service, p.instance, p.name, p.attributes, p.ts_us,
           p.ts_us // $step * $step AS ts,
           coalesce(p.value, p.sum / nullif(p.count, 0)) AS v
    FROM metric_points p
    JOIN h ON p.service = h.service AND p.instance = h.instance
    WHERE p.tenant = $tenant AND p.ts_us >= $start AND p.ts_us < $end
      AND list_contains($names, p.name)
)
SELECT service, instance, name, attributes, ts, max(ts_us), arg_max(v, ts_us)
FROM p
GROUP BY service, instance, name, attributes, ts
ORDER BY service, instance, name, attributes, ts
