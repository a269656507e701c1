-- Connections in use per service and pool: each instance's latest point and peak in the
-- window, summed over the instances (OTel semconv names, current and older).
WITH p AS (
    SELECT service, instance,
           coalesce(JSONExtract(attributes, 'db.client.connection.pool.name', 'Nullable(String)'),
                    JSONExtract(attributes, 'pool.name', 'Nullable(String)'), '') AS pool,
           argMax(value, ts_us) AS last_value_, max(value) AS peak
    FROM metric_points
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND name IN ('db.client.connection.count', 'db.client.connections.usage')
      AND value IS NOT NULL
      AND coalesce(JSONExtract(attributes, 'db.client.connection.state', 'Nullable(String)'),
                   JSONExtract(attributes, 'state', 'Nullable(String)')) = 'used'
    GROUP BY service, instance, pool
)
SELECT service, pool, sum(last_value_), sum(peak), count()
FROM p
GROUP BY service, pool
ORDER BY service, pool
