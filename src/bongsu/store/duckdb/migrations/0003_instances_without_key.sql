-- The primary key on instances goes: a read of a table with an index waits for a running
-- checkpoint to end (DuckDB 2.0; a table without one is read meanwhile), and every
-- dashboard request reads instances for its labels. An automatic checkpoint of 256 MB of
-- WAL took 0.5-1.3 s under ingest, and so did the API requests that met it. The loader,
-- the only writer, keeps (tenant, service, instance) unique itself (store.py).
CREATE TABLE instances_new (
    tenant        VARCHAR NOT NULL,
    service       VARCHAR NOT NULL,
    instance      VARCHAR NOT NULL,
    cluster       VARCHAR,
    namespace     VARCHAR,
    host          VARCHAR,
    first_seen_us BIGINT  NOT NULL,
    last_seen_us  BIGINT  NOT NULL,
    resource      VARCHAR              -- JSON of the latest resource attributes
);
INSERT INTO instances_new SELECT * FROM instances;
DROP TABLE instances;
ALTER TABLE instances_new RENAME TO instances;
