-- Transactions per step and cluster: rollup rows joined to the cluster their instance
-- last reported (instances.cluster, from k8s.cluster.name).
SELECT intDiv(r.ts_us, %(step)s) * %(step)s AS ts, i.cluster AS cluster, sum(r.count),
       sum(r.errors)
FROM {rollup} r
LEFT JOIN (SELECT * FROM instances_latest WHERE tenant = %(tenant)s) AS i ON i.service = r.service AND i.instance = r.instance
WHERE r.tenant = %(tenant)s AND r.ts_us >= %(start)s AND r.ts_us < %(end)s
  AND (%(service)s IS NULL OR r.service = %(service)s)
GROUP BY ts, cluster
ORDER BY ts, cluster NULLS LAST
SETTINGS join_use_nulls = 1
