-- One service's transactions per minute and the good ones: not errors, and in a duration
-- bucket wholly below %(below)s (bongsu.store.sla). Partial rollup rows are summed.
SELECT ts_us, sum(count) AS requests, sumIf(count - errors, bucket < %(below)s) AS good
FROM rollup_1m
WHERE tenant = %(tenant)s AND service = %(service)s AND ts_us >= %(start)s AND ts_us < %(end)s
GROUP BY ts_us
ORDER BY ts_us
