-- One service's transactions per step and per heatmap row ({group} duration buckets a row).
SELECT intDiv(ts_us, %(step)s) * %(step)s AS ts, intDiv(bucket, {group}) AS cell_row,
       sum(count), sum(errors)
FROM {rollup}
WHERE tenant = %(tenant)s AND service = %(service)s AND ts_us >= %(start)s AND ts_us < %(end)s
  AND (%(instance)s IS NULL OR instance = %(instance)s)
GROUP BY ts, cell_row
ORDER BY ts, cell_row
