-- Ingress / router figures per route over a window: the mean of the rates and latencies
-- each scrape wrote (the scraper writes one point per route and scrape interval).
WITH p AS (
    SELECT JSONExtract(attributes, 'k8s.cluster.name', 'Nullable(String)') AS cluster,
           JSONExtract(attributes, 'k8s.namespace.name', 'Nullable(String)') AS namespace,
           JSONExtract(attributes, 'ingress.name', 'Nullable(String)') AS ingress,
           JSONExtract(attributes, 'http.host', 'Nullable(String)') AS host,
           JSONExtract(attributes, 'url.path', 'Nullable(String)') AS path,
           JSONExtract(attributes, 'k8s.service.name', 'Nullable(String)') AS k8s_service,
           service, name, value
    FROM metric_points
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND has(%(names)s, name)
)
SELECT cluster, namespace, ingress, host, path, k8s_service, service,
       avgOrNullIf(value, name = %(requests)s),
       avgOrNullIf(value, name = %(e4xx)s),
       avgOrNullIf(value, name = %(e5xx)s),
       avgOrNullIf(value, name = %(latency_avg)s),
       avgOrNullIf(value, name = %(latency_p95)s)
FROM p
WHERE (%(cluster)s IS NULL OR cluster = %(cluster)s)
  AND (%(namespace)s IS NULL OR namespace = %(namespace)s)
GROUP BY cluster, namespace, ingress, host, path, k8s_service, service
ORDER BY cluster NULLS LAST, namespace NULLS LAST, ingress NULLS LAST, host NULLS LAST,
         path NULLS LAST, service, k8s_service NULLS LAST
