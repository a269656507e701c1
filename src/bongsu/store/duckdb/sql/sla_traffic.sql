-- One service's transactions per minute and the good ones: not errors, and in a duration
-- bucket wholly below $below (bongsu.store.sla). Partial rollup rows are summed.
SELECT ts_us,
       sum(count) AS requests,
       sum(CASE WHEN bucket < $below THEN count - errors ELSE 0 END) AS good
FROM rollup_1m
WHERE tenant = $tenant AND service = $service AND ts_us >= $start AND ts_us < $end
GROUP BY ts_us
ORDER BY ts_us
