-- One host's series of the named metrics per epoch-aligned step: each series' latest
-- point in the step (its time and value).
WITH h AS (
    SELECT DISTINCT service, instance
    FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s)
    WHERE last_seen_us >= %(start)s AND first_seen_us < %(end)s AND (CASE WHEN JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') IS NOT NULL
                THEN JSONExtract(resource, 'k8s.node.name', 'Nullable(String)') ELSE host END) = %(host)s
),
p AS (
    SELECT p.service AS service, p.instance AS instance, p.name AS name,
           p.attributes AS attributes, p.ts_us AS ts_us,
           intDiv(p.ts_us, %(step)s) * %(step)s AS ts,
           coalesce(p.value, p.sum / nullIf(p.count, 0)) AS v
    FROM metric_points p
    JOIN h ON p.service = h.service AND p.instance = h.instance
    WHERE p.tenant = %(tenant)s AND p.ts_us >= %(start)s AND p.ts_us < %(end)s
      AND has(%(names)s, p.name)
)
SELECT service, instance, name, attributes, ts, max(ts_us), argMax(v, ts_us)
FROM p
GROUP BY service, instance, name, attributes, ts
ORDER BY service, instance, name, attributes, ts
