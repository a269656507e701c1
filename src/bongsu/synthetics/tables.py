"""The checks' table (SQLAlchemy Core) in the metadata database; migration ``0008_checks``
creates it. Results are telemetry: they go to the telemetry store, not here."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Float, Integer, String, Table

from bongsu.meta.tables import metadata

checks = Table(
    "checks",
    metadata,
    Column("tenant", String(128), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(32), nullable=False),
    Column("target", JSON, nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("combine", String(8), nullable=False),
    Column("interval_s", Float, nullable=False),
    Column("failure_threshold", Integer, nullable=False),
    Column("success_threshold", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)
