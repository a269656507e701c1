"""Metadata tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table

metadata = MetaData()

ingest_keys = Table(
    "ingest_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("name", String(256), nullable=False, default=""),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_us", BigInteger, nullable=True),  # written at most once a minute
)
