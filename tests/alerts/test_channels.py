"""Channels: the registry a third party uses, config checks, and real deliveries — Slack
blocks to a loopback webhook, e-mail through aiosmtpd with STARTTLS and login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from alerts.receivers import SmtpReceiver, WebhookReceiver, fired, free_port, resolved
from bongsu.alerts.channels import (
    ChannelRegistry,
    SendContext,
    SendResult,
    default_registry,
)
from bongsu.alerts.channels.email import EmailChannel
from bongsu.alerts.channels.message import title
from bongsu.alerts.model import Channel, Notification, Route, Rule
from bongsu.alerts.notify.notifier import Notifier
from bongsu.alerts.notify.outbox import Dispatcher
from bongsu.alerts.notify.store import NotifyStore
from bongsu.alerts.repo import AlertRepo
from bongsu.errors import RuleError
from bongsu.meta.database import connect

S = 1_000_000
T0 = 1_700_000_000_000_000
CONSOLE = "http://console.test"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    yield engine
    engine.dispose()


def deliver(engine: Engine, channel: Channel, registry: ChannelRegistry | None = None) -> (
    NotifyStore
):
    """Fire and resolve one alert through a route to ``channel``, delivering each."""
    store = NotifyStore(engine)
    AlertRepo(engine).put_rule(Rule(id="r1", tenant="default", name="Orders APDEX",
                                    kind="threshold", spec={"figure": "apdex", "op": "<",
                                                            "value": 0.7}))
    store.put_channel(channel)
    store.put_route(Route(id="all", tenant="default", matchers=[], channel_ids=[channel.id],
                          group_wait_s=0, group_interval_s=60, repeat_interval_s=86400))
    notifier = Notifier(store)
    clock = [T0 / S]
    dispatcher = Dispatcher(store, registry or default_registry(), console_url=CONSOLE,
                            clock=lambda: clock[0])
    notifier.handle([fired("r1", {"service": "orders"}, T0)], T0)
    dispatcher.run_once()
    clock[0] += 600
    notifier.handle([resolved("r1", {"service": "orders"}, T0 + 600 * S)], T0 + 600 * S)
    dispatcher.run_once()
    return store


def test_builtins_are_registered_like_a_third_party() -> None:
    registry = default_registry()
    assert registry.names() == ["email", "slack", "webhook"]

    class Pager:
        name = "pager"

        def check(self, config: dict[str, Any]) -> None:
            if "service_key" not in config:
                raise RuleError("config.service_key", "required")

        def send(self, channel: Channel, notification: Notification,
                 context: SendContext) -> SendResult:
            return SendResult.success()

    registry.register(Pager)
    assert registry.names() == ["email", "pager", "slack", "webhook"]
    with pytest.raises(ValueError, match="registered already"):
        registry.register(Pager)
    with pytest.raises(RuleError, match=r"^config\.service_key: required"):
        registry.check(Channel(id="p", tenant="default", name="p", type="pager", config={}))
    with pytest.raises(RuleError, match=r"^type: unknown channel type 'sms'"):
        registry.check(Channel(id="x", tenant="default", name="x", type="sms", config={}))
    assert default_registry().names() == ["email", "slack", "webhook"]  # untouched


@pytest.mark.parametrize(("kind", "config", "field"), [
    ("webhook", {"url": "ftp://x"}, "config.url"),
    ("webhook", {"url": "http://x", "timeout_s": 0}, "config.timeout_s"),
    ("webhook", {"url": "http://x", "secret": ""}, "config.secret"),
    ("slack", {}, "config.url"),
    ("email", {"port": 25, "from": "a@b", "to": ["c@d"]}, "config.host"),
    ("email", {"host": "h", "from": "nobody", "to": ["c@d"]}, "config.from"),
    ("email", {"host": "h", "from": "a@b", "to": []}, "config.to"),
    ("email", {"host": "h", "from": "a@b", "to": ["c@d"], "username": "u",
               "starttls": False}, "config.starttls"),
])
def test_configs_are_checked_naming_the_field(kind: str, config: dict[str, Any],
                                              field: str) -> None:
    with pytest.raises(RuleError) as caught:
        default_registry().check(Channel(id="c", tenant="default", name="c", type=kind,
                                         config=config))
    assert caught.value.field == field


def test_slack_blocks_link_back_to_the_console(engine: Engine) -> None:
    receiver = WebhookReceiver().start()
    try:
        channel = Channel(id="slack", tenant="default", name="#ops", type="slack",
                          config={"url": receiver.url})
        default_registry().check(channel)
        deliver(engine, channel)
        payloads = [r.json() for r in receiver.received]
        assert [p["text"].split("]")[0] for p in payloads] == ["[FIRING", "[RESOLVED"]
        firing = payloads[0]
        # The rule's name, not its id; the link opens the console's dashboard route.
        assert firing["text"] == "[FIRING] Orders APDEX: service=orders"
        header, section = firing["blocks"]
        assert header == {"type": "header", "text": {"type": "plain_text",
                                                      "text": firing["text"]}}
        assert section["text"]["type"] == "mrkdwn"
        assert "warning: Orders APDEX: APDEX 0.52 &lt; 0.7" in section["text"]["text"]
        assert "firing since 2023-11-14 22:13:20 UTC" in section["text"]["text"]
        assert f"<{CONSOLE}/#/dashboard?service=orders|Open in Bongsu>" in (
            section["text"]["text"])
        assert "resolved 2023-11-14 22:23:20 UTC" in payloads[1]["blocks"][1]["text"]["text"]
    finally:
        receiver.stop()


def test_email_over_starttls_with_login_text_and_html(engine: Engine, tmp_path: Path) -> None:
    smtp = SmtpReceiver(tmp_path)
    try:
        channel = Channel(id="mail", tenant="default", name="ops mail", type="email", config={
            "host": "127.0.0.1", "port": smtp.port, "username": "alerts", "password": "pw",
            "from": "bongsu@example.net", "to": ["ops@example.net"],
            "ca_file": str(smtp.cert), "timeout_s": 5,
        })
        default_registry().check(channel)
        store = deliver(engine, channel)
        assert all(n.delivered_us is not None for n in store.outbox())
        # smtplib picks PLAIN of what aiosmtpd offers (PLAIN, LOGIN), once per message.
        assert smtp.logins == ["PLAIN", "PLAIN"]
        assert smtp.tls == [True, True]
        assert len(smtp.messages) == 2
        subjects = [m["Subject"] for _, m in smtp.messages]
        assert subjects == ["[FIRING] Orders APDEX: service=orders",
                            "[RESOLVED] Orders APDEX: service=orders"]
        envelope, message = smtp.messages[0]
        assert envelope.rcpt_tos == ["ops@example.net"]
        key = store.outbox()[0].key
        assert message["Message-ID"].strip() == f"<{key}@bongsu>"  # folded: 74 chars
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "warning: Orders APDEX: APDEX 0.52 < 0.7" in text
        assert f"{CONSOLE}/#/dashboard?service=orders" in text
        assert f'<a href="{CONSOLE}/#/dashboard?service=orders">Open in Bongsu</a>' in html
        assert "APDEX 0.52 &lt; 0.7" in html
    finally:
        smtp.stop()


def test_email_failures_are_classified_not_raised(tmp_path: Path) -> None:
    smtp = SmtpReceiver(tmp_path)
    try:
        config = {"host": "127.0.0.1", "port": smtp.port, "username": "alerts",
                  "password": "wrong", "from": "bongsu@example.net",
                  "to": ["ops@example.net"], "ca_file": str(smtp.cert), "timeout_s": 5}
        note = Notification(key="k1", tenant="default", channel_id="mail", group={},
                            status="firing", alerts=[], created_us=T0)
        channel = Channel(id="mail", tenant="default", name="m", type="email", config=config)
        refused = EmailChannel().send(channel, note, SendContext())
        assert not refused.ok and not refused.retryable
        assert refused.error is not None and "login refused: 535" in refused.error
        # An unverifiable certificate (no private CA given) is retried: it may be fixed.
        untrusted = EmailChannel().send(
            Channel(id="m", tenant="default", name="m", type="email",
                    config={**config, "ca_file": None, "password": "pw"}), note, SendContext())
        assert not untrusted.ok and untrusted.retryable
        assert untrusted.error is not None and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
    finally:
        smtp.stop()
    down = EmailChannel().send(
        Channel(id="m", tenant="default", name="m", type="email",
                config={**config, "port": free_port()}), note, SendContext())
    assert not down.ok and down.retryable and down.error is not None
    assert smtp.messages == []


def test_titles_name_the_rule_and_fall_back_to_its_id() -> None:
    def alert(rule_id: str, name: str | None) -> dict[str, Any]:
        a: dict[str, Any] = {"rule_id": rule_id, "labels": {}, "status": "firing"}
        if name is not None:
            a["rule_name"] = name
        return a

    def note(*alerts: dict[str, Any]) -> Notification:
        return Notification(key="k", tenant="default", channel_id="c",
                            group={"rule": "r1", "service": "orders"}, status="firing",
                            alerts=list(alerts), created_us=T0)

    assert title(note(alert("r1", "Orders APDEX"))) == "[FIRING] Orders APDEX: service=orders"
    assert title(note(alert("r1", "Orders APDEX"), alert("r1", "Orders APDEX"))) == (
        "[FIRING] Orders APDEX (2 alerts): service=orders")
    assert title(note(alert("r1", "Orders APDEX"), alert("r2", "Orders p95"))) == (
        "[FIRING] 2 alerts: service=orders")
    # Queued before names were carried, or its rule deleted since: the id stands in.
    assert title(note(alert("r1", None))) == "[FIRING] r1: service=orders"


def test_links_open_the_consoles_hash_routes() -> None:
    context = SendContext("https://bongsu.example.net/")
    assert context.link("/services/orders?to=1800000") == (
        "https://bongsu.example.net/#/dashboard?service=orders&range=custom&from=0"
        "&to=1800000")
    assert context.link("/services/cart%20api?to=7200000") == (
        "https://bongsu.example.net/#/dashboard?service=cart+api&range=custom"
        "&from=5400000&to=7200000")
    assert context.link("/events/ep-1") == "https://bongsu.example.net/#/events/ep-1"
    assert context.link("/alerts") == "https://bongsu.example.net/#/alerts"
    assert context.link("https://runbooks.example.net/x") == "https://runbooks.example.net/x"
    assert context.link(None) is None
    assert SendContext().link("/events/ep-1") == "/#/events/ep-1"  # no console address set
