-- Distinct-user sketches (bongsu.users.sketch: exact hashes while small, HyperLogLog
-- beyond) per tenant, service and minute / UTC day. Loads append partial rows; compaction
-- merges a key's rows into one; reads merge what is left (a union, so any split is fine).
-- users_1m is telemetry (BONGSU_RETENTION_DAYS); users_1d has its own, longer retention
-- (BONGSU_USER_RETENTION_DAYS), so monthly figures outlive the raw spans.
CREATE TABLE users_1m (
    tenant   VARCHAR NOT NULL,
    ts_us    BIGINT  NOT NULL,   -- the minute's start
    service  VARCHAR NOT NULL,
    sketch   BLOB    NOT NULL
);
CREATE TABLE users_1d (
    tenant   VARCHAR NOT NULL,
    ts_us    BIGINT  NOT NULL,   -- the UTC day's start
    service  VARCHAR NOT NULL,
    sketch   BLOB    NOT NULL
);
