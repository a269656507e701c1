"""PyMySQL: ``Cursor.execute`` is a DB span (``executemany`` goes through it);
connections opened and closed are counted."""

from __future__ import annotations

import weakref
from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._db import DbInfo, traced_call
from bongsu.agent._safety import swallow
from bongsu.agent.integrations._patching import patch

__all__ = ["install"]

_infos: weakref.WeakKeyDictionary[Any, DbInfo] = weakref.WeakKeyDictionary()


def _info(conn: Any) -> DbInfo:
    info = _infos.get(conn)
    if info is None:
        db = conn.db.decode() if isinstance(conn.db, bytes) else (conn.db or "")
        info = _infos[conn] = DbInfo("mysql", db, str(conn.host or ""), int(conn.port or 0))
    return info


def install(module: ModuleType) -> None:
    def make(original: Any) -> Any:
        def execute(self: Any, query: Any, args: Any = None) -> Any:
            if _state.tracer is None:
                return original(self, query, args)
            try:
                info = _info(self.connection)
            except Exception as exc:
                swallow(exc)
                return original(self, query, args)
            return traced_call(info, query, original, self, query, args)
        return execute

    patch(module.cursors.Cursor, "execute", make)
    connections = module.connections

    def make_connect(original: Any) -> Any:
        def connect(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            if _state.db is not None:
                _state.db.opened(self, "mysql")
            return result
        return connect

    def make_close(original: Any) -> Any:
        def close(self: Any) -> Any:
            if _state.db is not None:
                _state.db.closed(self)
            return original(self)
        return close

    patch(connections.Connection, "connect", make_connect)
    patch(connections.Connection, "close", make_close)
