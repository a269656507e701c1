"""Metering rate cards: price per core-hour and GiB-hour per (tenant, cluster), cluster ''
the tenant's default (``bongsu.metering.rates``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "metering_rates",
        sa.Column("tenant", sa.String(128), primary_key=True),
        sa.Column("cluster", sa.String(256), primary_key=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cpu_core_hour", sa.Float, nullable=False),
        sa.Column("memory_gib_hour", sa.Float, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("metering_rates")
