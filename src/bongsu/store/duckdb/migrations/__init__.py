"""Versioned schema migrations: ``NNNN_name.sql`` files applied in order, once each.

The applied version lives in ``schema_version``; each file runs in its own transaction
together with the version bump, so a crash mid-migration leaves the previous version.
"""

from __future__ import annotations

from importlib import resources

import duckdb


def available() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with Bongsu, in order."""
    found = []
    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to the newest version; returns the version now in place."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    rows = con.execute("SELECT max(version) FROM schema_version").fetchall()
    current = rows[0][0] or 0
    for version, _name, sql in available():
        if version <= current:
            continue
        con.begin()
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?)", [version])
            con.commit()
        except BaseException:
            con.rollback()
            raise
        current = version
    return int(current)
