-- The stored node hours of the window (bongsu.store.metering).
SELECT cluster, hour_us, node, minutes, cpu_capacity, memory_capacity
FROM metering_nodes
WHERE tenant = $tenant AND hour_us >= $start AND hour_us < $end
  AND ($cluster IS NULL OR cluster = $cluster)
ORDER BY hour_us, cluster, node
