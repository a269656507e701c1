-- The stored node hours of the window, the latest save of each hour only (schema.py).
SELECT cluster, hour_us, node, minutes, cpu_capacity, memory_capacity
FROM metering_nodes
WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
  AND (%(cluster)s IS NULL OR cluster = %(cluster)s)
  AND (cluster, hour_us, saved_us) IN (
      SELECT cluster, hour_us, max(saved_us) FROM metering_saves
      WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
      GROUP BY cluster, hour_us)
ORDER BY hour_us, cluster, node
