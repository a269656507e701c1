"""sqlite3: connections made by ``sqlite3.connect`` are a traced subclass (``isinstance``
checks still pass); ``execute`` / ``executemany`` on connections and cursors are DB spans."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._db import DbInfo, traced_call
from bongsu.agent.integrations._patching import patch

__all__ = ["install"]


def install(module: ModuleType) -> None:
    base_connection, base_cursor = module.Connection, module.Cursor
    execute, executemany = base_cursor.execute, base_cursor.executemany

    class TracedCursor(base_cursor):  # type: ignore[misc, valid-type]
        _bongsu_info = DbInfo("sqlite", "", "", 0)

        # The base methods are called unbound: no super() object or bound method per call.
        def execute(self, sql: str, *args: Any) -> Any:
            return traced_call(self._bongsu_info, sql, execute, self, sql, *args)

        def executemany(self, sql: str, *args: Any) -> Any:
            return traced_call(self._bongsu_info, sql, executemany, self, sql, *args)

    class TracedConnection(base_connection):  # type: ignore[misc, valid-type]
        _bongsu_info = DbInfo("sqlite", "", "", 0)

        def cursor(self, factory: Any = None) -> Any:
            cursor = super().cursor(factory or TracedCursor)
            if isinstance(cursor, TracedCursor):
                cursor._bongsu_info = self._bongsu_info
            return cursor

        def execute(self, sql: str, *args: Any) -> Any:
            return self.cursor().execute(sql, *args)

        def executemany(self, sql: str, *args: Any) -> Any:
            return self.cursor().executemany(sql, *args)

        def close(self) -> None:
            db = _state.db
            if db is not None:
                db.closed(self)
            super().close()

    def make(original: Any) -> Any:
        def connect(database: Any, *args: Any, **kwargs: Any) -> Any:
            if _state.tracer is None or "factory" in kwargs or len(args) >= 4:
                return original(database, *args, **kwargs)
            conn = original(database, *args, factory=TracedConnection, **kwargs)
            name = os.fsdecode(database) if isinstance(database, (str, bytes, os.PathLike)) else ""
            conn._bongsu_info = DbInfo("sqlite", os.path.basename(name) or name, "", 0)
            db = _state.db
            if db is not None:
                db.opened(conn, "sqlite")
            return conn
        return connect

    patch(module, "connect", make)
    module.dbapi2.connect = module.connect
