-- One metric aggregated per step. A point's value is its gauge / sum value, or sum / count
-- for histograms; avg over histograms is the total sum over the total count.
WITH p AS (
    SELECT intDiv(ts_us, %(step)s) * %(step)s AS ts, ts_us, value, sum, count,
           coalesce(value, sum / nullIf(count, 0)) AS v
    FROM metric_points
    WHERE tenant = %(tenant)s AND name = %(name)s AND ts_us >= %(start)s AND ts_us < %(end)s
      AND (%(service)s IS NULL OR service = %(service)s)
      AND (%(instance)s IS NULL OR instance = %(instance)s)
)
SELECT ts, {agg}
FROM p
GROUP BY ts
ORDER BY ts
