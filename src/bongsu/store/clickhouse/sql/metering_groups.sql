-- Stored container hours summed per cluster and group ({key}: the namespace,
-- namespace/workload (the pod when it has none), the team label's value, or the cluster).
SELECT cluster, {key} AS key_, uniqExact(namespace, pod, container) AS containers,
       sum(cpu_request), sum(cpu_usage), sum(cpu_allocated),
       sum(memory_request), sum(memory_usage), sum(memory_allocated)
FROM (
    SELECT * FROM metering_containers
    WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
      AND (%(cluster)s IS NULL OR cluster = %(cluster)s)
      AND (cluster, hour_us, saved_us) IN (
          SELECT cluster, hour_us, max(saved_us) FROM metering_saves
          WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
          GROUP BY cluster, hour_us)
)
GROUP BY cluster, key_
ORDER BY cluster, key_
