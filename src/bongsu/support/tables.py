"""The support requests' tables (SQLAlchemy Core) in the metadata database; migration
``0010_support_requests`` creates them. The screenshot sits in a table of its own, so a
listing never reads the blobs."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Integer, LargeBinary, String, Table, Text

from bongsu.meta.tables import metadata

support_requests = Table(
    "support_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant", String(128), nullable=False, index=True),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("contact", String(256), nullable=False),
    Column("view", JSON, nullable=False),
    Column("system", JSON, nullable=False),
    Column("screenshot_width", Integer, nullable=True),
    Column("screenshot_height", Integer, nullable=True),
    Column("screenshot_bytes", Integer, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=True, index=True),
    Column("last_error", Text, nullable=True),
    Column("channel", String(256), nullable=True),
    Column("sent_us", BigInteger, nullable=True),
    Column("resolved_us", BigInteger, nullable=True),
)

support_screenshots = Table(
    "support_screenshots",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("png", LargeBinary, nullable=False),
)
