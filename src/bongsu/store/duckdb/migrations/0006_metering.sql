-- Container metering (bongsu.metering): one row per container and hour, one per node and
-- hour, derived from the k8s.container.* points. Not telemetry: an hour is replaced whole
-- when it is recomputed (save_metering_hour), and delete_before leaves the rows alone.
-- Hours are in core-hours and GiB-hours; idle = capacity - allocated is derived on read.
CREATE TABLE metering_containers (
    tenant VARCHAR NOT NULL,
    cluster VARCHAR NOT NULL,
    hour_us BIGINT NOT NULL,
    namespace VARCHAR NOT NULL,
    pod VARCHAR NOT NULL,
    container VARCHAR NOT NULL,
    node VARCHAR NOT NULL,
    workload_kind VARCHAR NOT NULL,
    workload VARCHAR NOT NULL,
    team VARCHAR NOT NULL,
    minutes INTEGER NOT NULL,
    cpu_request DOUBLE NOT NULL,
    cpu_usage DOUBLE NOT NULL,
    cpu_allocated DOUBLE NOT NULL,
    memory_request DOUBLE NOT NULL,
    memory_usage DOUBLE NOT NULL,
    memory_allocated DOUBLE NOT NULL
);
CREATE TABLE metering_nodes (
    tenant VARCHAR NOT NULL,
    cluster VARCHAR NOT NULL,
    hour_us BIGINT NOT NULL,
    node VARCHAR NOT NULL,
    minutes INTEGER NOT NULL,
    cpu_capacity DOUBLE NOT NULL,
    memory_capacity DOUBLE NOT NULL
);
