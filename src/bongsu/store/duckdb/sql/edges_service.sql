-- Service-level caller -> callee edges over a window, from the ingest-time edge table.
SELECT source, source AS source_service, target, target AS target_service, target_kind,
       sum(calls), sum(errors), sum(sum_us)
FROM edges_1m
WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
GROUP BY source, target, target_kind
ORDER BY source, target, target_kind
