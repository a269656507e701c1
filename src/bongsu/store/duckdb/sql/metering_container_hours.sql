-- The stored container hours of the window (bongsu.store.metering), in the order a
-- statement lists them.
SELECT cluster, hour_us, namespace, pod, container, node, workload_kind, workload, team,
       minutes, cpu_request, cpu_usage, cpu_allocated, memory_request, memory_usage,
       memory_allocated
FROM metering_containers
WHERE tenant = $tenant AND hour_us >= $start AND hour_us < $end
  AND ($cluster IS NULL OR cluster = $cluster)
ORDER BY hour_us, cluster, namespace, pod, container
