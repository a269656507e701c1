"""The SLA targets' table in the metadata database (migration ``0009_sla_targets``).

One row per (tenant, kind, subject): ``kind`` is ``check`` (subject: a check id; ``service``
the service the check belongs to, or null), ``service`` (subject: a service name; its
synthetic SLA combines the checks whose target names it) or ``traffic`` (subject: a
service name; ``threshold_ms`` the latency a good request stays under).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, String, Table

from bongsu.meta.tables import metadata

sla_targets = Table(
    "sla_targets",
    metadata,
    Column("tenant", String(128), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("subject", String(256), primary_key=True),
    Column("target_percent", Float, nullable=False),
    Column("period", String(8), nullable=False),
    Column("service", String(256), nullable=True),
    Column("threshold_ms", Float, nullable=True),
    Column("updated_us", BigInteger, nullable=False),
)
