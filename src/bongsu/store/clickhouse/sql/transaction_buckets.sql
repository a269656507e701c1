-- Transactions per second per bucket and group, from the 1-minute rollup: a step's value is
-- its transactions over the step's seconds (steps without any are absent); a bucket row is
-- the min / mean / max of its steps. Only the first %(groups)s groups (NULL last; NULL
-- matches NULL in IN: transform_null_in).
WITH g AS (
    SELECT intDiv(ts_us, %(step)s) * %(step)s AS ts, {group} AS grp,
           sum(count) / %(seconds)s AS v
    FROM rollup_1m
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND (%(service)s IS NULL OR service = %(service)s)
      AND (%(instance)s IS NULL OR instance = %(instance)s)
    GROUP BY ts, grp
),
k AS (
    SELECT grp FROM (SELECT DISTINCT grp FROM g) ORDER BY grp NULLS LAST LIMIT %(groups)s
)
SELECT intDiv(ts, %(bucket)s) * %(bucket)s AS b, grp, min(v), avg(v), max(v), count(v)
FROM g
WHERE grp IN (SELECT grp FROM k)
GROUP BY b, grp
ORDER BY grp NULLS LAST, b
SETTINGS transform_null_in = 1
