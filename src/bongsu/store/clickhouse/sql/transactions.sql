-- The transactions (SERVER / CONSUMER spans) of one service inside a heatmap selection.
SELECT trace_hi, trace_lo, span_id, ts_us, name, duration_us, status, is_error, instance,
       http_status
FROM spans
WHERE tenant = %(tenant)s AND service = %(service)s AND kind IN (2, 5)
  AND ts_us >= %(start)s AND ts_us < %(end)s
  AND duration_us >= %(min_us)s AND duration_us <= %(max_us)s
  AND (NOT %(errors_only)s OR is_error)
  AND (%(instance)s IS NULL OR instance = %(instance)s)
ORDER BY ts_us DESC, span_id
LIMIT %(limit)s
