"""The back service of the agent end-to-end tests: Flask, sqlite3, logging."""

import logging
import os
import sqlite3
import time

from flask import Flask

app = Flask("back")
log = logging.getLogger("back")
DB = os.environ["BACK_DB"]


@app.get("/orders/<int:order_id>")
def order(order_id: int) -> dict[str, int]:
    conn = sqlite3.connect(DB)
    conn.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER, note TEXT)")
    rows = conn.execute(
        f"SELECT id, note FROM orders WHERE id = {order_id} AND note != 'x'").fetchall()
    conn.close()
    log.warning("order %s looked up", order_id)
    return {"id": order_id, "rows": len(rows), "pid": os.getpid()}


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("back exploded")


@app.get("/slow")
def slow() -> dict[str, bool]:
    time.sleep(float(os.environ.get("SLOW_SECONDS", "2")))
    return {"slow": True}
