"""Accounts tables (SQLAlchemy Core); migration 0012 creates them.

Times are epoch microseconds (``*_us``), as in the other metadata tables. Secrets —
passwords, session ids, CSRF tokens, API tokens, invitation tokens, e-mailed codes — are
stored only as hashes: argon2id for passwords, SHA-256 for the random ones.

A project's ``tenant`` is the store's tenant: its telemetry, rules, checks and captures
carry it, so a project is what an ingest key writes to and what a session reads.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bongsu.meta.tables import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(64), nullable=False, unique=True),  # capitals, digits, _
    Column("email", String(320), nullable=False, unique=True),  # lower-cased
    Column("display_name", String(256), nullable=False, default=""),
    Column("password_hash", String(256), nullable=True),  # none: signs in by OIDC only
    Column("oidc_subject", String(512), nullable=True, unique=True),  # "issuer|sub"
    Column("is_operator", Boolean, nullable=False, default=False),  # runs this server
    Column("verified_us", BigInteger, nullable=True),  # e-mail verified
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until_us", BigInteger, nullable=True),
    Column("disabled_us", BigInteger, nullable=True),
    Column("last_login_us", BigInteger, nullable=True),
    Column("created_us", BigInteger, nullable=False),
)

orgs = Table(
    "orgs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(256), nullable=False),
    Column("trial_ends_us", BigInteger, nullable=True),  # none: no trial (self-hosted)
    Column("created_us", BigInteger, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("org_id", Integer, ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),  # owner | admin | editor | viewer
    Column("created_us", BigInteger, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("orgs.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("tenant", String(128), nullable=False, unique=True),
    Column("created_us", BigInteger, nullable=False),
    UniqueConstraint("org_id", "name", name="uq_projects_org_name"),
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("orgs.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("invited_by", Integer, nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("accepted_us", BigInteger, nullable=True),
    Column("accepted_by", Integer, nullable=True),
    Column("revoked_us", BigInteger, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("orgs.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, nullable=True),  # none: a service account's token
    Column("name", String(256), nullable=False),
    Column("role", String(16), nullable=False),  # at most its creator's role
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", Integer, nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=True),
    Column("last_used_us", BigInteger, nullable=True),
    Column("revoked_us", BigInteger, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("org_id", Integer, nullable=True),  # the organisation the console shows
    Column("csrf_hash", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),  # absolute
    Column("seen_us", BigInteger, nullable=False),  # idle expiry counts from here
    Column("ip", String(64), nullable=False, default=""),
    Column("user_agent", String(512), nullable=False, default=""),
)

codes = Table(
    "account_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),  # verify | reset
    Column("code_hash", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_us", BigInteger, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at_us", BigInteger, nullable=False),
    Column("org_id", Integer, nullable=True),  # none: before any organisation (a failed sign-in)
    Column("tenant", String(128), nullable=True),  # the project, for rule / check / capture changes
    Column("actor", String(128), nullable=False),  # a user id, "token:PREFIX", "system"
    Column("action", String(64), nullable=False),  # "auth.login", "key.create", "rule.update" …
    Column("target", String(256), nullable=False, default=""),
    Column("detail", Text, nullable=False, default=""),  # JSON
    Column("ip", String(64), nullable=False, default=""),
)
