-- Kubernetes episodes last seen since %(since)s whose object name, reason or summary
-- contains %(q)s (lower case); ranked by the object name as search_names.sql, newest first.
SELECT id, object_kind, object_name, reason, summary, cluster, namespace,
       CASE WHEN lowerUTF8(object_name) = %(q)s THEN 0
            WHEN startsWith(lowerUTF8(object_name), %(q)s) THEN 1 ELSE 2 END AS rank
FROM (SELECT * FROM kube_episodes WHERE tenant = %(tenant)s)
WHERE last_seen_us >= %(since)s
  AND (position(lowerUTF8(object_name), %(q)s) > 0 OR position(lowerUTF8(reason), %(q)s) > 0
       OR position(lowerUTF8(summary), %(q)s) > 0)
ORDER BY rank, last_seen_us DESC, id
LIMIT %(limit)s
