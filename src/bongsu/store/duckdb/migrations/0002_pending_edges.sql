-- Edge matching moves into the store: client spans wait here for their server span (and
-- server spans for their client span) in the same transaction as the load, so matching is
-- exact across decoder processes and survives restarts.
CREATE TABLE pending_clients (
    tenant       VARCHAR NOT NULL,
    trace_lo     UBIGINT NOT NULL,
    span_id      UBIGINT NOT NULL,
    ts_us        BIGINT  NOT NULL,
    service      VARCHAR NOT NULL,
    instance     VARCHAR NOT NULL,
    duration_us  BIGINT  NOT NULL,
    is_error     BOOLEAN NOT NULL,
    peer         VARCHAR,
    arrived_us   BIGINT  NOT NULL
);
CREATE TABLE pending_servers (
    tenant       VARCHAR NOT NULL,
    trace_lo     UBIGINT NOT NULL,
    parent_id    UBIGINT NOT NULL,
    service      VARCHAR NOT NULL,
    instance     VARCHAR NOT NULL,
    is_error     BOOLEAN NOT NULL,
    arrived_us   BIGINT  NOT NULL
);
