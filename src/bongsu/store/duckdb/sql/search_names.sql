-- Names matching $q (lower case) among services, instances, pods and hosts the instances
-- table holds (seen since $since), ranked: exact 0, prefix 1, substring 2; the first
-- $limit per kind, most recently seen first within a rank. An origin that named no
-- service (the Collector's host metrics) is only its host.
WITH i AS (
    SELECT service, instance, last_seen_us,
           json_extract_string(resource, '$."service.name"') IS NOT NULL AS named,
           json_extract_string(resource, '$."k8s.pod.name"') AS pod,
           CASE WHEN json_extract_string(resource, '$."k8s.pod.name"') IS NOT NULL
                THEN json_extract_string(resource, '$."k8s.node.name"')
                ELSE host END AS host
    FROM instances
    WHERE tenant = $tenant AND last_seen_us >= $since
),
c AS (
    SELECT 'service' AS kind, service AS label, service, NULL AS instance,
           max(last_seen_us) AS seen
    FROM i WHERE named GROUP BY service
    UNION ALL
    SELECT 'instance', instance, service, instance, last_seen_us FROM i WHERE named
    UNION ALL
    SELECT 'pod', pod, service, instance, last_seen_us FROM i WHERE pod IS NOT NULL
    UNION ALL
    SELECT 'host', host, NULL, NULL, max(last_seen_us) FROM i WHERE host IS NOT NULL
    GROUP BY host
),
m AS (
    SELECT kind, label, service, instance, seen,
           CASE WHEN lower(label) = $q THEN 0 WHEN starts_with(lower(label), $q) THEN 1
                ELSE 2 END AS rank
    FROM c
    WHERE contains(lower(label), $q)
)
SELECT kind, label, service, instance, rank
FROM m
QUALIFY row_number() OVER (PARTITION BY kind ORDER BY rank, length(label), seen DESC,
                                                      label) <= $limit
ORDER BY rank, length(label), kind, label
