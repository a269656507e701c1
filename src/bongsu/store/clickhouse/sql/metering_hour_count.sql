-- The hours of the window with any stored row, container or node, of their latest save.
WITH current AS (
    SELECT cluster, hour_us, max(saved_us) AS saved_us FROM metering_saves
    WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
      AND (%(cluster)s IS NULL OR cluster = %(cluster)s)
    GROUP BY cluster, hour_us
)
SELECT uniqExact(hour_us) FROM (
    SELECT hour_us FROM metering_containers
    WHERE tenant = %(tenant)s AND (cluster, hour_us, saved_us) IN (SELECT * FROM current)
    UNION ALL
    SELECT hour_us FROM metering_nodes
    WHERE tenant = %(tenant)s AND (cluster, hour_us, saved_us) IN (SELECT * FROM current)
)
