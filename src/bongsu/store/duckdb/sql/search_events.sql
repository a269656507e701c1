-- Kubernetes episodes last seen since $since whose object name, reason or summary
-- contains $q (lower case); ranked by the object name as search_names.sql, newest first.
SELECT id, object_kind, object_name, reason, summary, cluster, namespace,
       CASE WHEN lower(object_name) = $q THEN 0
            WHEN starts_with(lower(object_name), $q) THEN 1 ELSE 2 END AS rank
FROM kube_events
WHERE tenant = $tenant AND last_seen_us >= $since
  AND (contains(lower(object_name), $q) OR contains(lower(reason), $q)
       OR contains(lower(summary), $q))
ORDER BY rank, last_seen_us DESC, id
LIMIT $limit
