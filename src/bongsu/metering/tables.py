"""The rate card's table in the metadata database (migration ``0007_metering_rates``).

One row per (tenant, cluster); cluster ``""`` is the tenant's default, used for every
cluster without a row of its own. Prices are per core-hour and per GiB-hour.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, String, Table

from bongsu.meta.tables import metadata

metering_rates = Table(
    "metering_rates",
    metadata,
    Column("tenant", String(128), primary_key=True),
    Column("cluster", String(256), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("cpu_core_hour", Float, nullable=False),
    Column("memory_gib_hour", Float, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
)
