"""``bongsu server`` whose store fails on demand, as a full or failing disk makes it fail.

While the file named by ``FAULT_STORE_FAILS_WHILE`` exists, every load runs its inserts and
then raises ``duckdb.IOException`` inside the store's transaction, so the store must roll
them back. Nothing in Bongsu knows about this: the patch is applied here, in the server
process only, before the command line runs.

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


if __name__ == "__main__":  # not when the decoder process imports this file
    if "FAULT_STORE_FAILS_WHILE" in os.environ:
        fail_while(Path(os.environ["FAULT_STORE_FAILS_WHILE"]))
    sys.exit(main())
