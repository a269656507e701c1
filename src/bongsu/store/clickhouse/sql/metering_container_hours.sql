-- The stored container hours of the window, the latest save of each hour only
-- (metering_saves, schema.py), in the order a statement lists them.
SELECT cluster, hour_us, namespace, pod, container, node, workload_kind, workload, team,
       minutes, cpu_request, cpu_usage, cpu_allocated, memory_request, memory_usage,
       memory_allocated
FROM metering_containers
WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
  AND (%(cluster)s IS NULL OR cluster = %(cluster)s)
  AND (cluster, hour_us, saved_us) IN (
      SELECT cluster, hour_us, max(saved_us) FROM metering_saves
      WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
      GROUP BY cluster, hour_us)
ORDER BY hour_us, cluster, namespace, pod, container
