"""Leases: which replica sharing the metadata database does a singleton's work (the alert
evaluator and dispatcher hold ``alerts``); see ``bongsu.meta.lease``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(256), nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
        sa.Column("acquired_us", sa.BigInteger, nullable=False),
        sa.Column("renewed_us", sa.BigInteger, nullable=False),
        sa.Column("epoch", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
