-- Synthetic check results (bongsu.synthetics.model.CheckResult): one row per probe, plus
-- the explicit 'unknown' rows the runner writes for spans it did not probe in time. Not
-- telemetry: BONGSU_CHECK_RETENTION_DAYS removes them by ts_us, delete_before does not.
CREATE TABLE check_results (
    tenant            VARCHAR NOT NULL,
    check_id          VARCHAR NOT NULL,
    ts_us             BIGINT  NOT NULL,
    status            VARCHAR NOT NULL,   -- up | down | unknown: this probe's verdict
    state             VARCHAR NOT NULL,   -- up | down | unknown: the check's, thresholds applied
    duration_ms       DOUBLE,
    status_code       INTEGER,
    failed_condition  VARCHAR,
    error             VARCHAR,
    tls_days_left     DOUBLE,
    name              VARCHAR NOT NULL,
    target            VARCHAR NOT NULL
);
