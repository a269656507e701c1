"""DuckDB implementation of :class:`bongsu.store.reads.Reads`: the reads of
:class:`bongsu.store.sql_reads.SQLReads` with DuckDB's SQL (``sql/``) and dialect.

Every statement goes through :meth:`DuckDBStore.run`, which enforces the time limit and
the row cap.

Example::

    reads = DuckDBReads(store, timeout_s=10, max_rows=10_000)
    spans = reads.trace_spans("default", trace_hi, trace_lo)
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import ClassVar

from bongsu.store.duckdb.store import DuckDBStore
from bongsu.store.sql_reads import ROLLUP_TABLES, SQLReads

__all__ = ["ROLLUP_TABLES", "DuckDBReads", "sql"]


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return resources.files(__package__).joinpath("sql", f"{name}.sql").read_text("utf-8")


class DuckDBReads(SQLReads):
    """Reads of a :class:`DuckDBStore`, bounded by ``timeout_s`` and ``max_rows``."""

    METRIC_AGGS: ClassVar[dict[str, str]] = {
        "avg": "CASE WHEN count(value) > 0 THEN avg(value)"
        " ELSE sum(sum) / nullif(sum(count), 0) END",
        "min": "min(v)",
        "max": "max(v)",
        "sum": "sum(v)",
        "last": "arg_max(v, (ts_us, v))",
    }
    GROUP_AGGS: ClassVar[dict[str, str]] = {
        "avg": "avg(v)", "min": "min(v)", "max": "max(v)", "sum": "sum(v)",
        "last": "arg_max(v, (ts_us, v))",
    }
    NULL_TEXT: ClassVar[str] = "CAST(NULL AS VARCHAR)"
    SEEN: ClassVar[str] = """ AND EXISTS (
    SELECT 1 FROM instances i
    WHERE i.tenant = $tenant AND i.service = f.service AND i.instance = f.instance
      AND i.last_seen_us >= $seen_start AND i.first_seen_us < $seen_end
)"""

    def __init__(self, store: DuckDBStore, timeout_s: float, max_rows: int) -> None:
        super().__init__(store, timeout_s, max_rows)

    def _sql(self, name: str) -> str:
        return sql(name)

    @staticmethod
    def _p(name: str) -> str:
        return f"${name}"

    @classmethod
    def _attribute(cls, column: str, param: str) -> str:
        return f"json_extract_string({column}, {cls._p(param)})"

    @staticmethod
    def _key(key: str) -> str:
        """A JSON path naming one top-level key, dots and quotes included."""
        return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'

    @staticmethod
    def _text(column: str) -> str:
        return f"CAST({column} AS VARCHAR)"

    @classmethod
    def _contains(cls, column: str, param: str) -> str:
        return f"contains(lower({column}), lower({cls._p(param)}))"

    @classmethod
    def _starts_with(cls, column: str, param: str) -> str:
        return f"starts_with({column}, {cls._p(param)})"

    @classmethod
    def _in_list(cls, column: str, param: str) -> str:
        return f"list_contains({cls._p(param)}, {column})"
