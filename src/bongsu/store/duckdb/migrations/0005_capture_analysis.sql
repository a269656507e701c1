-- A capture's analysis (bongsu.diagnostics), computed once when it is stored and kept with
-- it; analysis_version ('format:version') tells a reader whether the analyzer changed since.
-- Captures are not telemetry: BONGSU_CAPTURE_RETENTION_DAYS removes them by ts_us.
ALTER TABLE captures ADD COLUMN analysis VARCHAR;
ALTER TABLE captures ADD COLUMN analysis_version VARCHAR;
