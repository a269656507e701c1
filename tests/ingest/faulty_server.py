"""``bongsu server`` with faults on demand, each while a file the test names exists.

- ``FAULT_STORE_FAILS_WHILE``: every load runs its inserts and then raises
  ``duckdb.IOException`` inside the store's transaction (as a full or failing disk makes
  it fail), so the store must roll them back. Patched in the server process.
- ``FAULT_BUILD_FAILS_WHILE`` / ``FAULT_DECODE_FAILS_WHILE``: the decoder cannot build a
  batch / decode a record (a decoder bug). Patched in the decoder process, which
  multiprocessing's spawn starts by running this file as ``__mp_main__``.

Nothing in Bongsu knows about any of this: the patches are applied here, before it runs.

Usage (see ``test_faults.py``)::

    FAULT_STORE_FAILS_WHILE=/tmp/flag python tests/ingest/faulty_server.py server --data-dir d
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import duckdb

from bongsu.cli import main
from bongsu.store.duckdb.store import DuckDBStore


def fail_while(flag: Path) -> None:
    insert = DuckDBStore._insert

    def failing_insert(self: DuckDBStore, cur: Any, batch: Any) -> None:
        insert(self, cur, batch)
        if flag.exists():
            raise duckdb.IOException(f"injected: could not write (while {flag.name} exists)")

    DuckDBStore._insert = failing_insert  # type: ignore[method-assign]


def decoder_fails_while(build_flag: Path | None, decode_flag: Path | None) -> None:
    from bongsu.ingest.batch_builder import BatchBuilder

    build, add = BatchBuilder.build, BatchBuilder.add

    def failing_build(self: BatchBuilder) -> Any:
        if build_flag is not None and build_flag.exists():
            raise RuntimeError("injected: the batch cannot be built")
        return build(self)

    def failing_add(self: BatchBuilder, *args: Any) -> int:
        if decode_flag is not None and decode_flag.exists():
            raise ValueError("injected: the record cannot be decoded")
        return add(self, *args)

    BatchBuilder.build = failing_build  # type: ignore[method-assign]
    BatchBuilder.add = failing_add  # type: ignore[method-assign]


def _flag(name: str) -> Path | None:
    return Path(os.environ[name]) if name in os.environ else None


if __name__ == "__main__":
    if (store_flag := _flag("FAULT_STORE_FAILS_WHILE")) is not None:
        fail_while(store_flag)
    sys.exit(main())
elif __name__ == "__mp_main__":  # the decoder process
    decoder_fails_while(_flag("FAULT_BUILD_FAILS_WHILE"), _flag("FAULT_DECODE_FAILS_WHILE"))
