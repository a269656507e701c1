-- Transactions per step and cluster: rollup rows joined to the cluster their instance
-- last reported (instances.cluster, from k8s.cluster.name).
SELECT r.ts_us // $step * $step AS ts, i.cluster, sum(r.count), sum(r.errors)
FROM {rollup} r
LEFT JOIN instances i
  ON i.tenant = r.tenant AND i.service = r.service AND i.instance = r.instance
WHERE r.tenant = $tenant AND r.ts_us >= $start AND r.ts_us < $end
  AND ($service IS NULL OR r.service = $service)
GROUP BY ts, i.cluster
ORDER BY ts, i.cluster NULLS LAST
