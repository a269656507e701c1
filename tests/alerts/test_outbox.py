"""The durable outbox: retries with backoff against receivers that fail (500, timeout,
refused), exactly one copy once they are healthy, and a dispatcher killed with SIGKILL
between deciding and delivering that neither loses nor duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from alerts.receivers import WebhookReceiver, fired, free_port, wait_until
from bongsu.alerts.channels import ChannelRegistry, SendContext, SendResult, default_registry
from bongsu.alerts.model import Channel, Notification, Route
from bongsu.alerts.notify.notifier import Notifier
from bongsu.alerts.notify.outbox import Dispatcher
from bongsu.alerts.notify.store import NotifyStore
from bongsu.meta.database import connect

S = 1_000_000
ORDERS = {"service": "orders"}
TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    yield engine
    engine.dispose()


def wire(store: NotifyStore, url: str, timeout_s: float = 2.0) -> None:
    store.put_channel(Channel(id="hook", tenant="default", name="ops", type="webhook",
                              config={"url": url, "timeout_s": timeout_s}))
    store.put_route(Route(id="all", tenant="default", matchers=[], channel_ids=["hook"],
                          group_wait_s=0, group_interval_s=60, repeat_interval_s=86400))


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("failure", ["error", "stall", "refused"])
def test_a_failing_receiver_gets_retries_then_one_copy(engine: Engine, failure: str) -> None:
    port = free_port()
    receiver = WebhookReceiver(port=port, mode=failure, stall_s=1.0)
    if failure != "refused":
        receiver.start()
    try:
        store = NotifyStore(engine)
        wire(store, f"http://127.0.0.1:{port}/hook", timeout_s=0.3)
        clock = Clock()
        dispatcher = Dispatcher(store, default_registry(), clock=clock, base_backoff_s=2.0)
        Notifier(store).handle([fired("r1", ORDERS, int(clock.now * S))], int(clock.now * S))
        waits = []
        for _ in range(3):
            assert dispatcher.run_once() == 0
            (row,) = store.outbox()
            assert row.delivered_us is None and row.last_error
            waits.append(row.next_attempt_us / S - clock.now)
            assert dispatcher.run_once() == 0  # not due yet: no attempt
            clock.now = row.next_attempt_us / S
        # Exponential with jitter in [0.5, 1): 2 s, 4 s, 8 s before it.
        assert 1.0 <= waits[0] < 2.0 and 2.0 <= waits[1] < 4.0 and 4.0 <= waits[2] < 8.0
        if failure == "refused":
            receiver.start()
        receiver.mode = "ok"
        assert dispatcher.run_once() == 1
        (row,) = store.outbox()
        assert row.delivered_us is not None and row.attempts == 4
        for _ in range(3):  # nothing is sent again
            clock.now += 3600
            assert dispatcher.run_once() == 0
        assert len(receiver.distinct()) == 1
        if failure == "stall":
            # The receiver took each timed-out copy after the sender gave up on it: all
            # carry the one key, so it keeps one.
            assert wait_until(lambda: len(receiver.received) >= 4, 5)
            assert {r.headers["x-bongsu-idempotency-key"] for r in receiver.received} == {
                row.key}
        else:
            assert len(receiver.received) == 1
            assert receiver.attempts == (4 if failure == "error" else 1)
    finally:
        receiver.stop()


def test_permanent_failures_and_give_up_are_recorded(engine: Engine) -> None:
    store = NotifyStore(engine)
    wire(store, "http://127.0.0.1:9/hook")

    class Refusing:
        name = "refusing"

        def check(self, config: dict[str, object]) -> None:
            return None

        def send(self, channel: Channel, notification: Notification,
                 context: SendContext) -> SendResult:
            return SendResult.permanent("400 from the receiver")

    class Broken(Refusing):
        name = "broken"

        def send(self, channel: Channel, notification: Notification,
                 context: SendContext) -> SendResult:
            raise RuntimeError("a bug in a third party's channel")

    registry = ChannelRegistry()
    registry.register(Refusing)
    registry.register(Broken)
    for name in ("refusing", "broken"):
        store.put_channel(Channel(id=name, tenant="default", name=name, type=name, config={}))
    store.put_route(Route(id="all", tenant="default", matchers=[],
                          channel_ids=["refusing", "broken"], group_wait_s=0,
                          group_interval_s=60, repeat_interval_s=86400))
    clock = Clock()
    dispatcher = Dispatcher(store, registry, clock=clock, max_attempts=3, base_backoff_s=1)
    Notifier(store).handle([fired("r1", ORDERS, int(clock.now * S))], int(clock.now * S))
    for _ in range(4):
        dispatcher.run_once()
        clock.now += 10
    rows = {n.channel_id: n for n in store.outbox()}
    assert rows["refusing"].attempts == 1 and rows["refusing"].last_error == (
        "400 from the receiver")
    assert rows["broken"].attempts == 3
    assert rows["broken"].last_error == (
        "broken raised RuntimeError: a bug in a third party's channel")
    assert store.due(int(clock.now * S) + 10**12) == []  # both given up, none lost


def test_settled_rows_are_pruned_after_the_retention_pending_ones_never(engine: Engine) -> None:
    receiver = WebhookReceiver().start()
    try:
        store = NotifyStore(engine)
        wire(store, receiver.url)
        clock = Clock()
        dispatcher = Dispatcher(store, default_registry(), clock=clock, retention_s=86400)
        now = int(clock.now * S)
        Notifier(store).handle([fired("r1", ORDERS, now)], now)
        assert dispatcher.run_once() == 1
        receiver.mode = "error"
        Notifier(store).handle([fired("r1", {"service": "billing"}, now)], now)
        dispatcher.run_once()
        clock.now += 2 * 86400
        dispatcher.run_once()
        (left,) = store.outbox()
        assert left.delivered_us is None and left.alerts[0]["labels"]["service"] == "billing"
    finally:
        receiver.stop()


DECIDE = textwrap.dedent("""
    import sys, time
    from alerts.receivers import fired
    from bongsu.alerts.channels import default_registry
    from bongsu.alerts.notify.notifier import Notifier
    from bongsu.alerts.notify.outbox import Dispatcher
    from bongsu.alerts.notify.store import NotifyStore
    from bongsu.meta.database import connect
    store = NotifyStore(connect(sys.argv[1]))
    now = int(time.time() * 1e6)
    Notifier(store).handle([fired("r1", {"service": "orders"}, now)], now)
    print("decided", flush=True)
    if sys.argv[2] == "deliver":
        Dispatcher(store, default_registry()).run_once()
    time.sleep(60)
