-- Connections in use per service and pool: each instance's latest point and peak in the
-- window, summed over the instances (OTel semconv names, current and older).
WITH p AS (
    SELECT service, instance,
           coalesce(json_extract_string(attributes, '$."db.client.connection.pool.name"'),
                    json_extract_string(attributes, '$."pool.name"'), '') AS pool,
           arg_max(value, ts_us) AS last, max(value) AS peak
    FROM metric_points
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
      AND name IN ('db.client.connection.count', 'db.client.connections.usage')
      AND value IS NOT NULL
      AND coalesce(json_extract_string(attributes, '$."db.client.connection.state"'),
                   json_extract_string(attributes, '$."state"')) = 'used'
    GROUP BY ALL
)
SELECT service, pool, sum(last), sum(peak), count(*)
FROM p
GROUP BY service, pool
ORDER BY service, pool
