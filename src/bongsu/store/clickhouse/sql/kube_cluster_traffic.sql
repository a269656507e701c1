-- Transactions per step and cluster: rollup rows joined to the cluster their instance
-- last reported (instances.cluster, from k8s.cluster.name).
SELECT intDiv(r.ts_us, %(step)s) * %(step)s AS ts, i.cluster AS cluster, sum(r.count),
       sum(r.errors)
FROM {rollup} r
LEFT JOIN (
    SELECT service, instance, first_us AS first_seen_us, last_us AS last_seen_us,
           c AS cluster, ns AS namespace, h AS host, r AS resource
    FROM (
        SELECT service, instance, min(first_seen_us) AS first_us, max(last_seen_us) AS last_us,
               argMax(cluster, (last_seen_us, seq)) AS c, argMax(namespace, (last_seen_us, seq)) AS ns,
               argMax(host, (last_seen_us, seq)) AS h, argMax(resource, (last_seen_us, seq)) AS r
        FROM instances
        WHERE tenant = %(tenant)s
        GROUP BY service, instance
    )
) AS i ON i.service = r.service AND i.instance = r.instance
WHERE r.tenant = %(tenant)s AND r.ts_us >= %(start)s AND r.ts_us < %(end)s
  AND (%(service)s IS NULL OR r.service = %(service)s)
GROUP BY ts, cluster
ORDER BY ts, cluster NULLS LAST
SETTINGS join_use_nulls = 1
