-- HTTP server spans per step and response status code.
SELECT intDiv(ts_us, %(step)s) * %(step)s AS ts, status, sum(count)
FROM {table}
WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
  AND (%(service)s IS NULL OR service = %(service)s)
GROUP BY ts, status
ORDER BY ts, status NULLS LAST
