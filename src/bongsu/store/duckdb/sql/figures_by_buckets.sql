-- Transaction figures per group (the key: service, or service, instance) over one window
-- of one rollup table, with the percentile buckets (nearest rank, as in services.sql):
-- what a threshold rule on p95_ms or p99_ms reads. Users and seen as in figures_by.sql.
WITH b AS (
    SELECT {key}, bucket, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s,
           sum(satisfied) AS sat, sum(tolerating) AS tol
    FROM {rollup}
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
    GROUP BY {key}, bucket
),
c AS (
    SELECT *, sum(n) OVER (PARTITION BY {key} ORDER BY bucket) AS cum,
              sum(n) OVER (PARTITION BY {key}) AS total
    FROM b
),
f AS (
    SELECT {key}, sum(n) AS n, sum(e) AS e, sum(s) AS s, sum(sat) AS sat, sum(tol) AS tol,
           min(bucket) FILTER (WHERE cum >= 0.50 * total) AS p50,
           min(bucket) FILTER (WHERE cum >= 0.95 * total) AS p95,
           min(bucket) FILTER (WHERE cum >= 0.99 * total) AS p99
    FROM c
    GROUP BY {key}
){users}
SELECT f.service, {instance}, f.n, f.e, f.s, f.sat, f.tol, f.p50, f.p95, f.p99, {users_column}
FROM f{users_join}
WHERE true{seen}
ORDER BY {key}
