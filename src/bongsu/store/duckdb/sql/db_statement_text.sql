-- A fingerprint's text, when the rollup holds rows of it for the database.
SELECT t.text
FROM db_statement_text t
WHERE t.tenant = $tenant AND t.fingerprint = $fingerprint
  AND EXISTS (SELECT 1 FROM db_statements_1h r
              WHERE r.tenant = $tenant AND r.db = $db AND r.fingerprint = $fingerprint)
