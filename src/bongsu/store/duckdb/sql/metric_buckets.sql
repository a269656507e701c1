-- One metric per bucket and group, from per-step values. Each series (service, instance,
-- attribute set) counts once per step, by its latest point; {agg} combines a group's
-- series into the step's value; a bucket row is the min / mean / max of its steps.
-- Only the first $groups groups (in group order, NULL last) are summarised.
WITH p AS (
    SELECT ts_us // $step * $step AS ts, ts_us, service, instance, attributes,
           {group} AS grp,
           coalesce(value, sum / nullif(count, 0)) AS v
    FROM metric_points
    WHERE tenant = $tenant AND name = $name AND ts_us >= $start AND ts_us < $end
      AND ($service IS NULL OR service = $service)
      AND ($instance IS NULL OR instance = $instance){filters}
),
s AS (
    SELECT ts, grp, arg_max(v, ts_us) AS v, max(ts_us) AS ts_us
    FROM p
    GROUP BY ts, grp, service, instance, attributes
),
g AS (
    SELECT ts, grp, {agg} AS v
    FROM s
    GROUP BY ts, grp
),
k AS (
    SELECT grp FROM (SELECT DISTINCT grp FROM g) ORDER BY grp NULLS LAST LIMIT $groups
)
SELECT g.ts // $bucket * $bucket AS b, g.grp, min(g.v), avg(g.v), max(g.v), count(g.v)
FROM g SEMI JOIN k ON g.grp IS NOT DISTINCT FROM k.grp
WHERE g.v IS NOT NULL
GROUP BY b, g.grp
ORDER BY g.grp NULLS LAST, b
