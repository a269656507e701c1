"""Fixtures of every store test: the local ClickHouse endpoint (``clickhouse_endpoint.py``)
and a store of each backend (``backends.py``)."""

from __future__ import annotations

from tests.store.backends import backend, store  # noqa: F401
from tests.store.clickhouse_endpoint import clickhouse, clickhouse_url  # noqa: F401
