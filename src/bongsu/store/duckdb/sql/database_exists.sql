-- Whether the database was ever called (the per-hour statement rollup keeps the longest).
SELECT 1 FROM db_statements_1h WHERE tenant = $tenant AND db = $db LIMIT 1
