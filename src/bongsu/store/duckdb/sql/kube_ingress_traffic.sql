-- Ingress / router figures per route over a window: the mean of the rates and latencies
-- each scrape wrote (the scraper writes one point per route and scrape interval).
WITH p AS (
    SELECT json_extract_string(attributes, '$."k8s.cluster.name"') AS cluster,
           json_extract_string(attributes, '$."k8s.namespace.name"') AS namespace,
           json_extract_string(attributes, '$."ingress.name"') AS ingress,
           json_extract_string(attributes, '$."http.host"') AS host,
           json_extract_string(attributes, '$."url.path"') AS path,
           json_extract_string(attributes, '$."k8s.service.name"') AS k8s_service,
           service, name, value
    FROM metric_points
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
      AND list_contains($names, name)
)
SELECT cluster, namespace, ingress, host, path, k8s_service, service,
       avg(value) FILTER (WHERE name = $requests),
       avg(value) FILTER (WHERE name = $e4xx),
       avg(value) FILTER (WHERE name = $e5xx),
       avg(value) FILTER (WHERE name = $latency_avg),
       avg(value) FILTER (WHERE name = $latency_p95)
FROM p
WHERE ($cluster IS NULL OR cluster = $cluster) AND ($namespace IS NULL OR namespace = $namespace)
GROUP BY ALL
ORDER BY cluster NULLS LAST, namespace NULLS LAST, ingress NULLS LAST, host NULLS LAST,
         path NULLS LAST, service
