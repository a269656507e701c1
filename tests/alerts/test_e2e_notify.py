"""Notifications end to end through one real ``bongsu server``: a threshold rule over real
OTLP traffic (the OpenTelemetry SDK), an event rule over a crash loop in a watched
loopback cluster, a predictive rule over backfilled gauge points; each reaches a real
webhook receiver (HMAC-signed) and a real SMTP server (STARTTLS and login) exactly once
firing and once resolved, with the rule's name, labels, value and summary, severity and a
console link. Then silences (set after firing: the resolution still arrives; set before:
nothing while it lasts) and receivers that fail (500, a timeout, connection refused).

Every rule is made through the API with a route matching its id alone, so the server's
seeded default rules, which see the same traffic, never reach these receivers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from alerts.receivers import (
    Mail,
    Received,
    SmtpReceiver,
    WebhookReceiver,
    call,
    free_port,
    until,
)
from bongsu.alerts.channels.webhook import verify
from bongsu.simulate.kube import ApiServer, EventRecorder, FakeCluster, shapes
from bongsu.simulate.kube.shapes import messages as msg
from otlp_build import kv
from server_process import ServerProcess, survivors

CONSOLE = "http://console.test"
SECRET = "e2e-hook-secret"
NS, POD = "e2e", "cart-crash"
ENV = {"BONGSU_FSYNC": "off", "BONGSU_LOAD_BATCH_SECONDS": "0.05",
       "BONGSU_KUBE_SILENT_SECONDS": "1.5", "BONGSU_KUBE_BACKOFF_MAX_SECONDS": "1",
       "BONGSU_CONSOLE_URL": CONSOLE}
# Rules are evaluated every 10 s (the shortest interval), the outbox looked at every 1 s:
# a change reaches the receivers within ~two evaluations on a loaded machine.
CHANGE_S = 60.0


@dataclass
class Env:
    server: ServerProcess
    cluster: FakeCluster
    hook: WebhookReceiver
    smtp: SmtpReceiver
    hook_id: str
    mail_id: str

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return call(self.server.api_url, method, path, body)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("e2e-notify")
    cluster = FakeCluster(name="e2e", events_api="both")
    api_server = ApiServer(cluster, bookmark_interval_s=60.0).start()
    kubeconfig = api_server.kubeconfig(tmp / "e2e.kubeconfig")
    cluster.put(shapes.node("node-1", boot_id="boot-1"))
    hook = WebhookReceiver().start()
    smtp = SmtpReceiver(tmp)
    server = ServerProcess(tmp / "data", {**ENV, "BONGSU_KUBE_CLUSTERS": f"e2e={kubeconfig}"})
    try:
        server.start()
        hook_id = _channel(server, "ops hook", "webhook",
                           {"url": hook.url, "secret": SECRET, "timeout_s": 5})
        mail_id = _channel(server, "ops mail", "email", {
            "host": "127.0.0.1", "port": smtp.port, "username": "alerts", "password": "pw",
            "from": "bongsu@example.net", "to": ["ops@example.net"],
            "ca_file": str(smtp.cert), "timeout_s": 5})
        yield Env(server, cluster, hook, smtp, hook_id, mail_id)
    finally:
        server.stop()
        hook.stop()
        smtp.stop()
        api_server.stop()
    assert survivors(server.left_behind) == []


def _channel(server: ServerProcess, name: str, kind: str, config: dict[str, Any]) -> str:
    status, channel = call(server.api_url, "POST", "/api/v1/channels",
                           {"name": name, "type": kind, "config": config})
    assert status == 201, channel
    return str(channel["id"])


def _rule(env: Env, name: str, kind: str, spec: dict[str, Any], severity: str,
          channels: list[str] | None = None) -> dict[str, Any]:
    """A rule evaluated every 10 s, and a route sending its alerts alone to ``channels``
    (both shared receivers by default) with no group wait."""
    status, rule = env.api("POST", "/api/v1/rules", {
        "name": name, "kind": kind, "severity": severity, "interval": "10s", "spec": spec})
    assert status == 201, rule
    status, route = env.api("POST", "/api/v1/routes", {
        "matchers": [{"name": "rule", "op": "=", "value": rule["id"]}],
        "channel_ids": channels or [env.hook_id, env.mail_id], "group_by": ["rule", "service"],
        "group_wait_s": 0, "group_interval_s": 1, "repeat_interval_s": 86_400})
    assert status == 201, route
    return dict(rule)


# What the receivers got, per rule.

def _posts(hook: WebhookReceiver, rule_id: str, status: str) -> list[Received]:
    return [r for r in list(hook.received)
            if r.json()["status"] == status and r.json()["alerts"][0]["rule_id"] == rule_id]


def _mails(env: Env, name: str, status: str) -> list[Mail]:
    return [m for m in env.smtp.mails() if m.subject.startswith(f"[{status.upper()}] {name}")]


def _both(env: Env, rule: dict[str, Any], status: str) -> bool:
    return bool(_posts(env.hook, rule["id"], status)) and bool(
        _mails(env, rule["name"], status))


def _settle() -> None:
    # The outbox is looked at every second and each evaluation drains its transitions
    # within a round: anything still to come for a change is sent within this.
    time.sleep(3.0)


def _one_each(env: Env, rule: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any],
                                                       Mail, Mail]:
    """The one firing and the one resolved notification of ``rule`` on each receiver,
    each webhook body signed with the channel's secret and carrying its key."""
    posts = {s: _posts(env.hook, rule["id"], s) for s in ("firing", "resolved")}
    mails = {s: _mails(env, rule["name"], s) for s in ("firing", "resolved")}
    assert [len(posts["firing"]), len(posts["resolved"])] == [1, 1], [
        r.json() for r in env.hook.received]
    assert [len(mails["firing"]), len(mails["resolved"])] == [1, 1], [
        m.subject for m in env.smtp.mails()]
    bodies = []
    for post in (posts["firing"][0], posts["resolved"][0]):
        assert verify(post.body, post.headers["x-bongsu-signature"], SECRET)
        body = post.json()
        assert post.headers["x-bongsu-idempotency-key"] == body["key"]
        assert len(body["alerts"]) == 1
        bodies.append(body)
    for mail in (mails["firing"][0], mails["resolved"][0]):
        assert mail.tls and mail.rcpt_tos == ["ops@example.net"]
    assert posts["firing"][0].json()["key"] != posts["resolved"][0].json()["key"]
    return bodies[0]["alerts"][0], bodies[1]["alerts"][0], mails["firing"][0], mails[
        "resolved"][0]


