-- Endpoints (per-hour web rollup) and databases (per-hour statement rollup) seen since
-- %(since)s whose name contains %(q)s (lower case), ranked as search_names.sql.
WITH c AS (
    SELECT DISTINCT 'endpoint' AS kind, endpoint AS label, toNullable(service) AS service_
    FROM web_1h WHERE tenant = %(tenant)s AND ts_us >= %(since)s
    UNION ALL
    SELECT DISTINCT 'database', db, CAST(NULL AS Nullable(String))
    FROM db_statements_1h WHERE tenant = %(tenant)s AND ts_us >= %(since)s
),
m AS (
    SELECT kind, label, service_, CASE WHEN lowerUTF8(label) = %(q)s THEN 0
                WHEN startsWith(lowerUTF8(label), %(q)s) THEN 1 ELSE 2 END AS rank
    FROM c
    WHERE position(lowerUTF8(label), %(q)s) > 0
)
SELECT kind, label, service_, rank
FROM m
QUALIFY row_number() OVER (PARTITION BY kind ORDER BY rank, lengthUTF8(label), label,
                                                      service_) <= %(limit)s
ORDER BY rank, lengthUTF8(label), kind, label, service_
