-- Calls per database and calling service in the window.
SELECT db, service, sum(count), sum(errors), sum(sum_us)
FROM {table}
WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
GROUP BY db, service
ORDER BY db, service
