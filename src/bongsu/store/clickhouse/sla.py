"""SLA reads in ClickHouse (:mod:`bongsu.store.sla`'s contract, its ``sql/sla_*.sql``)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from bongsu.store.sla import SQLSlaReads

if TYPE_CHECKING:
    from bongsu.store.clickhouse.store import ClickHouseStore


def sql(name: str) -> str:
    """The text of ``sql/<name>.sql`` (ClickHouse's dialect, ``%(name)s`` parameters)."""
    return resources.files(__package__).joinpath("sql", f"{name}.sql").read_text("utf-8")


class ClickHouseSlaReads(SQLSlaReads):
    """The SLA reads of a :class:`ClickHouseStore`, bounded by ``timeout_s`` and
    ``max_rows``."""

    def __init__(self, store: ClickHouseStore, timeout_s: float, max_rows: int) -> None:
        super().__init__(store, sql, timeout_s, max_rows)
