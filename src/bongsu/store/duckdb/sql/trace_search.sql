-- Traces with at least one span matching every filter, newest first, summarised from all
-- their spans. The root is the span without a parent (else the earliest span; ties: the
-- smallest span id).
WITH hits AS (
    SELECT trace_hi, trace_lo, max(ts_us) AS last_us
    FROM spans
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end {filters}
    GROUP BY trace_hi, trace_lo
    ORDER BY last_us DESC, trace_hi, trace_lo
    LIMIT $limit
)
SELECT s.trace_hi, s.trace_lo,
       arg_min(s.service, (s.parent_id <> 0, s.ts_us, s.span_id)),
       arg_min(s.name, (s.parent_id <> 0, s.ts_us, s.span_id)),
       min(s.ts_us), max(s.ts_us + s.duration_us), count(*), bool_or(s.is_error)
FROM spans s
SEMI JOIN hits h ON s.trace_hi = h.trace_hi AND s.trace_lo = h.trace_lo
WHERE s.tenant = $tenant
GROUP BY s.trace_hi, s.trace_lo
ORDER BY min(s.ts_us) DESC, s.trace_hi, s.trace_lo
