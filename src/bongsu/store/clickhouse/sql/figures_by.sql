-- Transaction figures per group (the key: service, or service, instance) over one window
-- of one rollup table, without percentiles: what a threshold rule on one of tps,
-- error_rate, avg_ms, apdex or active_users reads. The users fragment adds the distinct
-- users over raw spans (only for active_users); the seen one keeps the instances the
-- instances table saw.
WITH f AS (
    SELECT {key}, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s,
           sum(satisfied) AS sat, sum(tolerating) AS tol,
           NULL AS p50, NULL AS p95, NULL AS p99
    FROM {rollup}
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
    GROUP BY {key}
){users}
SELECT f.service, {instance}, f.n, f.e, f.s, f.sat, f.tol, f.p50, f.p95, f.p99, {users_column}
FROM f{users_join}
WHERE true{seen}
ORDER BY {key}
