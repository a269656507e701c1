"""The demo's orders service: Flask under gunicorn, sqlite3, calls payments with requests.

One worker leaks memory slowly (a cache that is never trimmed), for the memory views.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3

import requests
from flask import Flask, abort

app = Flask("orders")
log = logging.getLogger("orders")
DB = os.environ.get("DEMO_ORDERS_DB", "demo-orders.db")
PAYMENTS = os.environ.get("DEMO_PAYMENTS_URL", "http://127.0.0.1:18932")
_leak: list[bytes] = []


def _db() -> sqlite3.Connection:
    conn = sqlite3.connect(DB, timeout=5)
    conn.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, item TEXT, "
                 "qty INTEGER, paid INTEGER DEFAULT 0)")
    return conn


@app.get("/orders/<int:order_id>")
def get_order(order_id: int) -> dict[str, object]:
    conn = _db()
    row = conn.execute(f"SELECT id, item, qty, paid FROM orders WHERE id = {order_id}").fetchone()
    conn.close()
    if row is None:
        abort(404)
    return {"id": row[0], "item": row[1], "qty": row[2], "paid": bool(row[3])}


@app.post("/orders")
def create_order() -> tuple[dict[str, object], int]:
    conn = _db()
    item = random.choice(["kimchi", "tteok", "bulgogi", "makgeolli"])
    cur = conn.execute("INSERT INTO orders (item, qty) VALUES (?, ?)", (item, random.randint(1, 5)))
    order_id = cur.lastrowid
    conn.commit()
    response = requests.post(f"{PAYMENTS}/payments/{order_id}", timeout=10)
    if response.status_code != 200:
        log.error("payment failed for order %s: HTTP %s", order_id, response.status_code)
        conn.close()
        return {"id": order_id, "paid": False}, 502
    conn.execute(f"UPDATE orders SET paid = 1 WHERE id = {order_id}")
    conn.commit()
    conn.close()
    if os.getpid() % 2 == 0:
        _leak.append(b"x" * 64 * 1024)  # the leaking worker keeps every response
    log.info("order %s paid", order_id)
    return {"id": order_id, "paid": True}, 201
