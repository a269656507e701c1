-- User sketch rows of one table (users_1m / users_1d) starting in [start, end), one
-- service's or all; with %(every)s, only those starting less than %(within)s before a point
-- end, end - every, end - 2 every … (the sliding windows of an active-users series).
-- Sketches are read as hex: a String column's bytes come back as text otherwise.
SELECT service, ts_us, hex(sketch)
FROM {table}
WHERE tenant = %(tenant)s AND ts_us >= %(start)s AND ts_us < %(end)s
  AND (%(service)s IS NULL OR service = %(service)s)
  AND (%(every)s IS NULL OR modulo(%(end)s - ts_us - 1, %(every)s) < %(within)s)
ORDER BY service, ts_us, sketch
