-- Captures matching the optional filters (NULL: any), newest first, without payloads.
SELECT id, ts_us, service, instance, kind, format, summary, NULL
FROM captures
WHERE tenant = %(tenant)s AND (%(service)s IS NULL OR service = %(service)s)
  AND (%(instance)s IS NULL OR instance = %(instance)s) AND (%(kind)s IS NULL OR kind = %(kind)s)
  AND (%(start)s IS NULL OR ts_us >= %(start)s) AND (%(end)s IS NULL OR ts_us < %(end)s)
ORDER BY ts_us DESC, id
LIMIT %(limit)s
