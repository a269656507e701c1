"""The ClickHouse telemetry backend: schema, client, store and a local test endpoint."""
