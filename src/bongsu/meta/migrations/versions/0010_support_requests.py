"""Quick-service support requests and their screenshots (``bongsu.support``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "support_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("contact", sa.String(256), nullable=False),
        sa.Column("view", sa.JSON, nullable=False),
        sa.Column("system", sa.JSON, nullable=False),
        sa.Column("screenshot_width", sa.Integer, nullable=True),
        sa.Column("screenshot_height", sa.Integer, nullable=True),
        sa.Column("screenshot_bytes", sa.Integer, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("channel", sa.String(256), nullable=True),
        sa.Column("sent_us", sa.BigInteger, nullable=True),
        sa.Column("resolved_us", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_support_requests_tenant", "support_requests", ["tenant"])
    op.create_index("ix_support_requests_next_attempt_us", "support_requests",
                    ["next_attempt_us"])
    op.create_table(
        "support_screenshots",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("png", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("support_screenshots")
    op.drop_index("ix_support_requests_next_attempt_us", "support_requests")
    op.drop_index("ix_support_requests_tenant", "support_requests")
    op.drop_table("support_requests")
