-- One capture with its payload and analysis.
SELECT id, ts_us, service, instance, kind, format, summary, payload, analysis,
       analysis_version
FROM captures
WHERE tenant = $tenant AND id = $id
