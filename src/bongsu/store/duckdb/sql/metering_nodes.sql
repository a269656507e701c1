-- Per node: capacity, allocated (its containers') and idle, each hour on its own first:
-- idle = max(capacity - allocated, 0) and counted capacity = max(capacity, allocated), so
-- allocated + idle = capacity hour by hour.
WITH a AS (
    SELECT cluster, hour_us, node, sum(cpu_allocated) AS cpu, sum(memory_allocated) AS mem
    FROM metering_containers
    WHERE tenant = $tenant AND hour_us >= $start AND hour_us < $end
      AND ($cluster IS NULL OR cluster = $cluster)
    GROUP BY cluster, hour_us, node
)
SELECT n.cluster, n.node,
       sum(greatest(n.cpu_capacity, coalesce(a.cpu, 0))),
       sum(greatest(n.memory_capacity, coalesce(a.mem, 0))),
       sum(coalesce(a.cpu, 0)), sum(coalesce(a.mem, 0)),
       sum(greatest(n.cpu_capacity - coalesce(a.cpu, 0), 0)),
       sum(greatest(n.memory_capacity - coalesce(a.mem, 0), 0))
FROM metering_nodes n
LEFT JOIN a ON a.cluster = n.cluster AND a.hour_us = n.hour_us AND a.node = n.node
WHERE n.tenant = $tenant AND n.hour_us >= $start AND n.hour_us < $end
  AND ($cluster IS NULL OR n.cluster = $cluster)
GROUP BY n.cluster, n.node
ORDER BY n.cluster, n.node
