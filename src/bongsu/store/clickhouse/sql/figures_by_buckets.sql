-- Transaction figures per group (the key: service, or service, instance) over one window
-- of one rollup table, with the percentile buckets (nearest rank, as in services.sql):
-- what a threshold rule on p95_ms or p99_ms reads. Users and seen as in figures_by.sql.
WITH b AS (
    SELECT {key}, bucket, sum(count) AS bn, sum(errors) AS be, sum(sum_us) AS bs,
           sum(satisfied) AS bsat, sum(tolerating) AS btol
    FROM {rollup}
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
    GROUP BY {key}, bucket
),
c AS (
    SELECT *, sum(bn) OVER (PARTITION BY {key} ORDER BY bucket) AS cum,
              sum(bn) OVER (PARTITION BY {key}) AS total
    FROM b
),
f AS (
    SELECT {key}, sum(bn) AS n, sum(be) AS e, sum(bs) AS s, sum(bsat) AS sat,
           sum(btol) AS tol,
           minIfOrNull(bucket, cum * 100 >= 50 * total) AS p50,
           minIfOrNull(bucket, cum * 100 >= 95 * total) AS p95,
           minIfOrNull(bucket, cum * 100 >= 99 * total) AS p99
    FROM c
    GROUP BY {key}
){users}
SELECT f.service, {instance}, f.n, f.e, f.s, f.sat, f.tol, f.p50, f.p95, f.p99, {users_column}
FROM f{users_join}
WHERE true{seen}
ORDER BY {key}
