-- Every span of one trace, in start order.
SELECT trace_hi, trace_lo, span_id, parent_id, ts_us, service, instance, cluster, namespace,
       name, kind, duration_us, status, is_error, http_method, http_route, http_status,
       db_system, db_name, db_statement, peer, user_id, status_message, attributes, events
FROM spans
WHERE tenant = %(tenant)s AND trace_hi = %(trace_hi)s AND trace_lo = %(trace_lo)s
ORDER BY ts_us, span_id
