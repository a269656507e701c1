"""The embedded DuckDB backend."""

from bongsu.store.duckdb.store import DuckDBStore

__all__ = ["DuckDBStore"]
