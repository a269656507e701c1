"""The notifier: one notification per alert per change, grouping timers, silences, and a
real webhook receiver getting exactly what a person should get."""

from __future__ import annotations

import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from alerts.receivers import WebhookReceiver, fired, resolved, wait_until
from bongsu.alerts.channels import default_registry
from bongsu.alerts.channels.webhook import verify
from bongsu.alerts.model import Channel, Matcher, Route, Silence
from bongsu.alerts.notify.notifier import Notifier
from bongsu.alerts.notify.outbox import Dispatcher
from bongsu.alerts.notify.routing import check_route
from bongsu.alerts.notify.store import NotifyStore
from bongsu.alerts.notify.tables import (
    alert_channels,
    alert_groups,
    alert_outbox,
    alert_routes,
    alert_silences,
)
from bongsu.alerts.repo import AlertRepo
from bongsu.errors import RuleError
from bongsu.meta.database import connect, upgrade

T0 = 1_800_000_000_000_000
S = 1_000_000
ORDERS = {"service": "orders"}
BILLING = {"service": "billing"}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    yield engine
    engine.dispose()


def setup(engine: Engine, group_wait_s: float = 0.0, group_interval_s: float = 60.0,
          repeat_interval_s: float = 3600.0) -> tuple[NotifyStore, Notifier]:
    store = NotifyStore(engine)
    store.put_channel(Channel(id="hook", tenant="default", name="ops", type="webhook",
                              config={"url": "http://127.0.0.1:9/hook"}))
    route = Route(id="all", tenant="default", matchers=[], channel_ids=["hook"],
                  group_wait_s=group_wait_s, group_interval_s=group_interval_s,
                  repeat_interval_s=repeat_interval_s)
    check_route(route)
    store.put_route(route)
    return store, Notifier(store)


def sent(store: NotifyStore) -> list[tuple[str, list[str]]]:
    """(status, [service of each alert]) of every queued notification, in order."""
    return [(n.status, [a["labels"]["service"] for a in n.alerts]) for n in store.outbox()]


def test_repeat_shorter_than_group_interval_is_refused_with_the_reason() -> None:
    route = Route(id="r", tenant="default", matchers=[], channel_ids=["hook"],
                  group_interval_s=300, repeat_interval_s=60)
    with pytest.raises(RuleError) as caught:
        check_route(route)
    assert caught.value.field == "repeat_interval_s"
    assert "shorter than group_interval_s (300 s)" in str(caught.value)
    assert "cannot be repeated more often than that" in str(caught.value)
    with pytest.raises(RuleError, match=r"^channel_ids: a route needs at least one channel"):
        check_route(Route(id="r", tenant="default", matchers=[], channel_ids=[]))


def test_one_notification_per_alert_per_change(engine: Engine) -> None:
    store, notifier = setup(engine)
    notifier.handle([fired("r1", ORDERS, T0)], T0)
    # The same change handed over again (a replay) and a later evaluation that changes
    # nothing (pending -> pending is no change at all) make nothing new.
    notifier.handle([fired("r1", ORDERS, T0)], T0 + 10 * S)
    for minute in range(1, 30):
        notifier.tick(T0 + minute * 60 * S)
    notifier.handle([resolved("r1", ORDERS, T0 + 1800 * S)], T0 + 1800 * S)
    notifier.tick(T0 + 1900 * S)
    assert sent(store) == [("firing", ["orders"]), ("resolved", ["orders"])]
    firing, done = store.outbox()
    assert firing.alerts[0]["summary"] == "APDEX 0.52 < 0.7"
    assert firing.alerts[0]["labels"] == {"rule": "r1", "severity": "warning",
                                          "service": "orders"}
    assert done.alerts[0]["resolved_at_us"] == T0 + 1800 * S
    assert firing.key != done.key


def test_each_matching_route_gets_its_own_notification(engine: Engine) -> None:
    store, notifier = setup(engine)
    store.put_channel(Channel(id="pager", tenant="default", name="pager", type="webhook",
                              config={"url": "http://127.0.0.1:9/pager"}))
    store.put_route(Route(id="critical", tenant="default",
                          matchers=[Matcher("severity", "=", "critical"),
                                    Matcher("service", "=~", "ord.*")],
                          channel_ids=["pager"], group_wait_s=0, group_interval_s=60,
                          repeat_interval_s=3600), position=1)
    notifier.handle([fired("r1", ORDERS, T0, severity="critical"),
                     fired("r1", BILLING, T0, severity="critical"),
                     fired("r2", ORDERS, T0)], T0)
    by_channel = sorted((n.channel_id, n.alerts[0]["rule_id"], n.alerts[0]["labels"]["service"])
                        for n in store.outbox())
    assert by_channel == [("hook", "r1", "billing"), ("hook", "r1", "orders"),
                          ("hook", "r2", "orders"), ("pager", "r1", "orders")]


