"""Reads shared by the rules of one evaluation round.

The evaluator starts every rule due at one tick with the same evaluation time; rules that
need the same rows then (500 figure rules of a 1,000-rule server ask for ~15 distinct
grouped reads: figure family x window x by) read them once. The first rule to ask for a
key runs the read; the others, on any worker, wait for its answer and reuse it. A failed
read is not kept: the waiting rules see its error, later ones read again. Keys carry the
evaluation time's aligned window, so nothing is shared between rounds.

Example::

    shared = Shared()
    rows = shared.get(read, lambda: read.run(reads))  # read: a hashable FigureRead
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar, cast

T = TypeVar("T")


class Shared:
    """A per-round memo: one computation per key, whichever thread asks first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[Hashable, Future[Any]] = {}
        self.computed = 0  # how many keys were computed (for tests and benchmarks)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            found = self._found.get(key)
            if found is None:
                found = self._found[key] = Future()
                self.computed += 1
                mine = True
            else:
                mine = False
        if mine:
            try:
                found.set_result(compute())
            except BaseException as exc:
                found.set_exception(exc)
                with self._lock:
                    del self._found[key]
                raise
        # The one computing is bounded by the store's query time limit, so this wait is too.
        return cast(T, found.result())