def _check_mail(mail: Mail, alert: dict[str, Any], rule_name: str, severity: str) -> None:
    """The e-mail says what the webhook says: the rule, severity, summary and link."""
    assert mail.subject.startswith(f"[{alert['status'].upper()}] {rule_name}"), mail.subject
    said = f"{severity}: {rule_name}: {alert['summary']}"
    assert said in mail.text, mail.text
    assert alert["link"] in mail.text, mail.text
    assert f'<a href="{alert["link"].replace("&", "&amp;")}">Open in Bongsu</a>' in mail.html
    assert rule_name in mail.html


def _dashboard_link(link: str, service: str, at_us: int) -> None:
    """The console's service dashboard ending at the alert's time."""
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == CONSOLE and parts.path == "/", link
    route, _, query = parts.fragment.partition("?")
    q = {k: v[0] for k, v in parse_qs(query).items()}
    assert route == "/dashboard", link
    assert q["service"] == service and q["range"] == "custom", link
    assert int(q["to"]) == at_us // 1000 and int(q["from"]) < int(q["to"]), link


def _alert_state(env: Env, rule_id: str) -> list[str]:
    status, body = env.api("GET", f"/api/v1/alerts?rule_id={rule_id}")
    assert status == 200, body
    return [a["state"] for a in body["alerts"]]


# Telemetry senders.

