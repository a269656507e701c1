"""The alert engine's tables (SQLAlchemy Core) in the metadata database.

Migration ``0002_alert_rules`` creates them. Times are epoch microseconds (BigInteger),
durations seconds; label sets and specs are JSON. Everything is portable SQL: SQLite by
default, PostgreSQL later.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bongsu.meta.tables import metadata

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("tenant", String(128), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("for_s", Float, nullable=False),
    Column("keep_firing_for_s", Float, nullable=False),
    Column("no_data", String(16), nullable=False),
    Column("interval_s", Float, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("annotations", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("builtin", Boolean, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("captures", JSON, nullable=True),  # migration 0006; null: none
    # Rules files apply by name: one rule of a name per tenant.
    UniqueConstraint("tenant", "name", name="uq_alert_rules_tenant_name"),
)

alert_defaults_seeded = Table(
    "alert_defaults_seeded",
    metadata,
    # One row per tenant and shipped default once it was created: a default the user
    # deleted is never created again, and a default added in a later release still is.
    Column("tenant", String(128), primary_key=True),
    Column("default_id", String(64), primary_key=True),
    Column("seeded_us", BigInteger, nullable=False),
)

alert_instances = Table(
    "alert_instances",
    metadata,
    Column("tenant", String(128), primary_key=True),
    Column("id", String(16), primary_key=True),  # fingerprint(rule_id, labels)
    Column("rule_id", String(64), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("active_since_us", BigInteger, nullable=True),
    Column("fired_at_us", BigInteger, nullable=True),
    Column("resolved_at_us", BigInteger, nullable=True),
    Column("last_eval_us", BigInteger, nullable=False),
    Column("last_active_us", BigInteger, nullable=True),
    Column("value", Float, nullable=True),
    Column("summary", Text, nullable=False),
    Column("link", Text, nullable=True),
    Column("severity", String(16), nullable=False),
    Index("ix_alert_instances_rule", "tenant", "rule_id"),
)

alert_history = Table(
    "alert_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(128), nullable=False),
    Column("instance_id", String(16), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("old", String(16), nullable=False),
    Column("new", String(16), nullable=False),
    Column("at_us", BigInteger, nullable=False),
    Column("instance", JSON, nullable=False),  # the AlertInstance as it was after the change
    Column("notified", Boolean, nullable=False),
    Index("ix_alert_history_tenant_at", "tenant", "at_us"),
    Index("ix_alert_history_notified", "notified", "id"),
)
