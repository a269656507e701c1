"""A report service with a deliberately slow endpoint, run under the agent by the browser tests.

``GET /reports/<name>?seconds=S`` reads from SQLite (so the service has a database edge
on the topology) and then spends ``S`` seconds in :func:`build_report`, so requests stay
in flight long enough to be watched on the Transactions page and caught in a thread
capture. Served by gunicorn's threaded worker: one request per thread, as in production.

Example::

    bongsu run --service-name report-api -- \\
        gunicorn -k gthread --threads 8 --chdir tests/browser slow_app:app
"""

from __future__ import annotations

import sqlite3
import time

from flask import Flask, request

app = Flask(__name__)

MAX_SECONDS = 60.0


@app.get("/reports/<name>")
def report(name: str) -> dict[str, object]:
    seconds = min(max(float(request.args.get("seconds", "10")), 0.0), MAX_SECONDS)
    with sqlite3.connect(":memory:") as db:
        db.execute("SELECT ?", (name,)).fetchone()
    build_report(name, seconds)
    return {"report": name, "seconds": seconds}


def build_report(name: str, seconds: float) -> None:
    """The slow part: a thread capture shows requests waiting in this frame."""
    time.sleep(seconds)
