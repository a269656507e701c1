-- Stored container hours summed per cluster and group ({key}: the namespace,
-- namespace/workload (the pod when it has none), the team label's value, or the cluster).
SELECT cluster, {key} AS key,
       count(DISTINCT namespace || chr(0) || pod || chr(0) || container) AS containers,
       sum(cpu_request), sum(cpu_usage), sum(cpu_allocated),
       sum(memory_request), sum(memory_usage), sum(memory_allocated)
FROM metering_containers
WHERE tenant = $tenant AND hour_us >= $start AND hour_us < $end
  AND ($cluster IS NULL OR cluster = $cluster)
GROUP BY cluster, key
ORDER BY cluster, key
