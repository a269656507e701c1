-- Per node: capacity, allocated (its containers') and idle, each hour on its own first:
-- idle = max(capacity - allocated, 0) and counted capacity = max(capacity, allocated).
WITH a AS (
    SELECT cluster, hour_us, node, sum(cpu_allocated) AS cpu, sum(memory_allocated) AS mem
    FROM (
    SELECT * FROM metering_containers
    WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
      AND (%(cluster)s IS NULL OR cluster = %(cluster)s)
      AND (cluster, hour_us, saved_us) IN (
          SELECT cluster, hour_us, max(saved_us) FROM metering_saves
          WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
          GROUP BY cluster, hour_us)
)
    GROUP BY cluster, hour_us, node
)
SELECT n.cluster, n.node,
       sum(greatest(n.cpu_capacity, coalesce(a.cpu, 0))),
       sum(greatest(n.memory_capacity, coalesce(a.mem, 0))),
       sum(coalesce(a.cpu, 0)), sum(coalesce(a.mem, 0)),
       sum(greatest(n.cpu_capacity - coalesce(a.cpu, 0), 0)),
       sum(greatest(n.memory_capacity - coalesce(a.mem, 0), 0))
FROM (
    SELECT * FROM metering_nodes
    WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
      AND (%(cluster)s IS NULL OR cluster = %(cluster)s)
      AND (cluster, hour_us, saved_us) IN (
          SELECT cluster, hour_us, max(saved_us) FROM metering_saves
          WHERE tenant = %(tenant)s AND hour_us >= %(start)s AND hour_us < %(end)s
          GROUP BY cluster, hour_us)
) AS n
LEFT JOIN a ON a.cluster = n.cluster AND a.hour_us = n.hour_us AND a.node = n.node
GROUP BY n.cluster, n.node
ORDER BY n.cluster, n.node
SETTINGS join_use_nulls = 1