def _send_spans(env: Env, service: str, ok: int, failed: int) -> None:
    """``ok + failed`` server spans of ``service`` through the official SDK, in one export;
    the failed ones answer 500 with an error status."""
    provider = TracerProvider(resource=Resource.create(
        {"service.name": service, "service.instance.id": f"{service}-1"}))
    exporter = OTLPSpanExporter(endpoint=env.server.otlp_url + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=60_000,
                                                   max_export_batch_size=512))
    tracer = provider.get_tracer("e2e")
    for i in range(ok + failed):
        code = 500 if i < failed else 200
        span = tracer.start_span("POST /checkout", kind=SpanKind.SERVER,
                                 attributes={"http.response.status_code": code})
        if code == 500:
            span.set_status(Status(StatusCode.ERROR, "payment gateway 500"))
        span.end()
    assert provider.force_flush(30_000)
    provider.shutdown()
    env.server.wait_loaded()


def _send_gauge(env: Env, name: str, service: str, points: list[tuple[float, float]]) -> None:
    """Gauge points at explicit times (epoch s), as an OTLP/HTTP request."""
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    rm.resource.attributes.extend([kv("service.name", service),
                                   kv("service.instance.id", f"{service}-1")])
    metric = rm.scope_metrics.add().metrics.add(name=name, unit="By")
    for ts_s, value in points:
        point = metric.gauge.data_points.add()
        point.time_unix_nano = int(ts_s * 1e9)
        point.as_double = value
    status, _, body = env.server.post("/v1/metrics", request.SerializeToString())
    assert status == 200, body
    env.server.wait_loaded()


def test_threshold_error_rate_fires_and_resolves_once_on_both_channels(env: Env) -> None:
    service = "e2e-checkout"
    rule = _rule(env, "Checkout error rate", "threshold", {
        "figure": "error_rate", "op": ">", "value": 0.3, "window_s": 60, "service": service,
    }, "critical")
    _send_spans(env, service, ok=10, failed=10)  # half of them fail
    until("the firing on both channels", lambda: _both(env, rule, "firing"), CHANGE_S)
    _send_spans(env, service, ok=30, failed=0)  # 10 of 50 in the window fail now
    until("the resolution on both channels", lambda: _both(env, rule, "resolved"), CHANGE_S)
    _settle()
    fired, resolved, fired_mail, resolved_mail = _one_each(env, rule)

    for alert in (fired, resolved):
        assert alert["rule_name"] == "Checkout error rate"
        assert alert["labels"] == {"rule": rule["id"], "severity": "critical",
                                   "service": service}
        assert alert["severity"] == "critical"
    assert fired["status"] == "firing" and resolved["status"] == "resolved"
    assert fired["value"] == pytest.approx(0.5)
    assert fired["summary"] == f"error_rate is 0.5 (> 0.3) for service={service}"
    assert resolved["value"] == pytest.approx(0.2)
    assert resolved["summary"] == f"error_rate is 0.2 (> 0.3) for service={service}"
    _dashboard_link(fired["link"], service, fired["fired_at_us"])
    _dashboard_link(resolved["link"], service, resolved["resolved_at_us"])
    assert resolved["fired_at_us"] is None or resolved["fired_at_us"] == fired["fired_at_us"]
    _check_mail(fired_mail, fired, "Checkout error rate", "critical")
    _check_mail(resolved_mail, resolved, "Checkout error rate", "critical")
    assert f"[FIRING] Checkout error rate: service={service}" == fired_mail.subject
    assert "firing since" in fired_mail.text and "resolved " in resolved_mail.text
    assert _alert_state(env, rule["id"]) == ["resolved"]


def _crash_pod(image: str = "shop/cart:1.0") -> dict[str, Any]:
    last = shapes.terminated("Error", 1, started_at=time.time() - 90,
                             finished_at=time.time() - 30, container_id="containerd://c9")
    return shapes.pod(
        POD, NS, node="node-1", uid=f"uid-{POD}", phase="Running",
        containers=[shapes.container("cart", image, memory_limit="256Mi")],
        statuses=[shapes.waiting("cart", image, "CrashLoopBackOff",
                                 msg.crashloop_waiting(40, "cart", POD, NS, f"uid-{POD}"),
                                 restarts=4, last=last)],
        started=time.time() - 900)


