-- One capture with its payload and analysis (captures are written once per id: any row).
SELECT id, ts_us, service, instance, kind, format, summary, payload, analysis,
       analysis_version
FROM captures
WHERE tenant = %(tenant)s AND id = %(id)s
LIMIT 1