def test_grouping_waits_then_batches_changes_by_interval(engine: Engine) -> None:
    store, notifier = setup(engine, group_wait_s=30.0, group_interval_s=300.0,
                            repeat_interval_s=3600.0)
    pods = [{"service": "orders", "pod": f"orders-{i}"} for i in range(3)]
    notifier.handle([fired("r1", pods[0], T0)], T0)
    notifier.handle([fired("r1", pods[1], T0 + 10 * S)], T0 + 10 * S)
    assert notifier.tick(T0 + 29 * S) == 0  # still inside group_wait
    assert notifier.tick(T0 + 30 * S) == 1
    assert [len(n.alerts) for n in store.outbox()] == [2]  # the two travelled together
    notifier.handle([fired("r1", pods[2], T0 + 40 * S)], T0 + 40 * S)
    assert notifier.tick(T0 + 329 * S) == 0  # group_interval since the last one
    assert notifier.tick(T0 + 330 * S) == 1
    third = store.outbox()[-1]
    assert [a["labels"]["pod"] for a in third.alerts] == ["orders-2"]  # only the change
    # A different service is a different group, with its own group_wait.
    notifier.handle([fired("r1", BILLING, T0 + 331 * S)], T0 + 331 * S)
    assert notifier.tick(T0 + 361 * S) == 1
    assert sent(store)[-1] == ("firing", ["billing"])


def test_repeat_interval_reminds_of_what_still_fires(engine: Engine) -> None:
    store, notifier = setup(engine, group_interval_s=60.0, repeat_interval_s=600.0)
    notifier.handle([fired("r1", ORDERS, T0)], T0)
    assert notifier.tick(T0 + 599 * S) == 0
    assert notifier.tick(T0 + 600 * S) == 1
    assert notifier.tick(T0 + 601 * S) == 0
    notifier.handle([resolved("r1", ORDERS, T0 + 700 * S)], T0 + 700 * S)
    notifier.tick(T0 + 800 * S)
    assert notifier.tick(T0 + 5000 * S) == 0  # nothing fires: nothing to repeat
    assert sent(store) == [("firing", ["orders"]), ("firing", ["orders"]),
                           ("resolved", ["orders"])]
    assert len({n.key for n in store.outbox()}) == 3
    assert [n.alerts[0].get("repeat", False) for n in store.outbox()] == [False, True, False]


def test_silenced_when_it_fires_is_held_and_never_half_told(engine: Engine) -> None:
    store, notifier = setup(engine)
    store.put_silence(Silence(id="s1", tenant="default",
                              matchers=[Matcher("service", "=", "orders")],
                              starts_us=T0 - S, ends_us=T0 + 300 * S, author="ana",
                              comment="deploy"))
    notifier.handle([fired("r1", ORDERS, T0), fired("r1", BILLING, T0)], T0)
    notifier.handle([resolved("r1", ORDERS, T0 + 100 * S)], T0 + 100 * S)
    notifier.tick(T0 + 1000 * S)
    # Orders fired and resolved inside the silence: neither is sent.
    assert sent(store) == [("firing", ["billing"])]
    # An alert still firing when its silence ends is sent then, not before.
    store.put_silence(Silence(id="s1", tenant="default",
                              matchers=[Matcher("service", "=", "orders")],
                              starts_us=T0 - S, ends_us=T0 + 1500 * S, author="ana",
                              comment="deploy"))
    notifier.handle([fired("r1", ORDERS, T0 + 1100 * S)], T0 + 1100 * S)
    notifier.tick(T0 + 1200 * S)
    assert sent(store) == [("firing", ["billing"])]
    notifier.tick(T0 + 1500 * S)
    assert sent(store) == [("firing", ["billing"]), ("firing", ["orders"])]


def test_replay_on_a_fresh_engine_queues_nothing_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'meta.sqlite'}"
    first = connect(url)
    _, notifier = setup(first)
    changes = [fired("r1", ORDERS, T0), fired("r1", BILLING, T0)]
    notifier.handle(changes, T0)
    first.dispose()
    # The evaluator died before marking them notified: a new process hands them over again.
    second = connect(url)
    again = Notifier(NotifyStore(second))
    assert again.handle(changes, T0 + 5 * S) == 0
    assert sorted(sent(NotifyStore(second))) == [("firing", ["billing"]), ("firing", ["orders"])]
    second.dispose()


