-- One cluster's containers over one hour, from the k8s.container.* points: each series'
-- mean per minute; a minute without a request (or usage) point takes the nearest earlier
-- minute's, else the nearest later one's (last_value / first_value skip NULLs here). Pods
-- without a node are left out.
WITH p AS (
    SELECT intDiv(ts_us, 60000000) AS minute, name,
           JSONExtract(attributes, 'k8s.namespace.name', 'Nullable(String)') AS namespace,
           JSONExtract(attributes, 'k8s.pod.name', 'Nullable(String)') AS pod,
           JSONExtract(attributes, 'k8s.container.name', 'Nullable(String)') AS container,
           JSONExtract(attributes, 'k8s.node.name', 'Nullable(String)') AS node,
           coalesce(JSONExtract(attributes, 'k8s.workload.kind', 'Nullable(String)'), '') AS workload_kind,
           coalesce(JSONExtract(attributes, 'k8s.workload.name', 'Nullable(String)'), '') AS workload,
           coalesce(value, sum / nullIf(count, 0)) AS v
    FROM metric_points
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND name IN ('k8s.container.cpu.request', 'k8s.container.cpu.usage',
                   'k8s.container.memory.request', 'k8s.container.memory.usage')
      AND JSONExtract(attributes, 'k8s.cluster.name', 'Nullable(String)') = %(cluster)s
),
m AS (
    SELECT namespace, pod, container, minute,
           any(node) AS m_node, any(workload_kind) AS m_kind, any(workload) AS m_workload,
           avgOrNullIf(v, name = 'k8s.container.cpu.request') AS cpu_req,
           avgOrNullIf(v, name = 'k8s.container.cpu.usage') AS cpu_use,
           avgOrNullIf(v, name = 'k8s.container.memory.request') AS mem_req,
           avgOrNullIf(v, name = 'k8s.container.memory.usage') AS mem_use
    FROM p
    WHERE node IS NOT NULL AND container IS NOT NULL
    GROUP BY namespace, pod, container, minute
),
f AS (
    SELECT namespace, pod, container, minute, m_node, m_kind, m_workload,
           coalesce(last_value(cpu_req) OVER back, first_value(cpu_req) OVER ahead, 0) AS f_cpu_req,
           coalesce(last_value(cpu_use) OVER back, first_value(cpu_use) OVER ahead, 0) AS f_cpu_use,
           coalesce(last_value(mem_req) OVER back, first_value(mem_req) OVER ahead, 0) AS f_mem_req,
           coalesce(last_value(mem_use) OVER back, first_value(mem_use) OVER ahead, 0) AS f_mem_use
    FROM m
    WINDOW back AS (PARTITION BY namespace, pod, container ORDER BY minute
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           ahead AS (PARTITION BY namespace, pod, container ORDER BY minute
                     ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
)
SELECT namespace, pod, container, argMax(m_node, minute), argMax(m_kind, minute),
       argMax(m_workload, minute), count() AS minutes,
       sum(f_cpu_req) / 60, sum(f_cpu_use) / 60, sum(greatest(f_cpu_req, f_cpu_use)) / 60,
       sum(f_mem_req) / 60 / 1073741824, sum(f_mem_use) / 60 / 1073741824,
       sum(greatest(f_mem_req, f_mem_use)) / 60 / 1073741824,
       (SELECT uniqExact(minute) FROM m) AS cluster_minutes
FROM f
GROUP BY namespace, pod, container
ORDER BY namespace, pod, container
