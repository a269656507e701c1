"""One engine on the metadata database, its schema brought up to date once.

The ingest keys (:class:`~bongsu.meta.keys.KeyRing`) and the alert engine
(:class:`~bongsu.alerts.repo.AlertRepo`) share it.

Example::

    engine = connect("sqlite:///bongsu-data/meta.sqlite")
    ring, repo = KeyRing(engine), AlertRepo(engine)
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event


def connect(url: str) -> Engine:
    """An engine on ``url`` with the migrations applied up to head."""
    engine = create_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    upgrade(engine)
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the metadata migrations (Alembic) up to ``revision``."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("bongsu.meta") / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
