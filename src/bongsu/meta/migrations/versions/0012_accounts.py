"""Accounts: users, organisations, memberships, projects, invitations, API tokens,
sessions, e-mailed codes and the audit log (``bongsu.accounts.tables``); ingest keys get
their last-used time.

Every tenant that already had ingest keys, and ``default``, becomes an organisation of the
same slug holding one project of that tenant, so existing telemetry, rules and keys keep
their owner and no two tenants share an organisation.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=True),
        sa.Column("oidc_subject", sa.String(512), nullable=True, unique=True),
        sa.Column("is_operator", sa.Boolean, nullable=False),
        sa.Column("verified_us", sa.BigInteger, nullable=True),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until_us", sa.BigInteger, nullable=True),
        sa.Column("disabled_us", sa.BigInteger, nullable=True),
        sa.Column("last_login_us", sa.BigInteger, nullable=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "orgs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("trial_ends_us", sa.BigInteger, nullable=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "memberships",
        sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id"])
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False, unique=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("org_id", "name", name="uq_projects_org_name"),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("invited_by", sa.Integer, nullable=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
        sa.Column("accepted_us", sa.BigInteger, nullable=True),
        sa.Column("accepted_by", sa.Integer, nullable=True),
        sa.Column("revoked_us", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=True),
        sa.Column("last_used_us", sa.BigInteger, nullable=True),
        sa.Column("revoked_us", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("org_id", sa.Integer, nullable=True),
        sa.Column("csrf_hash", sa.String(64), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
        sa.Column("seen_us", sa.BigInteger, nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(512), nullable=False),
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id"])
    op.create_table(
        "account_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.Column("expires_us", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_us", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_account_codes_user", "account_codes", ["user_id", "purpose"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at_us", sa.BigInteger, nullable=False),
        sa.Column("org_id", sa.Integer, nullable=True),
        sa.Column("tenant", sa.String(128), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_org_at", "audit_log", ["org_id", "at_us"])
    with op.batch_alter_table("ingest_keys") as batch:
        batch.add_column(sa.Column("last_used_us", sa.BigInteger, nullable=True))

    # Each existing tenant (and "default") becomes an organisation with one project.
    bind = op.get_bind()
    now_us = int(time.time() * 1e6)
    tenants = {"default", *(r[0] for r in bind.execute(
        sa.text("SELECT DISTINCT tenant FROM ingest_keys")))}
    for tenant in sorted(tenants):
        org_id = bind.execute(
            sa.text("INSERT INTO orgs (slug, name, trial_ends_us, created_us) "
                    "VALUES (:slug, :slug, NULL, :now) RETURNING id"),
            {"slug": tenant[:64], "now": now_us}).scalar_one()
        bind.execute(
            sa.text("INSERT INTO projects (org_id, name, tenant, created_us) "
                    "VALUES (:org, :name, :tenant, :now)"),
            {"org": org_id, "name": tenant[:128], "tenant": tenant, "now": now_us})


def downgrade() -> None:
    with op.batch_alter_table("ingest_keys") as batch:
        batch.drop_column("last_used_us")
    for index, table in (("ix_audit_log_org_at", "audit_log"),
                         ("ix_account_codes_user", "account_codes"),
                         ("ix_sessions_user", "sessions"),
                         ("ix_memberships_user", "memberships")):
        op.drop_index(index, table_name=table)
    for table in ("audit_log", "account_codes", "sessions", "api_tokens", "invitations",
                  "projects", "memberships", "orgs", "users"):
        op.drop_table(table)
