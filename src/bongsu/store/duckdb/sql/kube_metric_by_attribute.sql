-- One metric per step and value of one point attribute. Each series (service, instance,
-- attribute set) counts once per step, by its latest point, so a gauge scraped four times
-- a minute is not summed four times; {agg} then combines the series of a group.
WITH p AS (
    SELECT ts_us // $step * $step AS ts, ts_us, service, instance, attributes,
           json_extract_string(attributes, $path) AS grp,
           coalesce(value, sum / nullif(count, 0)) AS v
    FROM metric_points
    WHERE tenant = $tenant AND name = $name AND ts_us >= $start AND ts_us < $end
      AND ($service IS NULL OR service = $service){filters}
),
s AS (
    SELECT ts, grp, arg_max(v, ts_us) AS v, max(ts_us) AS ts_us
    FROM p
    GROUP BY ts, grp, service, instance, attributes
)
SELECT ts, grp, {agg}
FROM s
GROUP BY ts, grp
ORDER BY ts, grp NULLS LAST
