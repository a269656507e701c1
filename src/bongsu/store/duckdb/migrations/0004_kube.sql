-- Kubernetes episodes (bongsu.kube.model.Episode): one row per (tenant, id), kept unique by
-- the single writer with an UPDATE then an anti-joined INSERT, without a key for the same
-- reason as instances (0003: a read of an indexed table waits out every checkpoint).
-- Not telemetry: BONGSU_EVENT_RETENTION_DAYS removes them by last_seen_us, not by ts_us.
CREATE TABLE kube_events (
    tenant         VARCHAR NOT NULL,
    id             VARCHAR NOT NULL,   -- episode_id(): 16 hex digits
    cluster        VARCHAR NOT NULL,
    namespace      VARCHAR NOT NULL,   -- '' for cluster-scoped objects (nodes)
    object_kind    VARCHAR NOT NULL,
    object_name    VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,   -- bongsu.kube.model.KINDS
    reason         VARCHAR NOT NULL,
    severity       VARCHAR NOT NULL,   -- critical | warning | info
    summary        VARCHAR NOT NULL,
    message        VARCHAR NOT NULL,   -- the latest message
    count          BIGINT  NOT NULL,
    first_seen_us  BIGINT  NOT NULL,
    last_seen_us   BIGINT  NOT NULL,
    component      VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,   -- event | state
    service        VARCHAR,
    pod            VARCHAR,
    container      VARCHAR,
    node           VARCHAR,
    raw            VARCHAR NOT NULL    -- JSON of the latest object behind the episode
);

-- Each episode's count over time: a row when it is first stored and whenever its count rises.
CREATE TABLE kube_event_counts (
    tenant  VARCHAR NOT NULL,
    id      VARCHAR NOT NULL,
    ts_us   BIGINT  NOT NULL,  -- the episode's last_seen_us at that count
    count   BIGINT  NOT NULL
);
