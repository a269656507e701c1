-- The database and web views' rollups, written by each load in its transaction (so a
-- replayed ingest-log position, refused by the position check, counts nothing twice).
-- Same partial-row scheme as rollup_1m: loads append, compaction merges, readers SUM;
-- bucket b holds durations in [2^(b/8), 2^((b+1)/8)) microseconds.

-- Database client spans (CLIENT / PRODUCER with db.system) per minute, database, statement
-- fingerprint (bongsu.store.statements) and calling service.
CREATE TABLE db_statements_1m (
    tenant       VARCHAR  NOT NULL,
    ts_us        BIGINT   NOT NULL,
    db           VARCHAR  NOT NULL,  -- system:name@address (the topology's database instance)
    db_system    VARCHAR  NOT NULL,
    db_name      VARCHAR,
    address      VARCHAR,            -- server.address
    fingerprint  VARCHAR  NOT NULL,
    service      VARCHAR  NOT NULL,  -- the caller
    bucket       SMALLINT NOT NULL,
    count        BIGINT   NOT NULL,
    errors       BIGINT   NOT NULL,
    sum_us       BIGINT   NOT NULL,
    max_us       BIGINT   NOT NULL,
    slow_trace   VARCHAR  NOT NULL   -- 32 hex digits: the trace of the row's slowest span
);

-- Normalised statement text per fingerprint, one row per (tenant, fingerprint), kept by
-- the single writer without a key like instances; retention drops texts no rollup row
-- names any more.
CREATE TABLE db_statement_text (
    tenant       VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,
    text         VARCHAR NOT NULL
);

-- HTTP server spans per minute, service, endpoint (method + http.route, else the span
-- name) and response status code (NULL when the span had none).
CREATE TABLE web_1m (
    tenant    VARCHAR  NOT NULL,
    ts_us     BIGINT   NOT NULL,
    service   VARCHAR  NOT NULL,
    endpoint  VARCHAR  NOT NULL,
    status    USMALLINT,
    bucket    SMALLINT NOT NULL,
    count     BIGINT   NOT NULL,
    errors    BIGINT   NOT NULL,
    sum_us    BIGINT   NOT NULL
);
