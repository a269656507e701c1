-- Instances seen in a window, with their transaction figures over a shorter recent span
-- read from the 10-second rollup. An origin that named no service (service.name absent:
-- the OpenTelemetry Collector sending a node's host metrics) is a host, not an instance;
-- a row loaded without its resource attributes is kept.
WITH figures AS (
    SELECT service, instance, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s
    FROM rollup_10s
    WHERE tenant = %(tenant)s AND ts_us >= %(rate_start)s AND ts_us < %(end)s
      AND (%(service)s IS NULL OR service = %(service)s)
    GROUP BY service, instance
)
SELECT i.service, i.instance, i.last_seen_us, coalesce(f.n, 0), coalesce(f.e, 0),
       coalesce(f.s, 0)
FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s) AS i
LEFT JOIN figures AS f ON f.service = i.service AND f.instance = i.instance
WHERE i.last_seen_us >= %(start)s AND i.first_seen_us < %(end)s
  AND (%(service)s IS NULL OR i.service = %(service)s)
  AND (i.resource IS NULL
       OR JSONExtract(i.resource, 'service.name', 'Nullable(String)') IS NOT NULL)
ORDER BY i.service, i.instance
