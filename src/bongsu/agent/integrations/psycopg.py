"""psycopg 3: ``execute`` / ``executemany`` of sync and async cursors are DB spans;
connections opened and closed are counted."""

from __future__ import annotations

import weakref
from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._db import DbInfo, traced_call, traced_call_async
from bongsu.agent._safety import swallow
from bongsu.agent.integrations._patching import patch

__all__ = ["install"]

_infos: weakref.WeakKeyDictionary[Any, DbInfo] = weakref.WeakKeyDictionary()
_UNKNOWN = DbInfo("postgresql", "", "", 0)


def _info(conn: Any) -> DbInfo:
    try:
        info = _infos.get(conn)
        if info is None:
            i = conn.info
            info = _infos[conn] = DbInfo("postgresql", i.dbname or "", i.host or "",
                                         int(i.port or 0))
        return info
    except Exception as exc:
        swallow(exc)
        return _UNKNOWN


def install(module: ModuleType) -> None:
    def make_sync(name: str) -> Any:
        def make(original: Any) -> Any:
            def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
                if _state.tracer is None:
                    return original(self, query, *args, **kwargs)
                text = query if isinstance(query, (str, bytes)) else _composed(query, self)
                return traced_call(_info(self.connection), text, original, self, query, *args,
                                   **kwargs)
            return execute
        return make

    def make_async(name: str) -> Any:
        def make(original: Any) -> Any:
            async def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
                if _state.tracer is None:
                    return await original(self, query, *args, **kwargs)
                text = query if isinstance(query, (str, bytes)) else _composed(query, self)
                return await traced_call_async(_info(self.connection), text, original, self,
                                               query, *args, **kwargs)
            return execute
        return make

    for name in ("execute", "executemany"):
        patch(module.Cursor, name, make_sync(name))
        patch(module.AsyncCursor, name, make_async(name))
    _count_connections(module.Connection)
    _count_connections(module.AsyncConnection)
    if getattr(module, "connect", None) is not None:  # psycopg.connect = Connection.connect
        setattr(module, "connect", module.Connection.connect)  # noqa: B010


def _composed(query: Any, cursor: Any) -> str:
    try:
        return str(query.as_string(cursor.connection))
    except Exception:
        return str(query)


def _count_connections(cls: Any) -> None:
    if getattr(cls, "__bongsu_counted__", False):
        return
    connect = cls.__dict__.get("connect")
    close = cls.__dict__.get("close")
    if not isinstance(connect, classmethod) or close is None:
        return
    is_async = cls.__name__.startswith("Async")

    if is_async:
        async def aconnect(klass: Any, *args: Any, **kwargs: Any) -> Any:
            conn = await connect.__func__(klass, *args, **kwargs)
            if _state.db is not None:
                _state.db.opened(conn, "postgresql")
            return conn
        cls.connect = classmethod(aconnect)

        async def aclose(self: Any) -> None:
            if _state.db is not None:
                _state.db.closed(self)
            await close(self)
        cls.close = aclose
    else:
        def sconnect(klass: Any, *args: Any, **kwargs: Any) -> Any:
            conn = connect.__func__(klass, *args, **kwargs)
            if _state.db is not None:
                _state.db.opened(conn, "postgresql")
            return conn
        cls.connect = classmethod(sconnect)

        def sclose(self: Any) -> None:
            if _state.db is not None:
                _state.db.closed(self)
            close(self)
        cls.close = sclose
    cls.__bongsu_counted__ = True