def test_a_real_webhook_gets_one_firing_and_one_resolved_each(engine: Engine) -> None:
    receiver = WebhookReceiver().start()
    try:
        store = NotifyStore(engine)
        secret = "hunter2-but-longer"
        store.put_channel(Channel(id="hook", tenant="default", name="ops", type="webhook",
                                  config={"url": receiver.url, "secret": secret,
                                          "timeout_s": 2}))
        store.put_route(Route(id="all", tenant="default", matchers=[], channel_ids=["hook"],
                              group_by=["rule", "service"], group_wait_s=0,
                              group_interval_s=60, repeat_interval_s=3600))
        clock = [T0 / S]
        notifier = Notifier(store)
        dispatcher = Dispatcher(store, default_registry(), notifier=notifier,
                                console_url="http://console.test", clock=lambda: clock[0])
        notifier.handle([fired("r1", ORDERS, T0), fired("r1", BILLING, T0)], T0)
        dispatcher.run_once()
        # Silenced after it fired: its resolution must still arrive.
        store.put_silence(Silence(id="s1", tenant="default",
                                  matchers=[Matcher("service", "=", "orders")],
                                  starts_us=T0, ends_us=T0 + 10_000 * S, author="ana",
                                  comment="known, fixing"))
        clock[0] += 120
        notifier.handle([resolved("r1", ORDERS, T0 + 100 * S),
                         resolved("r1", BILLING, T0 + 100 * S)], int(clock[0] * S))
        dispatcher.run_once()
        for _ in range(5):
            clock[0] += 3600
            dispatcher.run_once()
        got = [(r.json()["status"], r.json()["alerts"][0]["labels"]["service"])
               for r in receiver.received]
        assert sorted(got) == [("firing", "billing"), ("firing", "orders"),
                               ("resolved", "billing"), ("resolved", "orders")]
        for r in receiver.received:
            assert verify(r.body, r.headers["x-bongsu-signature"], secret)
            assert not verify(r.body + b" ", r.headers["x-bongsu-signature"], secret)
            body = r.json()
            assert r.headers["x-bongsu-idempotency-key"] == body["key"]
            assert body["alerts"][0]["link"] == "http://console.test/#/dashboard?service=orders"
            assert body["group"] == {"rule": "r1",
                                     "service": body["alerts"][0]["labels"]["service"]}
        assert all(n.delivered_us is not None for n in store.outbox())
    finally:
        receiver.stop()


def test_dispatcher_thread_drains_the_evaluators_history(engine: Engine) -> None:
    receiver = WebhookReceiver().start()
    try:
        store = NotifyStore(engine)
        store.put_channel(Channel(id="hook", tenant="default", name="ops", type="webhook",
                                  config={"url": receiver.url}))
        store.put_route(Route(id="all", tenant="default", matchers=[], channel_ids=["hook"],
                              group_wait_s=0, group_interval_s=0.1, repeat_interval_s=3600))
        repo = AlertRepo(engine)
        dispatcher = Dispatcher(store, default_registry(), notifier=Notifier(store),
                                history=repo, poll_s=30)  # only a wake makes it look
        dispatcher.start()
        try:
            # The evaluator records each change, then tells its listeners.
            now = int(time.time() * S)  # the dispatcher's thread runs on the real clock
            change = fired("r1", ORDERS, now)
            repo.record([change.instance], [change])
            dispatcher.on_transitions([change])
            assert wait_until(lambda: len(receiver.received) == 1, 10)
            time.sleep(0.15)  # past group_interval
            change = resolved("r1", ORDERS, now + 1)
            repo.record([change.instance], [change])
            dispatcher.on_transitions([change])
            assert wait_until(lambda: len(receiver.received) == 2, 10)
        finally:
            dispatcher.stop()
        assert [r.json()["status"] for r in receiver.received] == ["firing", "resolved"]
        assert repo.unnotified() == []
        assert dispatcher.errors == 0
    finally:
        receiver.stop()


def test_the_migration_makes_the_tables_the_code_reads(engine: Engine) -> None:
    found = inspect(engine)
    for table in (alert_channels, alert_routes, alert_silences, alert_groups, alert_outbox):
        columns = {c["name"]: c["nullable"] for c in found.get_columns(table.name)}
        assert columns == {c.name: c.nullable for c in table.columns}, table.name
    config = Config()
    config.set_main_option("script_location", str(resources.files("bongsu.meta") / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert "alert_outbox" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "alert_outbox" in inspect(engine).get_table_names()
