"""Reports: report jobs, schedules and their deliveries, one per (schedule, period)
(``bongsu.reports.tables``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("service", sa.String(256), nullable=True),
        sa.Column("from_us", sa.BigInteger, nullable=False),
        sa.Column("to_us", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("pdf_error", sa.Text, nullable=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("started_us", sa.BigInteger, nullable=True),
        sa.Column("finished_us", sa.BigInteger, nullable=True),
        sa.Column("runner", sa.String(256), nullable=True),
        sa.Column("schedule_id", sa.String(32), nullable=True),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("html_bytes", sa.Integer, nullable=True),
        sa.Column("csv_bytes", sa.Integer, nullable=True),
        sa.Column("pdf_bytes", sa.Integer, nullable=True),
    )
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("service", sa.String(256), nullable=True),
        sa.Column("every", sa.String(8), nullable=False),
        sa.Column("at", sa.String(5), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("last_period_us", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "report_deliveries",
        sa.Column("schedule_id", sa.String(32), primary_key=True),
        sa.Column("period_start_us", sa.BigInteger, primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("period_end_us", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # pending | sent | failed
        sa.Column("job_id", sa.String(32), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("sent_us", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_report_jobs_tenant", "report_jobs", ["tenant"])
    op.create_index("ix_report_schedules_tenant", "report_schedules", ["tenant"])


def downgrade() -> None:
    op.drop_table("report_deliveries")
    op.drop_table("report_schedules")
    op.drop_table("report_jobs")
