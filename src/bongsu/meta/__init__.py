"""Metadata (tenants' ingest keys, later users, rules, channels): SQLAlchemy + Alembic."""
