-- Transactions per second per bucket and group, from the 1-minute rollup: a step's value is
-- its transactions over the step's seconds (steps without any are absent); a bucket row is
-- the min / mean / max of its steps. Only the first $groups groups (NULL last).
WITH g AS (
    SELECT ts_us // $step * $step AS ts, {group} AS grp, sum(count) / $seconds AS v
    FROM rollup_1m
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
      AND ($service IS NULL OR service = $service)
      AND ($instance IS NULL OR instance = $instance)
    GROUP BY ts, grp
),
k AS (
    SELECT grp FROM (SELECT DISTINCT grp FROM g) ORDER BY grp NULLS LAST LIMIT $groups
)
SELECT g.ts // $bucket * $bucket AS b, g.grp, min(g.v), avg(g.v), max(g.v), count(g.v)
FROM g SEMI JOIN k ON g.grp IS NOT DISTINCT FROM k.grp
GROUP BY b, g.grp
ORDER BY g.grp NULLS LAST, b
