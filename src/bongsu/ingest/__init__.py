"""OTLP ingest: receive, log durably, decode, hand batches to the store."""
