-- Traces with at least one span matching every filter, newest first, summarised from all
-- their spans. The root is the span without a parent (else the earliest span; ties: the
-- smallest span id).
WITH hits AS (
    SELECT trace_hi, trace_lo, max(ts_us) AS last_us
    FROM spans
    WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s {filters}
    GROUP BY trace_hi, trace_lo
    ORDER BY last_us DESC, trace_hi, trace_lo
    LIMIT %(limit)s
)
SELECT trace_hi, trace_lo,
       argMin(service, (parent_id != 0, ts_us, span_id)),
       argMin(name, (parent_id != 0, ts_us, span_id)),
       min(ts_us) AS first_us, max(ts_us + duration_us), count(), max(is_error)
FROM spans
WHERE tenant = %(tenant)s AND (trace_hi, trace_lo) IN (SELECT trace_hi, trace_lo FROM hits)
GROUP BY trace_hi, trace_lo
ORDER BY first_us DESC, trace_hi, trace_lo
