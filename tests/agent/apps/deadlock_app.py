"""A Flask app (threaded dev server, run under ``bongsu run``) whose two routes deadlock:
``/debit`` takes ACCOUNTS then LEDGER, ``/credit`` LEDGER then ACCOUNTS; both wait at
``BARRIER`` first, so two concurrent requests always cross. The lock lines are marked for
the test (``LOCK ACCOUNTS`` / ``LOCK LEDGER``)."""

from __future__ import annotations

import os
import threading

from flask import Flask

app = Flask("deadlock")
ACCOUNTS = threading.Lock()  # LOCK ACCOUNTS
LEDGER = threading.RLock()  # LOCK LEDGER
BARRIER = threading.Barrier(2)


@app.get("/debit")
def debit() -> str:
    with ACCOUNTS:
        BARRIER.wait()
        with LEDGER:  # WAIT LEDGER
            return "debited"


@app.get("/credit")
def credit() -> str:
    with LEDGER:
        BARRIER.wait()
        with ACCOUNTS:  # WAIT ACCOUNTS
            return "credited"


@app.get("/ping")
def ping() -> str:
    return "pong"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ["APP_PORT"]), threaded=True)
