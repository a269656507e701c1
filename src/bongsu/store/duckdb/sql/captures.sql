-- Captures matching the optional filters (NULL: any), newest first, without payloads.
SELECT id, ts_us, service, instance, kind, format, summary, NULL
FROM captures
WHERE tenant = $tenant AND ($service IS NULL OR service = $service)
  AND ($instance IS NULL OR instance = $instance) AND ($kind IS NULL OR kind = $kind)
  AND ($start IS NULL OR ts_us >= $start) AND ($end IS NULL OR ts_us < $end)
ORDER BY ts_us DESC, id
LIMIT $limit
