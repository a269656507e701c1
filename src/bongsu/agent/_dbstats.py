"""Open and in-use database connections, for the ``db.client.connection.count`` metric.

Example::

    db = DbConnections()
    db.opened(conn, "sqlite")
    assert db.counts() == {("sqlite", "idle"): 1}
"""

from __future__ import annotations

import contextlib
import weakref

__all__ = ["DbConnections"]


class DbConnections:
    """Connections the DB-API integrations have seen open, by ``db.system``."""

    def __init__(self) -> None:
        self._open: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()
        self.in_use: dict[str, int] = {}

    def opened(self, conn: object, system: str) -> None:
        with contextlib.suppress(TypeError):  # not weak-referenceable: not counted
            self._open[conn] = system

    def closed(self, conn: object) -> None:
        with contextlib.suppress(TypeError):
            self._open.pop(conn, None)

    def begin(self, system: str) -> None:
        self.in_use[system] = self.in_use.get(system, 0) + 1

    def end(self, system: str) -> None:
        self.in_use[system] = self.in_use.get(system, 1) - 1

    def counts(self) -> dict[tuple[str, str], int]:
        """``{(db.system, state): n}`` with state ``used`` or ``idle``."""
        total: dict[str, int] = {}
        for system in list(self._open.values()):
            total[system] = total.get(system, 0) + 1
        out = {}
        for system, n in total.items():
            used = min(max(self.in_use.get(system, 0), 0), n)
            if used:
                out[(system, "used")] = used
            out[(system, "idle")] = n - used
        return out
