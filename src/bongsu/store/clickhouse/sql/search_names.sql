-- Names matching %(q)s (lower case) among services, instances, pods and hosts seen since
-- %(since)s, ranked: exact 0, prefix 1, substring 2; the first %(limit)s per kind.
WITH i AS (
    SELECT service, instance, last_seen_us,
           JSONExtract(resource, 'service.name', 'Nullable(String)') IS NOT NULL AS named,
           JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') AS pod,
           CASE WHEN JSONExtract(resource, 'k8s.pod.name', 'Nullable(String)') IS NOT NULL
                THEN JSONExtract(resource, 'k8s.node.name', 'Nullable(String)') ELSE host END AS host
    FROM (SELECT * FROM instances_latest WHERE tenant = %(tenant)s)
    WHERE last_seen_us >= %(since)s
),
c AS (
    SELECT 'service' AS kind, service AS label, toNullable(service) AS service_,
           CAST(NULL AS Nullable(String)) AS instance_, max(last_seen_us) AS seen
    FROM i WHERE named GROUP BY service
    UNION ALL
    SELECT 'instance', instance, toNullable(service), toNullable(instance), last_seen_us
    FROM i WHERE named
    UNION ALL
    SELECT 'pod', assumeNotNull(pod), toNullable(service), toNullable(instance), last_seen_us
    FROM i WHERE pod IS NOT NULL
    UNION ALL
    SELECT 'host', assumeNotNull(host), NULL, NULL, max(last_seen_us)
    FROM i WHERE host IS NOT NULL GROUP BY host
),
m AS (
    SELECT kind, label, service_, instance_, seen, CASE WHEN lowerUTF8(label) = %(q)s THEN 0
                WHEN startsWith(lowerUTF8(label), %(q)s) THEN 1 ELSE 2 END AS rank
    FROM c
    WHERE position(lowerUTF8(label), %(q)s) > 0
)
SELECT kind, label, service_, instance_, rank
FROM m
QUALIFY row_number() OVER (PARTITION BY kind ORDER BY rank, lengthUTF8(label), seen DESC,
                                                      label, service_, instance_) <= %(limit)s
ORDER BY rank, lengthUTF8(label), kind, label, service_, instance_
