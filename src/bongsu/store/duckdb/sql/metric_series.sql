-- One metric aggregated per step. A point's value is its gauge / sum value, or sum / count
-- for histograms; avg over histograms is the total sum over the total count.
WITH p AS (
    SELECT ts_us // $step * $step AS ts, ts_us, value, sum, count,
           coalesce(value, sum / nullif(count, 0)) AS v
    FROM metric_points
    WHERE tenant = $tenant AND name = $name AND ts_us >= $start AND ts_us < $end
      AND ($service IS NULL OR service = $service)
      AND ($instance IS NULL OR instance = $instance)
)
SELECT ts, {agg}
FROM p
GROUP BY ts
ORDER BY ts
