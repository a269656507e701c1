-- The transactions (SERVER / CONSUMER spans) of one service inside a heatmap selection.
SELECT trace_hi, trace_lo, span_id, ts_us, name, duration_us, status, is_error, instance,
       http_status
FROM spans
WHERE tenant = $tenant AND service = $service AND kind IN (2, 5)
  AND ts_us >= $start AND ts_us < $end
  AND duration_us >= $min_us AND duration_us <= $max_us
  AND (NOT $errors_only OR is_error)
  AND ($instance IS NULL OR instance = $instance)
ORDER BY ts_us DESC, span_id
LIMIT $limit
