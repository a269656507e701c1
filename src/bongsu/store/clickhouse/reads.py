"""ClickHouse implementation of :class:`bongsu.store.reads.Reads`: the reads of
:class:`bongsu.store.sql_reads.SQLReads` with ClickHouse's SQL (``sql/``) and dialect.

Statements take the client's parameters (``%(name)s``, bound as literals by
``clickhouse-connect``; a literal ``%`` would be ``%%``) and read the tables as
``schema.py`` says they must be read: partial rows summed, ``instances_latest`` and
``kube_episodes`` for the append-only tables, edges as the settled table plus the live
matches. Every statement goes through :meth:`ClickHouseStore.run`, under the time limit
and the row cap.

Example::

    reads = ClickHouseReads(store, timeout_s=10, max_rows=10_000)
    spans = reads.trace_spans("default", trace_hi, trace_lo)
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

from bongsu.store.clickhouse.schema import edges_live_sql
from bongsu.store.sql_reads import SQLReads

if TYPE_CHECKING:
    from bongsu.store.clickhouse.store import ClickHouseStore

__all__ = ["ClickHouseReads", "sql"]

_EDGES_LIVE = edges_live_sql("%(settled_us)s")


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql`` (``{edges_live}``: the live edges of schema.py)."""
    text = resources.files(__package__).joinpath("sql", f"{name}.sql").read_text("utf-8")
    return text.replace("{edges_live}", _EDGES_LIVE)


class ClickHouseReads(SQLReads):
    """Reads of a :class:`ClickHouseStore`, bounded by ``timeout_s`` and ``max_rows``."""

    METRIC_AGGS: ClassVar[dict[str, str]] = {
        "avg": "if(count(value) > 0, avg(value), sum(sum) / nullIf(sum(count), 0))",
        "min": "min(v)",
        "max": "max(v)",
        "sum": "sum(v)",
        "last": "argMax(v, (ts_us, v))",
    }
    GROUP_AGGS: ClassVar[dict[str, str]] = {
        "avg": "avg(v)", "min": "min(v)", "max": "max(v)", "sum": "sum(v)",
        "last": "argMax(v, (ts_us, v))",
    }
    NULL_TEXT: ClassVar[str] = "CAST(NULL AS Nullable(String))"
    SEEN: ClassVar[str] = """ AND (f.service, f.instance) IN (
    SELECT service, instance FROM instances_latest
    WHERE tenant = %(tenant)s AND last_seen_us >= %(seen_start)s
      AND first_seen_us < %(seen_end)s
)"""

    def __init__(self, store: ClickHouseStore, timeout_s: float, max_rows: int) -> None:
        super().__init__(store, timeout_s, max_rows)

    def _sql(self, name: str) -> str:
        return sql(name)

    def _edge_params(self) -> dict[str, Any]:
        return {"settled_us": self._store.settled_us()}

    @staticmethod
    def _p(name: str) -> str:
        return f"%({name})s"

    @classmethod
    def _attribute(cls, column: str, param: str) -> str:
        return f"JSONExtract({column}, {cls._p(param)}, 'Nullable(String)')"

    @staticmethod
    def _key(key: str) -> str:
        return key  # JSONExtract takes the key itself, dots and quotes included

    @staticmethod
    def _text(column: str) -> str:
        return f"toString({column})"

    @classmethod
    def _contains(cls, column: str, param: str) -> str:
        return f"positionUTF8(lowerUTF8({column}), lowerUTF8({cls._p(param)})) > 0"

    @classmethod
    def _starts_with(cls, column: str, param: str) -> str:
        return f"startsWith({column}, {cls._p(param)})"

    @classmethod
    def _in_list(cls, column: str, param: str) -> str:
        return f"has({cls._p(param)}, {column})"

    @staticmethod
    def _blob(value: Any) -> bytes:
        return bytes.fromhex(value)
