-- Instance-level caller -> callee edges over a window, from the ingest-time edge table.
SELECT source_instance, source, target_instance, target, target_kind,
       sum(calls), sum(errors), sum(sum_us)
FROM edges_1m
WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
GROUP BY source_instance, source, target_instance, target, target_kind
ORDER BY source_instance, target_instance, source, target, target_kind
