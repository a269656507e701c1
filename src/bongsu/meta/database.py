"""One engine on the metadata database, its schema brought up to date once.

The ingest keys (:class:`~bongsu.meta.keys.KeyRing`), the alert engine
(:class:`~bongsu.alerts.repo.AlertRepo`) and the replicas' leases
(:mod:`bongsu.meta.lease`) share it. It is a SQLite file in the data directory unless
``BONGSU_META_URL`` names another database: PostgreSQL (``postgresql://user@host/db``,
through psycopg; the ``postgres`` extra installs it) lets several replicas share one.
A URL that cannot be used — malformed, an unknown database, an absent driver, a server
that does not answer — is a :class:`~bongsu.errors.SettingError` naming the setting.

Example::

    engine = connect("sqlite:///bongsu-data/meta.sqlite")
    ring, repo = KeyRing(engine), AlertRepo(engine)
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bongsu.errors import SettingError

SETTING = "BONGSU_META_URL"
# Replicas starting at once on a fresh PostgreSQL database would each create the tables:
# the first to take this transaction-scoped advisory lock migrates, the others then find
# the schema at head. (The number is "bongsu" in ASCII.)
_MIGRATION_LOCK = 0x626F6E677375


def connect(url: str) -> Engine:
    """An engine on ``url`` with the migrations applied up to head."""
    parsed = database_url(url)
    try:
        engine = create_engine(parsed, pool_pre_ping=parsed.drivername != "sqlite")
    except (NoSuchModuleError, ImportError) as exc:
        raise SettingError(f"{SETTING}: cannot use {_shown(parsed)}: {exc}") from None
    if parsed.drivername.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise SettingError(f"{SETTING}: cannot connect to {_shown(parsed)}: {reason}") from None
    upgrade(engine)
    return engine


def database_url(url: str) -> URL:
    """``url`` parsed; ``postgresql://`` means psycopg (version 3), the driver Bongsu uses."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SettingError(f"{SETTING}: not a database URL: {url!r} (expected "
                           "sqlite:///PATH or postgresql://USER@HOST/DATABASE)") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingError(f"{SETTING}: {parsed.get_backend_name()!r} is not supported "
                           "(sqlite or postgresql)")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the metadata migrations (Alembic) up to ``revision``."""
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo the metadata migrations down to ``revision`` (``base``: none left)."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("bongsu.meta") / "migrations"))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        step(config, revision)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
