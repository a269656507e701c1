"""Notification tables (SQLAlchemy Core, on the shared metadata); migration ``0003``.

Label sets, matchers and alert lists are JSON in text columns: they are read whole and
never queried into, and text keeps the SQL the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

from bongsu.meta.tables import metadata

alert_channels = Table(
    "alert_channels",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("name", String(256), nullable=False),
    Column("type", String(64), nullable=False),
    Column("config", Text, nullable=False),  # JSON
    Column("enabled", Boolean, nullable=False),
)

alert_routes = Table(
    "alert_routes",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("position", Integer, nullable=False),
    Column("matchers", Text, nullable=False),  # JSON [[name, op, value], ...]
    Column("channel_ids", Text, nullable=False),  # JSON
    Column("group_by", Text, nullable=False),  # JSON
    Column("group_wait_s", Float, nullable=False),
    Column("group_interval_s", Float, nullable=False),
    Column("repeat_interval_s", Float, nullable=False),
)

alert_silences = Table(
    "alert_silences",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant", String(128), nullable=False),
    Column("matchers", Text, nullable=False),  # JSON
    Column("starts_us", BigInteger, nullable=False),
    Column("ends_us", BigInteger, nullable=False),
    Column("author", String(256), nullable=False),
    Column("comment", Text, nullable=False),
    Column("recurrence", String(128), nullable=True),
)

alert_groups = Table(
    "alert_groups",
    metadata,
    Column("id", String(64), primary_key=True),  # route id + hash of the group's labels
    Column("tenant", String(128), nullable=False),
    Column("route_id", String(64), nullable=False),
    Column("labels", Text, nullable=False),  # JSON
    Column("created_us", BigInteger, nullable=False),
    Column("last_flush_us", BigInteger, nullable=True),
    Column("next_flush_us", BigInteger, nullable=True),  # NULL: nothing to do
    Column("alerts", Text, nullable=False),  # JSON: fingerprint -> the alert's group state
    Index("ix_alert_groups_next_flush", "next_flush_us"),
)

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("key", String(64), primary_key=True),  # the idempotency key
    Column("tenant", String(128), nullable=False),
    Column("channel_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # firing / resolved
    Column("group_labels", Text, nullable=False),  # JSON
    Column("alerts", Text, nullable=False),  # JSON
    Column("created_us", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=False),
    Column("delivered_us", BigInteger, nullable=True),
    Column("failed_us", BigInteger, nullable=True),  # given up: a permanent failure
    Column("last_error", Text, nullable=True),
    Index("ix_alert_outbox_due", "delivered_us", "failed_us", "next_attempt_us"),
)
