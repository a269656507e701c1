"""The telemetry store the settings name: ``BONGSU_STORE=duckdb`` (the default, one
embedded file under ``BONGSU_DATA_DIR``) or ``clickhouse`` (``BONGSU_CLICKHOUSE_URL``,
``BONGSU_CLICKHOUSE_DATABASE``, ``BONGSU_CLICKHOUSE_LOG_ID``).

Example::

    store = open_store(Settings.from_env())
"""

from __future__ import annotations

from typing import Any

from bongsu.errors import SettingError
from bongsu.settings import Settings

__all__ = ["open_store"]


def open_store(settings: Settings) -> Any:
    """Open (creating) the configured store; a :class:`bongsu.store.base.TelemetryStore`."""
    if settings.store == "duckdb":
        from bongsu.store.duckdb import DuckDBStore

        return DuckDBStore.open(
            settings.store_path, settings.apdex_t_ms, settings.apdex_overrides())
    if settings.store == "clickhouse":
        from bongsu.store.clickhouse.client import ClickHouse
        from bongsu.store.clickhouse.store import ClickHouseStore

        ch = ClickHouse.connect(settings.clickhouse_url, settings.clickhouse_database)
        return ClickHouseStore.open(
            ch, settings.clickhouse_log_id, settings.apdex_t_ms, settings.apdex_overrides(),
            retention_days=settings.retention_days,
            user_retention_days=settings.user_retention_days)
    raise SettingError(f"store: 'duckdb' or 'clickhouse', got {settings.store!r}")
