"""The pinned panels' table in the metadata database (migration ``0013_dashboards``).

One row per panel: ``owner`` is whose it is (``user:<id>``, or ``single-user`` for the one
user of a single-user server), ``tenant`` the project it was pinned in; ``kind`` names the
console's panel kind (``dashboard.tps``), ``params`` its JSON object of strings; ``x``,
``y``, ``w``, ``h`` its place on a 12-column grid, ``ord`` its order on the page.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from bongsu.meta.tables import metadata

dashboard_panels = Table(
    "dashboard_panels",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("tenant", String(128), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("params", Text, nullable=False),
    Column("x", Integer, nullable=False),
    Column("y", Integer, nullable=False),
    Column("w", Integer, nullable=False),
    Column("h", Integer, nullable=False),
    Column("ord", Integer, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Index("ix_dashboard_panels_owner", "owner", "tenant"),
)
