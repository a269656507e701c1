-- One metric per step and value of one point attribute (%(path)s: the attribute's key).
-- Each series (service, instance, attribute set) counts once per step, by its latest
-- point; {agg} (over v, ts_us) then combines the series of a group.
WITH p AS (
    SELECT intDiv(ts_us, %(step)s) * %(step)s AS ts, ts_us, service, instance, attributes,
           JSONExtract(attributes, %(path)s, 'Nullable(String)') AS grp,
           coalesce(value, sum / nullIf(count, 0)) AS v
    FROM metric_points
    WHERE tenant = %(tenant)s AND name = %(name)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND (%(service)s IS NULL OR service = %(service)s){filters}
),
s AS (
    SELECT ts, grp, argMax(v, ts_us) AS series_v, max(ts_us) AS series_us
    FROM p
    GROUP BY ts, grp, service, instance, attributes
)
SELECT ts, grp, {agg}
FROM (SELECT ts, grp, series_v AS v, series_us AS ts_us FROM s)
GROUP BY ts, grp
ORDER BY ts, grp NULLS LAST
