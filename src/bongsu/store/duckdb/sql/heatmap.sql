-- One service's transactions per step and per heatmap row ({group} duration buckets a row).
SELECT ts_us // $step * $step AS ts, bucket // {group} AS row, sum(count), sum(errors)
FROM {rollup}
WHERE tenant = $tenant AND service = $service AND ts_us >= $start AND ts_us < $end
  AND ($instance IS NULL OR instance = $instance)
GROUP BY ts, row
ORDER BY ts, row
