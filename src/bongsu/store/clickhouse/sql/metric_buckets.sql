-- One metric per bucket and group, from per-step values. Each series (service, instance,
-- attribute set) counts once per step, by its latest point; {agg} combines a group's
-- series into the step's value; a bucket row is the min / mean / max of its steps.
-- Only the first %(groups)s groups (in group order, NULL last; NULL matches NULL in IN:
-- transform_null_in) are summarised.
WITH p AS (
    SELECT intDiv(ts_us, %(step)s) * %(step)s AS ts, ts_us, service, instance, attributes,
           {group} AS grp,
           coalesce(value, sum / nullIf(count, 0)) AS v
    FROM metric_points
    WHERE tenant = %(tenant)s AND name = %(name)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND (%(service)s IS NULL OR service = %(service)s)
      AND (%(instance)s IS NULL OR instance = %(instance)s){filters}
),
s AS (
    SELECT ts, grp, argMax(v, ts_us) AS series_v, max(ts_us) AS series_us
    FROM p
    GROUP BY ts, grp, service, instance, attributes
),
g AS (
    SELECT ts, grp, {agg} AS gv
    FROM (SELECT ts, grp, series_v AS v, series_us AS ts_us FROM s)
    GROUP BY ts, grp
),
k AS (
    SELECT grp FROM (SELECT DISTINCT grp FROM g) ORDER BY grp NULLS LAST LIMIT %(groups)s
)
SELECT intDiv(ts, %(bucket)s) * %(bucket)s AS b, grp, min(gv), avg(gv), max(gv), count(gv)
FROM g
WHERE grp IN (SELECT grp FROM k) AND gv IS NOT NULL
GROUP BY b, grp
ORDER BY grp NULLS LAST, b
SETTINGS transform_null_in = 1
