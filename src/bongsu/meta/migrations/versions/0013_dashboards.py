"""My dashboard: each user's pinned panels per project (``bongsu.dashboards.tables``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_table(
        "dashboard_panels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("x", sa.Integer, nullable=False),
        sa.Column("y", sa.Integer, nullable=False),
        sa.Column("w", sa.Integer, nullable=False),
        sa.Column("h", sa.Integer, nullable=False),
        sa.Column("ord", sa.Integer, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_dashboard_panels_owner", "dashboard_panels", ["owner", "tenant"])


def downgrade() -> None:
    op.drop_table("dashboard_panels")
