-- Log records matching every filter, newest first (ties: service, instance, span, body).
SELECT ts_us, trace_hi, trace_lo, span_id, severity_number, severity_text, body, service,
       instance, attributes
FROM logs
WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end {filters}
ORDER BY ts_us DESC, service, instance, span_id, body
LIMIT $limit
