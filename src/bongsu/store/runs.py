"""What the backend-neutral SQL sides (:mod:`bongsu.store.sla`, :mod:`bongsu.store.metering`)
need of a store: one bounded read query (``DuckDBStore.run``, ``ClickHouseStore.run``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Runs(Protocol):
    """A store that runs one read query under a time limit and a row cap, raising
    :class:`~bongsu.errors.QueryTimeout` / :class:`~bongsu.errors.TooManyRows` past them."""

    def run(self, sql: str, params: Mapping[str, Any], timeout_s: float,
            max_rows: int | None) -> list[tuple[Any, ...]]: ...


__all__ = ["Runs"]