""")


def run_child(url: str, then: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=f"{TESTS}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    child = subprocess.Popen([sys.executable, "-c", DECIDE, url, then], env=env,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "decided"
    return child


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert child.stdout is not None
    child.stdout.close()


@pytest.mark.parametrize("killed", ["before sending", "before hearing back"])
def test_killed_dispatcher_neither_loses_nor_duplicates(tmp_path: Path, killed: str) -> None:
    url = f"sqlite:///{tmp_path / 'meta.sqlite'}"
    receiver = WebhookReceiver(mode="ok" if killed == "before sending" else "hold",
                               stall_s=30).start()
    try:
        setup_engine = connect(url)
        wire(NotifyStore(setup_engine), receiver.url, timeout_s=30)
        setup_engine.dispose()
        child = run_child(url, "wait" if killed == "before sending" else "deliver")
        try:
            if killed == "before hearing back":
                assert wait_until(lambda: len(receiver.received) == 1, 10)
        finally:
            kill(child)
        assert len(receiver.received) == (0 if killed == "before sending" else 1)
        receiver.mode = "ok"
        # A fresh process's engine over the same file picks the outbox up.
        engine = connect(url)
        store = NotifyStore(engine)
        dispatcher = Dispatcher(store, default_registry())
        assert dispatcher.run_once() == 1
        assert dispatcher.run_once() == 0
        (row,) = store.outbox()
        engine.dispose()
        assert row.delivered_us is not None
        assert len(receiver.distinct()) == 1
        assert receiver.received[-1].json()["status"] == "firing"
    finally:
        receiver.stop()
