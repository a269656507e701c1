"""Alert rules: the captures a firing alert asks the instance's agent for (``captures``,
a JSON list of capture kinds; null for rules made before it, read as none)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("alert_rules") as batch:
        batch.add_column(sa.Column("captures", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_rules") as batch:
        batch.drop_column("captures")
