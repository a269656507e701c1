-- One cluster's containers over one hour, from the k8s.container.* points: each series'
-- mean per minute; a minute with a usage point but no request point (requests are written
-- every 60 s, usage every 15 s) takes the request of the nearest earlier minute, else the
-- nearest later one (the same for usage). A container counts in the minutes it has any
-- point; pods without a node (Pending, unscheduled) are left out: they consume nothing.
WITH p AS (
    SELECT ts_us // 60000000 AS minute, name,
           json_extract_string(attributes, '$."k8s.namespace.name"') AS namespace,
           json_extract_string(attributes, '$."k8s.pod.name"') AS pod,
           json_extract_string(attributes, '$."k8s.container.name"') AS container,
           json_extract_string(attributes, '$."k8s.node.name"') AS node,
           coalesce(json_extract_string(attributes, '$."k8s.workload.kind"'), '') AS workload_kind,
           coalesce(json_extract_string(attributes, '$."k8s.workload.name"'), '') AS workload,
           coalesce(value, sum / nullif(count, 0)) AS v
    FROM metric_points
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
      AND name IN ('k8s.container.cpu.request', 'k8s.container.cpu.usage',
                   'k8s.container.memory.request', 'k8s.container.memory.usage')
      AND json_extract_string(attributes, '$."k8s.cluster.name"') = $cluster
),
m AS (
    SELECT namespace, pod, container, minute,
           any_value(node) AS node, any_value(workload_kind) AS workload_kind,
           any_value(workload) AS workload,
           avg(v) FILTER (WHERE name = 'k8s.container.cpu.request') AS cpu_req,
           avg(v) FILTER (WHERE name = 'k8s.container.cpu.usage') AS cpu_use,
           avg(v) FILTER (WHERE name = 'k8s.container.memory.request') AS mem_req,
           avg(v) FILTER (WHERE name = 'k8s.container.memory.usage') AS mem_use
    FROM p
    WHERE node IS NOT NULL AND container IS NOT NULL
    GROUP BY namespace, pod, container, minute
),
f AS (
    SELECT namespace, pod, container, minute, node, workload_kind, workload,
           coalesce(last_value(cpu_req IGNORE NULLS) OVER back, first_value(cpu_req IGNORE NULLS) OVER ahead, 0) AS cpu_req,
           coalesce(last_value(cpu_use IGNORE NULLS) OVER back, first_value(cpu_use IGNORE NULLS) OVER ahead, 0) AS cpu_use,
           coalesce(last_value(mem_req IGNORE NULLS) OVER back, first_value(mem_req IGNORE NULLS) OVER ahead, 0) AS mem_req,
           coalesce(last_value(mem_use IGNORE NULLS) OVER back, first_value(mem_use IGNORE NULLS) OVER ahead, 0) AS mem_use
    FROM m
    WINDOW back AS (PARTITION BY namespace, pod, container ORDER BY minute
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           ahead AS (PARTITION BY namespace, pod, container ORDER BY minute
                     ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)
)
SELECT namespace, pod, container, arg_max(node, minute), arg_max(workload_kind, minute),
       arg_max(workload, minute), count(*) AS minutes,
       sum(cpu_req) / 60, sum(cpu_use) / 60, sum(greatest(cpu_req, cpu_use)) / 60,
       sum(mem_req) / 60 / 1073741824, sum(mem_use) / 60 / 1073741824,
       sum(greatest(mem_req, mem_use)) / 60 / 1073741824,
       (SELECT count(DISTINCT minute) FROM m) AS cluster_minutes
FROM f
GROUP BY namespace, pod, container
ORDER BY namespace, pod, container
