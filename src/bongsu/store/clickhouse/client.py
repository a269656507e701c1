"""A ClickHouse connection with the store's limits: every query has a time limit (the
server's ``max_execution_time`` and the client's socket timeout) and a row cap, and every
failure is one of Bongsu's errors.

Example::

    ch = ClickHouse.connect("http://127.0.0.1:8123", database="bongsu")
    rows = ch.run("SELECT count() FROM spans WHERE tenant = {t:String}", {"t": "default"},
                  timeout_s=10, max_rows=1000)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
import pyarrow as pa
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import (
    ClickHouseError,
    DatabaseError,
    OperationalError,
)

from bongsu.errors import InvalidQuery, QueryTimeout, StoreError, StoreUnavailable, TooManyRows

# ClickHouse error codes (src/Common/ErrorCodes.cpp).
_TIMEOUT = {159, 160, 209, 210}  # TIMEOUT_EXCEEDED, TOO_SLOW, SOCKET_TIMEOUT, NETWORK_ERROR
_TOO_MANY_ROWS = {158, 396}  # TOO_MANY_ROWS, TOO_MANY_ROWS_OR_BYTES
_INVALID = {6, 27, 32, 38, 41, 43, 53, 69, 70, 72, 321, 457, 456}  # bad values / params
_CODE = re.compile(r"code: (\d+)", re.I)


class ClickHouse:
    """One database on one ClickHouse server, over HTTP (``clickhouse-connect``)."""

    def __init__(self, client: Client, database: str) -> None:
        self._client = client
        self.database = database

    @classmethod
    def connect(cls, url: str, database: str, create: bool = True,
                connect_timeout_s: float = 5.0) -> ClickHouse:
        """Connect to ``url`` (``http://user:password@host:port``), creating ``database``."""
        parts = urlsplit(url)
        try:
            client = clickhouse_connect.get_client(
                host=parts.hostname or "127.0.0.1", port=parts.port or 8123,
                username=parts.username or "default", password=parts.password or "",
                secure=parts.scheme == "https", connect_timeout=connect_timeout_s,
                # Plain bodies: the bytes per insert are small next to the engine's work,
                # and the local endpoint (local.py) serves them without decoding.
                compress=False, autogenerate_session_id=False)
            if create:
                client.command(f"CREATE DATABASE IF NOT EXISTS {_ident(database)}")
            client.database = database
        except ClickHouseError as exc:
            raise _mapped(exc, connect_timeout_s) from exc
        return cls(client, database)

    def run(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None,
            timeout_s: float = 10.0, max_rows: int | None = None) -> list[tuple[Any, ...]]:
        """Rows of one read query; QueryTimeout past ``timeout_s``, TooManyRows past
        ``max_rows``, InvalidQuery for a value the engine refuses, StoreUnavailable when
        the server cannot be reached."""
        settings: dict[str, Any] = {"max_execution_time": max(1, int(timeout_s + 0.999))}
        if max_rows is not None:
            settings |= {"max_result_rows": max_rows + 1, "result_overflow_mode": "break"}
        try:
            result = self._client.query(sql, parameters=params, settings=settings,
                                        transport_settings=None)
            rows = [tuple(r) for r in result.result_rows]
        except ClickHouseError as exc:
            raise _mapped(exc, timeout_s) from exc
        if max_rows is not None and len(rows) > max_rows:
            raise TooManyRows(f"the result has more than {max_rows} rows; narrow the query")
        return rows

    def arrow(self, sql: str, params: Mapping[str, Any] | None = None,
              timeout_s: float = 60.0) -> pa.Table:
        """One query's result as an Arrow table (the store's own reads)."""
        try:
            return self._client.query_arrow(
                sql, parameters=params, settings={"max_execution_time": int(timeout_s)})
        except ClickHouseError as exc:
            raise _mapped(exc, timeout_s) from exc

    def command(self, sql: str, params: Mapping[str, Any] | None = None,
                settings: Mapping[str, Any] | None = None) -> Any:
        """Run one statement (DDL, DELETE, OPTIMIZE); returns its summary or value."""
        try:
            return self._client.command(sql, parameters=params, settings=dict(settings or {}))
        except ClickHouseError as exc:
            raise _mapped(exc, 0) from exc

    def insert(self, table: str, rows: pa.Table, token: str | None = None) -> None:
        """Insert an Arrow table as one block; ``token`` makes a repeat insert a no-op."""
        if not rows.num_rows:
            return
        settings: dict[str, Any] = {"insert_deduplicate": 1}
        if token is not None:
            settings["insert_deduplication_token"] = token
        try:
            self._client.insert_arrow(table, rows, settings=settings)
        except ClickHouseError as exc:
            raise _mapped(exc, 0) from exc

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _ident(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise StoreError(f"not a database name: {name!r}")
    return name


def _mapped(exc: ClickHouseError, timeout_s: float) -> Exception:
    """The Bongsu error for a client exception."""
    text = str(exc)
    match = _CODE.search(text)
    code = int(match.group(1)) if match else None
    if code in _TIMEOUT or "timed out" in text.lower() or "read timeout" in text.lower():
        return QueryTimeout(f"query ran past its {timeout_s:g} s time limit")
    if code in _TOO_MANY_ROWS:
        return TooManyRows("the result is over the row cap; narrow the query")
    if code in _INVALID:
        return InvalidQuery(f"a parameter is out of range: {text}")
    if isinstance(exc, OperationalError) or (code is None and not isinstance(
            exc, DatabaseError)):
        return StoreUnavailable(f"ClickHouse cannot be reached: {text}")
    if code is None and ("connection" in text.lower() or "refused" in text.lower()):
        return StoreUnavailable(f"ClickHouse cannot be reached: {text}")
    return StoreError(f"ClickHouse refused the query: {text}")
