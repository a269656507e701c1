"""Alembic environment: runs migrations on the connection handed over in the config."""

from __future__ import annotations

from alembic import context

from bongsu.meta.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
