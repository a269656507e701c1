-- A fingerprint's text, when the rollup holds rows of it for the database
-- (db_statement_text is a ReplacingMergeTree: any(text) of the key).
SELECT any(text)
FROM db_statement_text
WHERE tenant = %(tenant)s AND fingerprint = %(fingerprint)s
  AND EXISTS (SELECT 1 FROM db_statements_1h
              WHERE tenant = %(tenant)s AND db = %(db)s AND fingerprint = %(fingerprint)s)
GROUP BY fingerprint
