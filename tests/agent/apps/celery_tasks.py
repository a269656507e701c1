"""Celery tasks for the agent tests (broker and backend from CELERY_REDIS)."""

import os

from celery import Celery

app = Celery("shop", broker=os.environ["CELERY_REDIS"], backend=os.environ["CELERY_REDIS"])
app.conf.update(worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)


@app.task
def add(x: int, y: int) -> int:
    return x + y


@app.task
def fail() -> None:
    raise ValueError("task failed")
