"""Alert rules, the record of seeded defaults, alert instances and their history."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("tenant", sa.String(128), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("for_s", sa.Float, nullable=False),
        sa.Column("keep_firing_for_s", sa.Float, nullable=False),
        sa.Column("no_data", sa.String(16), nullable=False),
        sa.Column("interval_s", sa.Float, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("annotations", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("builtin", sa.Boolean, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("tenant", "name", name="uq_alert_rules_tenant_name"),
    )
    op.create_table(
        "alert_defaults_seeded",
        sa.Column("tenant", sa.String(128), primary_key=True),
        sa.Column("default_id", sa.String(64), primary_key=True),
        sa.Column("seeded_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "alert_instances",
        sa.Column("tenant", sa.String(128), primary_key=True),
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("active_since_us", sa.BigInteger, nullable=True),
        sa.Column("fired_at_us", sa.BigInteger, nullable=True),
        sa.Column("resolved_at_us", sa.BigInteger, nullable=True),
        sa.Column("last_eval_us", sa.BigInteger, nullable=False),
        sa.Column("last_active_us", sa.BigInteger, nullable=True),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("link", sa.Text, nullable=True),
        sa.Column("severity", sa.String(16), nullable=False),
    )
    op.create_index("ix_alert_instances_rule", "alert_instances", ["tenant", "rule_id"])
    op.create_table(
        "alert_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("instance_id", sa.String(16), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("old", sa.String(16), nullable=False),
        sa.Column("new", sa.String(16), nullable=False),
        sa.Column("at_us", sa.BigInteger, nullable=False),
        sa.Column("instance", sa.JSON, nullable=False),
        sa.Column("notified", sa.Boolean, nullable=False),
    )
    op.create_index("ix_alert_history_tenant_at", "alert_history", ["tenant", "at_us"])
    op.create_index("ix_alert_history_notified", "alert_history", ["notified", "id"])


def downgrade() -> None:
    op.drop_table("alert_history")
    op.drop_table("alert_instances")
    op.drop_table("alert_defaults_seeded")
    op.drop_table("alert_rules")
