"""SLA targets: a target percent and period per check, service or traffic SLO, per tenant
(``bongsu.sla.targets``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "sla_targets",
        sa.Column("tenant", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("subject", sa.String(256), primary_key=True),
        sa.Column("target_percent", sa.Float, nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("service", sa.String(256), nullable=True),
        sa.Column("threshold_ms", sa.Float, nullable=True),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sla_targets")
