-- Endpoints (per-hour web rollup) and databases (per-hour statement rollup) seen since
-- $since whose name contains $q (lower case), ranked as search_names.sql.
WITH c AS (
    SELECT DISTINCT 'endpoint' AS kind, endpoint AS label, service
    FROM web_1h WHERE tenant = $tenant AND ts_us >= $since
    UNION ALL
    SELECT DISTINCT 'database', db, NULL
    FROM db_statements_1h WHERE tenant = $tenant AND ts_us >= $since
),
m AS (
    SELECT kind, label, service,
           CASE WHEN lower(label) = $q THEN 0 WHEN starts_with(lower(label), $q) THEN 1
                ELSE 2 END AS rank
    FROM c
    WHERE contains(lower(label), $q)
)
SELECT kind, label, service, rank
FROM m
QUALIFY row_number() OVER (PARTITION BY kind ORDER BY rank, length(label), label)
        <= $limit
ORDER BY rank, length(label), kind, label
