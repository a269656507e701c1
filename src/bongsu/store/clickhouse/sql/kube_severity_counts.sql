-- Episodes overlapping a window, counted per cluster and severity.
SELECT cluster, severity, count()
FROM (
    SELECT id, tenant, n AS count, first_us AS first_seen_us, last_us AS last_seen_us, e_cluster AS cluster, e_namespace AS namespace, e_object_kind AS object_kind, e_object_name AS object_name, e_kind AS kind, e_reason AS reason, e_severity AS severity, e_summary AS summary, e_message AS message, e_component AS component, e_source AS source, e_raw AS raw, e_service AS service, e_pod AS pod, e_container AS container, e_node AS node
    FROM (
        SELECT tenant, id, max(count) AS n, min(first_seen_us) AS first_us,
               max(last_seen_us) AS last_us,
               argMax(cluster, (last_seen_us, seq)) AS e_cluster,
               argMax(namespace, (last_seen_us, seq)) AS e_namespace,
               argMax(object_kind, (last_seen_us, seq)) AS e_object_kind,
               argMax(object_name, (last_seen_us, seq)) AS e_object_name,
               argMax(kind, (last_seen_us, seq)) AS e_kind,
               argMax(reason, (last_seen_us, seq)) AS e_reason,
               argMax(severity, (last_seen_us, seq)) AS e_severity,
               argMax(summary, (last_seen_us, seq)) AS e_summary,
               argMax(message, (last_seen_us, seq)) AS e_message,
               argMax(component, (last_seen_us, seq)) AS e_component,
               argMax(source, (last_seen_us, seq)) AS e_source,
               argMax(raw, (last_seen_us, seq)) AS e_raw,
               argMaxIf(service, (last_seen_us, seq), service IS NOT NULL) AS e_service,
               argMaxIf(pod, (last_seen_us, seq), pod IS NOT NULL) AS e_pod,
               argMaxIf(container, (last_seen_us, seq), container IS NOT NULL) AS e_container,
               argMaxIf(node, (last_seen_us, seq), node IS NOT NULL) AS e_node
        FROM kube_events
        WHERE tenant = %(tenant)s
        GROUP BY tenant, id
    )
)
WHERE last_seen_us >= %(start)s AND first_seen_us < %(end)s
GROUP BY cluster, severity
ORDER BY cluster, severity
