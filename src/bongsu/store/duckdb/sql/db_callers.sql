-- Calls per database and calling service in the window.
SELECT db, service, sum(count), sum(errors), sum(sum_us)
FROM {table}
WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
GROUP BY db, service
ORDER BY db, service
