-- HTTP server spans per step and response status code.
SELECT ts_us // $step * $step AS ts, status, sum(count)
FROM {table}
WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
  AND ($service IS NULL OR service = $service)
GROUP BY ts, status
ORDER BY ts, status NULLS LAST
