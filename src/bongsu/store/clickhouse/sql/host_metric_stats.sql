-- Per host and series (service, instance, metric, attribute set) of the named metrics in
-- the window: its first and last point, the mean and the point count.
WITH h AS (
    SELECT DISTINCT service, instance, hh AS host
    FROM (
        SELECT service, instance, CASE WHEN JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') IS NOT NULL
                THEN JSONExtract(resource, 'k8s.node.name', 'Nullable(String)') ELSE host END AS hh
        FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s)
        WHERE last_seen_us >= %(start)s AND first_seen_us < %(end)s
    )
    WHERE hh IS NOT NULL AND (%(host)s IS NULL OR hh = %(host)s)
),
p AS (
    SELECT h.host AS host, p.service AS service, p.instance AS instance, p.name AS name,
           p.attributes AS attributes, p.ts_us AS ts_us,
           coalesce(p.value, p.sum / nullIf(p.count, 0)) AS v
    FROM metric_points p
    JOIN h ON p.service = h.service AND p.instance = h.instance
    WHERE p.tenant = %(tenant)s AND p.ts_us >= %(start)s AND p.ts_us < %(end)s
      AND has(%(names)s, p.name)
)
SELECT host, service, instance, name, attributes,
       min(ts_us), argMin(v, ts_us), max(ts_us), argMax(v, ts_us), avg(v), count()
FROM p
GROUP BY host, service, instance, name, attributes
ORDER BY host, service, instance, name, attributes
