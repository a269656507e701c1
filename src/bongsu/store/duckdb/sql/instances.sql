-- Instances seen in a window, with their transaction figures over a shorter recent span
-- read from the 10-second rollup. An origin that named no service (service.name absent:
-- the OpenTelemetry Collector sending a node's host metrics) is a host, not an instance;
-- a row loaded without its resource attributes is kept.
WITH figures AS (
    SELECT service, instance, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s
    FROM rollup_10s
    WHERE tenant = $tenant AND ts_us >= $rate_start AND ts_us < $end
      AND ($service IS NULL OR service = $service)
    GROUP BY service, instance
)
SELECT i.service, i.instance, i.last_seen_us, coalesce(f.n, 0), coalesce(f.e, 0),
       coalesce(f.s, 0)
FROM instances i
LEFT JOIN figures f USING (service, instance)
WHERE i.tenant = $tenant AND i.last_seen_us >= $start AND i.first_seen_us < $end
  AND ($service IS NULL OR i.service = $service)
  AND (i.resource IS NULL OR json_extract_string(i.resource, '$."service.name"') IS NOT NULL)
ORDER BY i.service, i.instance