def test_event_crash_loop_fires_then_resolves_once_it_ages_out(env: Env) -> None:
    rule = _rule(env, "Cart crash loop", "event",
                 {"kind": "crash_loop", "namespace": NS, "window_s": 10}, "warning")
    pod = _crash_pod()
    env.cluster.put(pod)
    kubelet = EventRecorder(env.cluster, "kubelet", host="node-1")

    def bump() -> bool:
        kubelet.record(pod, "Warning", "BackOff",
                       msg.backoff_restart("cart", POD, NS, f"uid-{POD}"),
                       field_path="spec.containers{cart}")
        return _both(env, rule, "firing")

    until("the firing on both channels", bump, CHANGE_S)
    # The pod recovers and the kubelet says nothing more: the episode leaves the 10 s
    # window and the alert resolves.
    env.cluster.put(shapes.pod(
        POD, NS, node="node-1", uid=f"uid-{POD}", phase="Running",
        containers=[shapes.container("cart", "shop/cart:1.0", memory_limit="256Mi")],
        statuses=[shapes.running("cart", "shop/cart:1.0", started_at=time.time(),
                                 restarts=5)],
        started=time.time() - 900))
    until("the resolution on both channels", lambda: _both(env, rule, "resolved"), 90)
    _settle()
    fired, resolved, fired_mail, resolved_mail = _one_each(env, rule)

    for alert in (fired, resolved):
        assert alert["rule_name"] == "Cart crash loop" and alert["severity"] == "warning"
        labels = alert["labels"]
        assert {k: labels[k] for k in ("rule", "cluster", "namespace", "kind", "pod")} == {
            "rule": rule["id"], "cluster": "e2e", "namespace": NS, "kind": "crash_loop",
            "pod": POD}
        assert POD in alert["summary"], alert["summary"]
    assert fired["value"] >= 1  # the episode's count when it fired
    # The link opens the episode in the console, and the episode is the pod's crash loop.
    prefix = f"{CONSOLE}/#/events/"
    assert fired["link"].startswith(prefix) and resolved["link"] == fired["link"]
    episode_id = fired["link"][len(prefix):]
    status, episode = env.api("GET", f"/api/v1/events/{episode_id}")
    assert status == 200, episode
    assert episode_id in str(episode) and POD in str(episode) and "crash_loop" in str(episode)
    _check_mail(fired_mail, fired, "Cart crash loop", "warning")
    _check_mail(resolved_mail, resolved, "Cart crash loop", "warning")
    assert _alert_state(env, rule["id"]) == ["resolved"]


def _minute_text(at_s: float) -> str:
    return datetime.fromtimestamp(at_s, UTC).strftime("%Y-%m-%d %H:%M UTC")


