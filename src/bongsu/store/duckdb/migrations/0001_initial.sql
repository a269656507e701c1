-- Telemetry schema, version 1. Timestamps are epoch microseconds (BIGINT); ids are unsigned
-- 64-bit halves (26 B per span for three ids against 30 B as BLOBs, measured on 1M rows).

CREATE TABLE spans (
    tenant          VARCHAR  NOT NULL,
    ts_us           BIGINT   NOT NULL,  -- span start
    trace_hi        UBIGINT  NOT NULL,
    trace_lo        UBIGINT  NOT NULL,
    span_id         UBIGINT  NOT NULL,
    parent_id       UBIGINT  NOT NULL,  -- 0 for a root span
    service         VARCHAR  NOT NULL,
    instance        VARCHAR  NOT NULL,
    cluster         VARCHAR,
    namespace       VARCHAR,
    name            VARCHAR  NOT NULL,
    kind            UTINYINT NOT NULL,  -- OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer
    duration_us     BIGINT   NOT NULL,
    status          UTINYINT NOT NULL,  -- OTLP StatusCode: 0 unset, 1 ok, 2 error
    is_error        BOOLEAN  NOT NULL,  -- status ERROR or HTTP status >= 500
    http_method     VARCHAR,
    http_route      VARCHAR,
    http_status     USMALLINT,
    db_system       VARCHAR,
    db_name         VARCHAR,
    db_statement    VARCHAR,
    peer            VARCHAR,            -- server.address of a client span
    user_id         VARCHAR,            -- enduser.id
    status_message  VARCHAR,
    attributes      VARCHAR,            -- JSON object of the attributes not held in columns
    events          VARCHAR             -- JSON list of span events, NULL when none
);

-- Transactions (SERVER and CONSUMER spans) rolled up per 10 s and per minute, one row per
-- duration bucket (bucket b holds durations in [2^(b/8), 2^((b+1)/8)) microseconds).
-- Loads append partial rows; compaction merges them. Readers always SUM.
CREATE TABLE rollup_10s (
    tenant      VARCHAR  NOT NULL,
    ts_us       BIGINT   NOT NULL,
    service     VARCHAR  NOT NULL,
    instance    VARCHAR  NOT NULL,
    name        VARCHAR  NOT NULL,
    bucket      SMALLINT NOT NULL,
    count       BIGINT   NOT NULL,
    errors      BIGINT   NOT NULL,
    sum_us      BIGINT   NOT NULL,
    satisfied   BIGINT   NOT NULL,
    tolerating  BIGINT   NOT NULL
);
CREATE TABLE rollup_1m AS SELECT * FROM rollup_10s WHERE false;

-- Caller -> callee edges, found at ingest (client span matched with its server span, or a
-- database / external host when there is none). Same partial-row scheme as the rollups.
CREATE TABLE edges_1m (
    tenant           VARCHAR NOT NULL,
    ts_us            BIGINT  NOT NULL,
    source           VARCHAR NOT NULL,
    source_instance  VARCHAR NOT NULL,
    target           VARCHAR NOT NULL,
    target_instance  VARCHAR NOT NULL,
    target_kind      VARCHAR NOT NULL,  -- service | database | external
    calls            BIGINT  NOT NULL,
    errors           BIGINT  NOT NULL,
    sum_us           BIGINT  NOT NULL
);

CREATE TABLE instances (
    tenant        VARCHAR NOT NULL,
    service       VARCHAR NOT NULL,
    instance      VARCHAR NOT NULL,
    cluster       VARCHAR,
    namespace     VARCHAR,
    host          VARCHAR,
    first_seen_us BIGINT  NOT NULL,
    last_seen_us  BIGINT  NOT NULL,
    resource      VARCHAR,             -- JSON of the latest resource attributes
    PRIMARY KEY (tenant, service, instance)
);

CREATE TABLE metric_points (
    tenant         VARCHAR NOT NULL,
    ts_us          BIGINT  NOT NULL,
    service        VARCHAR NOT NULL,
    instance       VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,   -- gauge | sum | histogram | exp_histogram
    unit           VARCHAR,
    value          DOUBLE,             -- gauge and sum; NULL for histograms
    count          UBIGINT,
    sum            DOUBLE,
    min            DOUBLE,
    max            DOUBLE,
    bounds         DOUBLE[],           -- explicit histogram bucket bounds
    bucket_counts  UBIGINT[],
    attributes     VARCHAR             -- JSON object of the point's attributes
);

CREATE TABLE logs (
    tenant           VARCHAR  NOT NULL,
    ts_us            BIGINT   NOT NULL,
    trace_hi         UBIGINT  NOT NULL, -- 0 when the record has no trace
    trace_lo         UBIGINT  NOT NULL,
    span_id          UBIGINT  NOT NULL,
    severity_number  UTINYINT NOT NULL,
    severity_text    VARCHAR,
    body             VARCHAR,
    service          VARCHAR  NOT NULL,
    instance         VARCHAR  NOT NULL,
    attributes       VARCHAR
);

-- Diagnostic captures answered by agents (thread dumps and later analyzers).
CREATE TABLE captures (
    tenant    VARCHAR NOT NULL,
    ts_us     BIGINT  NOT NULL,
    id        VARCHAR NOT NULL,
    service   VARCHAR NOT NULL,
    instance  VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL,
    format    VARCHAR NOT NULL,
    payload   VARCHAR NOT NULL,
    summary   VARCHAR
);

-- The ingest log position loaded so far; moves in the same transaction as the rows.
CREATE TABLE ingest_position (id INTEGER PRIMARY KEY, lsn BIGINT NOT NULL);
INSERT INTO ingest_position VALUES (1, 0);
