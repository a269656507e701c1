-- Service-level caller -> callee edges over a window: the settled edge table and the live
-- matches of the client halves not settled yet (schema.edges_live_sql(), put in below).
SELECT source, source, target, target, target_kind, sum(calls), sum(errors), sum(sum_us)
FROM (
    SELECT source, target, target_kind, calls, errors, sum_us
    FROM edges_1m
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
    UNION ALL
    SELECT source, target, target_kind, calls, errors, sum_us
    FROM ({edges_live})
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
)
GROUP BY source, target, target_kind
ORDER BY source, target, target_kind