def test_predictive_fires_with_the_predicted_time_and_resolves_when_the_limit_rises(
        env: Env) -> None:
    service, slope = "e2e-inventory", 2500.0  # bytes a second
    rule = _rule(env, "Inventory heap exhaustion", "predictive", {
        "metric": "e2e.heap.used", "agg": "max", "service": service,
        "limit": {"metric": "e2e.heap.max"}, "horizon_s": 3600, "lookback_s": 1200,
        "step_s": 60}, "critical")
    # 20 minutes backfilled, a point a minute at :30 (mid-step), the newest a minute ago.
    last_s = (int(time.time()) // 60 - 1) * 60 + 30
    times = [last_s - 60 * k for k in range(19, -1, -1)]
    base = 200e6

    def used(t: float) -> float:
        return base + slope * (t - times[0])

    reach_s = last_s + 1815  # 30 min 15 s after the newest point: mid-minute, unambiguous
    limit = used(reach_s)
    _send_gauge(env, "e2e.heap.used", service, [(t, used(t)) for t in times])
    _send_gauge(env, "e2e.heap.max", service, [(t, limit) for t in times])
    until("the firing on both channels", lambda: _both(env, rule, "firing"), CHANGE_S)
    # The limit is raised (a new point of the limit series): exhaustion is 3 h away now,
    # past the 1 h horizon.
    raised_reach_s = last_s + 3 * 3600 + 15
    _send_gauge(env, "e2e.heap.max", service, [(time.time() - 1, used(raised_reach_s))])
    until("the resolution on both channels", lambda: _both(env, rule, "resolved"), CHANGE_S)
    _settle()
    fired, resolved, fired_mail, resolved_mail = _one_each(env, rule)

    for alert in (fired, resolved):
        assert alert["rule_name"] == "Inventory heap exhaustion"
        assert alert["severity"] == "critical"
        assert alert["labels"]["service"] == service and alert["labels"]["rule"] == rule["id"]
    # The fired summary says when (the minute of the straight line's crossing) and how fast.
    assert f"e2e.heap.used predicted to reach {limit:.4g} at {_minute_text(reach_s)}" in (
        fired["summary"]), fired["summary"]
    assert "2500/s" in fired["summary"], fired["summary"]
    found = re.search(r"in (\d+) min", fired["summary"])
    assert found and 25 <= int(found.group(1)) <= 31, fired["summary"]
    # The value is the seconds left. Points are fitted at the start of their step (a
    # point at :30 counts at :00), so the line crosses up to one step early: measured
    # exactly 30 s early here.
    predicted_s = fired["fired_at_us"] / 1e6 + fired["value"]
    assert reach_s - 60 - 1 <= predicted_s <= reach_s + 1, (predicted_s, reach_s)
    # Resolved by the raised limit, not by the series stopping: the new crossing is said.
    assert f"at {_minute_text(raised_reach_s)}" in resolved["summary"], resolved["summary"]
    _dashboard_link(fired["link"], service, fired["fired_at_us"])
    _check_mail(fired_mail, fired, "Inventory heap exhaustion", "critical")
    _check_mail(resolved_mail, resolved, "Inventory heap exhaustion", "critical")
    assert _alert_state(env, rule["id"]) == ["resolved"]


def _queue_rule(env: Env, name: str, service: str,
                channels: list[str] | None = None) -> dict[str, Any]:
    """A metric threshold the test turns on and off: the last queue depth over 100."""
    return _rule(env, name, "threshold", {
        "metric": "e2e.queue.depth", "agg": "last", "op": ">", "value": 100,
        "window_s": 120, "service": service}, "warning", channels)


def _depth(env: Env, service: str, value: float) -> None:
    _send_gauge(env, "e2e.queue.depth", service, [(time.time(), value)])


def _depth_summary(value: int, service: str) -> str:
    return f"e2e.queue.depth is {value} (> 100) for metric=e2e.queue.depth service={service}"


def _silence(env: Env, rule_id: str) -> str:
    status, silence = env.api("POST", "/api/v1/silences", {
        "matchers": [{"name": "rule", "op": "=", "value": rule_id}],
        "ends_ms": int(time.time() * 1000) + 3_600_000, "author": "e2e",
        "comment": "known, being fixed"})
    assert status == 201, silence
    assert silence["active"] is True
    return str(silence["id"])


def test_a_silence_set_after_firing_still_delivers_the_resolution(env: Env) -> None:
    service = "e2e-queue-a"
    rule = _queue_rule(env, "Queue A backlog", service)
    _depth(env, service, 500)
    until("the firing on both channels", lambda: _both(env, rule, "firing"), CHANGE_S)
    _silence(env, rule["id"])
    _depth(env, service, 5)
    until("the resolution on both channels", lambda: _both(env, rule, "resolved"), CHANGE_S)
    _settle()
    fired, resolved, _, resolved_mail = _one_each(env, rule)
    assert fired["summary"] == _depth_summary(500, service)
    assert resolved["summary"] == _depth_summary(5, service)
    _check_mail(resolved_mail, resolved, "Queue A backlog", "warning")


def test_a_silence_set_before_firing_holds_it_until_the_silence_ends(env: Env) -> None:
    service = "e2e-queue-b"
    rule = _queue_rule(env, "Queue B backlog", service)
    silence_id = _silence(env, rule["id"])
    _depth(env, service, 700)
    until("the alert firing", lambda: _alert_state(env, rule["id"]) == ["firing"], CHANGE_S)
    fired_ms = int(time.time() * 1000)
    # Two more evaluations while it fires under the silence: nothing is sent.
    until("two evaluations more", lambda: _evaluated_since(env, rule["id"], fired_ms + 10_000),
          CHANGE_S)
    _settle()
    assert _posts(env.hook, rule["id"], "firing") == []
    assert _mails(env, rule["name"], "firing") == []
    # The silence ends while it still fires: the held firing is sent then, once.
    status, _ = env.api("DELETE", f"/api/v1/silences/{silence_id}")
    assert status in (200, 204)
    until("the held firing on both channels", lambda: _both(env, rule, "firing"), CHANGE_S)
    _depth(env, service, 1)
    until("the resolution on both channels", lambda: _both(env, rule, "resolved"), CHANGE_S)
    _settle()
    fired, resolved, _, _ = _one_each(env, rule)
    assert fired["summary"] == _depth_summary(700, service)
    assert resolved["status"] == "resolved"


def _evaluated_since(env: Env, rule_id: str, since_ms: int) -> bool:
    status, body = env.api("GET", f"/api/v1/alerts?rule_id={rule_id}")
    assert status == 200, body
    return bool(body["alerts"]) and all(a["last_eval_ms"] > since_ms for a in body["alerts"])


def test_failing_receivers_get_retries_and_once_healthy_one_copy(env: Env) -> None:
    failing = WebhookReceiver(mode="error").start()  # answers 500
    slow = WebhookReceiver(mode="stall", stall_s=3.0).start()  # past the 1 s timeout
    down_port = free_port()  # nothing listens: connection refused
    down = WebhookReceiver(port=down_port)
    try:
        channels = [
            _channel(env.server, "failing hook", "webhook",
                     {"url": failing.url, "secret": SECRET, "timeout_s": 5}),
            _channel(env.server, "slow hook", "webhook",
                     {"url": slow.url, "secret": SECRET, "timeout_s": 1}),
            _channel(env.server, "down hook", "webhook",
                     {"url": f"http://127.0.0.1:{down_port}/hook", "secret": SECRET,
                      "timeout_s": 5}),
        ]
        service = "e2e-queue-f"
        rule = _queue_rule(env, "Queue F backlog", service, channels)
        _depth(env, service, 900)
        # The three are tried in the same rounds: two attempts at the failing and the slow
        # one mean the refused one was tried (and retried) too.
        until("two failed attempts each", lambda: failing.attempts >= 2 and slow.attempts >= 2,
              CHANGE_S)
        assert failing.received == []
        failing.mode = slow.mode = "ok"
        down.start()
        until("a copy on each once healthy",
              lambda: failing.received and slow.received and down.received, CHANGE_S)
        _settle()
        # The failing and the refused one were told once; the slow one took copies while
        # the sender had given up on them (at least once), all under one key.
        assert len(failing.received) == 1 and len(down.received) == 1
        assert len(slow.distinct()) == 1
        keys = {r.headers["x-bongsu-idempotency-key"] for r in slow.received}
        assert keys == set(slow.distinct())
        for hook in (failing, slow, down):
            for r in hook.received:
                assert verify(r.body, r.headers["x-bongsu-signature"], SECRET)
                assert r.json()["status"] == "firing"
                assert r.json()["alerts"][0]["rule_name"] == "Queue F backlog"
        slow_copies = len(slow.received)
        _depth(env, service, 0)
        until("the resolution on each",
              lambda: all(_posts(h, rule["id"], "resolved") for h in (failing, slow, down)),
              CHANGE_S)
        _settle()
        for hook in (failing, slow, down):
            assert len(_posts(hook, rule["id"], "resolved")) == 1
            assert len(_posts(hook, rule["id"], "firing")) == (
                slow_copies if hook is slow else 1)
    finally:
        failing.stop()
        slow.stop()
        down.stop()
