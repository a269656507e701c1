"""Notifications: channels, routes, silences, groups and the outbox."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "alert_routes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("matchers", sa.Text, nullable=False),
        sa.Column("channel_ids", sa.Text, nullable=False),
        sa.Column("group_by", sa.Text, nullable=False),
        sa.Column("group_wait_s", sa.Float, nullable=False),
        sa.Column("group_interval_s", sa.Float, nullable=False),
        sa.Column("repeat_interval_s", sa.Float, nullable=False),
    )
    op.create_table(
        "alert_silences",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("matchers", sa.Text, nullable=False),
        sa.Column("starts_us", sa.BigInteger, nullable=False),
        sa.Column("ends_us", sa.BigInteger, nullable=False),
        sa.Column("author", sa.String(256), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("recurrence", sa.String(128), nullable=True),
    )
    op.create_table(
        "alert_groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("route_id", sa.String(64), nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("last_flush_us", sa.BigInteger, nullable=True),
        sa.Column("next_flush_us", sa.BigInteger, nullable=True),
        sa.Column("alerts", sa.Text, nullable=False),
    )
    op.create_index("ix_alert_groups_next_flush", "alert_groups", ["next_flush_us"])
    op.create_table(
        "alert_outbox",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("group_labels", sa.Text, nullable=False),
        sa.Column("alerts", sa.Text, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger, nullable=False),
        sa.Column("delivered_us", sa.BigInteger, nullable=True),
        sa.Column("failed_us", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_alert_outbox_due", "alert_outbox", ["delivered_us", "failed_us", "next_attempt_us"]
    )


def downgrade() -> None:
    op.drop_index("ix_alert_outbox_due", table_name="alert_outbox")
    op.drop_table("alert_outbox")
    op.drop_index("ix_alert_groups_next_flush", table_name="alert_groups")
    op.drop_table("alert_groups")
    op.drop_table("alert_silences")
    op.drop_table("alert_routes")
    op.drop_table("alert_channels")
