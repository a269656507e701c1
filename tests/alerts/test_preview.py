"""Rule preview over a real DuckDB store holding known telemetry: a threshold rule fires and
resolves at the times the data gives, ``for`` delays firing by exactly that, predictive and
event rules preview too, each evaluation sees the query service's clock at its own time,
the bounds are refused naming the field, and the API — through a real ``bongsu server`` fed
over OTLP — answers the same 400 as creating the rule and writes nothing to the metadata
database."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from accounts.people import People
from alerts.telemetry import (
    ERRORS_FROM_S,
    ERRORS_UNTIL_S,
    MEMORY_LIMIT,
    MEMORY_SLOPE,
    MEMORY_START,
    Clock,
    S,
    episode,
    load_points,
    load_spans,
    memory_series,
    open_store,
    transactions,
)
from bongsu.accounts.principal import header_tenants
from bongsu.accounts.roles import Role
from bongsu.alerts.kinds import Context, kind, register
from bongsu.alerts.kinds.series import SeriesCache
from bongsu.alerts.model import Rule, Sample
from bongsu.alerts.preview import MAX_EVALUATIONS, Preview, preview
from bongsu.alerts.rules import rule_from_dict
from bongsu.alerts.tables import alert_history, alert_instances
from bongsu.api.app import create_api
from bongsu.api.rule_preview import rule_preview_router
from bongsu.errors import QueryTimeout, RuleError
from bongsu.meta.database import connect
from bongsu.meta.keys import KeyRing
from bongsu.query.service import QueryService
from bongsu.settings import Settings
from bongsu.store.reads import reads_of
from query.dataset import anchor_us
from query.harness import serve
from query.otlp import SpanSpec, traces_request
from server_process import ServerProcess, survivors

ERRORS: dict[str, Any] = {"name": "orders failing", "kind": "threshold", "interval": "1m",
          "spec": {"figure": "error_rate", "op": ">", "value": 0.25, "window_s": 60}}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, int, list[SpanSpec]]]:
    store = open_store(tmp_path_factory.mktemp("preview") / "t.db")
    t0 = anchor_us()
    spans = transactions(t0)
    load_spans(store, spans)
    load_points(store, memory_series(t0))
    # A crash loop seen from 300 s to 600 s.
    store.save_kube_episodes([episode(t0 + 300 * S, last_seen_us=t0 + 600 * S, count=3)])
    yield store, t0, spans
    store.close()


def run(data: tuple[Any, int, list[SpanSpec]], body: dict[str, Any], from_s: int, to_s: int,
        timeout_s: float = 30) -> Preview:
    store, t0, _ = data
    rule = rule_from_dict(body, tenant="default", rule_id="p1")
    reads = reads_of(store, timeout_s=30, max_rows=10_000)
    return preview(rule, reads, Settings(), t0 + from_s * S, t0 + to_s * S,
                   timeout_s=timeout_s)


def changes(found: Preview, t0: int, **labels: str) -> list[tuple[str, str, int]]:
    (ls,) = [ls for ls in found.label_sets if labels.items() <= ls.labels.items()]
    return [(c.old, c.new, (c.at_us - t0) // S) for c in ls.changes]


def test_a_threshold_fires_and_resolves_when_the_data_says(
        data: tuple[Any, int, list[SpanSpec]]) -> None:
    _, t0, spans = data
    found = run(data, ERRORS, 60, 1200)
    assert found.evaluations == [t0 + s * S for s in range(120, 1201, 60)]
    # Every other orders request fails in [300 s, 780 s): over a 60 s window the rate is
    # 0.5 from 360 s to 780 s and over 0.25 only when more than 15 s of the window overlap
    # the stretch: (315 s, 825 s). At a 60 s step to 1,200 s: firing at 360, resolved at 840.
    assert (ERRORS_FROM_S, ERRORS_UNTIL_S) == (300, 780)
    assert changes(found, t0, service="orders") == [("inactive", "firing", 360),
                                                   ("firing", "resolved", 840)]
    assert changes(found, t0, service="frontend") == []
    orders = next(ls for ls in found.label_sets if ls.labels == {"service": "orders"})
    assert [(i.state, (i.start_us - t0) // S, ((i.end_us or t0) - t0) // S)
            for i in orders.intervals] == [("firing", 360, 840)]
    assert orders.state == "resolved"
    # The series is the figure the rule compared, each step recomputed from the spans sent.
    for point in orders.points:
        sent = [s for s in spans if s.service == "orders"
                and point.at_us - 60 * S <= s.start_us < point.at_us]
        assert point.value == pytest.approx(sum(s.is_error for s in sent) / len(sent))
        assert point.value is not None and point.active == (point.value > 0.25)
    assert found.label_sets[0].labels == {"service": "orders"}  # the one that fired first
    assert (found.seen, found.truncated) == (2, False)


def test_for_delays_firing_by_exactly_that(data: tuple[Any, int, list[SpanSpec]]) -> None:
    _, t0, _ = data
    found = run(data, {**ERRORS, "for": "2m"}, 60, 1200)
    assert changes(found, t0, service="orders") == [("inactive", "pending", 360),
                                                   ("pending", "firing", 480),
                                                   ("firing", "resolved", 840)]
    orders = next(ls for ls in found.label_sets if ls.labels == {"service": "orders"})
    assert [(i.state, (i.start_us - t0) // S, None if i.end_us is None
             else (i.end_us - t0) // S) for i in orders.intervals] == [
        ("pending", 360, 480), ("firing", 480, 840)]
    # keep_firing_for 2m: last held at 780 s, so resolved at 900 s, not 840 s.
    kept = run(data, {**ERRORS, "for": "2m", "keep_firing_for": "2m"}, 60, 1200)
    assert changes(kept, t0, service="orders")[-1] == ("firing", "resolved", 900)


def test_a_predictive_rule_fires_when_the_limit_is_within_its_horizon(
        data: tuple[Any, int, list[SpanSpec]]) -> None:
    _, t0, _ = data
    body = {"name": "memory", "kind": "predictive", "interval": "1m",
            "spec": {"metric": "k8s.container.memory.usage", "agg": "max",
                     "group_by": "k8s.pod.name",
                     "limit": {"metric": "k8s.container.memory.limit"},
                     "horizon_s": 7200, "lookback_s": 1800, "step_s": 60}}
    found = run(data, body, 1200, 6600)
    # leaky reaches its limit at (300e6 - 100e6) / 2e4 = 10,000 s: within 7,200 s from
    # 2,800 s on; the first evaluation at or after it (1,200 s + 27 x 60) is 2,820 s.
    exhausted_s = (MEMORY_LIMIT - MEMORY_START) / MEMORY_SLOPE
    assert exhausted_s == 10_000
    leaky = changes(found, t0, **{"k8s.pod.name": "leaky"})
    assert leaky == [("inactive", "firing", 2820)]
    # gone grows the same way, then stops at minute 60 (last point at 3,540 s): refused
    # as stopped once its last point is over stop_steps (3) x 60 s old, at 3,780 s.
    # Its samples sit at each step's start and are timed at the step's middle (30 s later):
    # its exact line reaches the limit at 10,030 s, within the horizon from 2,830 s, so it
    # fires at 2,880 s (leaky's noise, +-25 s of its slope, puts it in by 2,820 s).
    assert changes(found, t0, **{"k8s.pod.name": "gone"}) == [
        ("inactive", "firing", 2880), ("firing", "resolved", 3780)]
    assert changes(found, t0, **{"k8s.pod.name": "rotating"}) == []
    point = next(p for ls in found.label_sets if ls.labels["k8s.pod.name"] == "leaky"
                 for p in ls.points if p.at_us == t0 + 2820 * S)
    assert point.value == pytest.approx(10_000 - 2820, abs=60)  # seconds left


def test_an_event_rule_fires_while_the_episode_is_in_its_window(
        data: tuple[Any, int, list[SpanSpec]]) -> None:
    _, t0, _ = data
    body = {"name": "crash", "kind": "event", "interval": "1m",
            "spec": {"kind": "crash_loop", "window_s": 600}}
    found = run(data, body, 0, 1800)
    # Seen from 300 s (the first evaluation after it: 360 s) until its last sighting at
    # 600 s leaves the 600 s window (after 1,200 s: 1,260 s).
    assert changes(found, t0, pod="cart-7d9f8-x2kq") == [("inactive", "firing", 360),
                                                        ("firing", "resolved", 1260)]
    assert len(found.label_sets) == 1


def test_each_evaluation_sees_the_query_clock_at_its_own_time(
        data: tuple[Any, int, list[SpanSpec]]) -> None:
    _, t0, spans = data
    body = {"name": "quiet", "kind": "threshold", "interval": "10s",
            "spec": {"figure": "tps", "op": "<", "value": 0.5, "window_s": 60,
                     "service": "orders"}}
    found = run(data, body, 1195, 1255)
    # Traffic ends at 1,200 s. TPS divides by the seconds of the (10 s-aligned) window that
    # have happened by the service's clock: at 1,205 s, 60 requests over [1,140 s, 1,205 s)
    # are 0.923/s (with the wall clock, hours later, the whole [1,140 s, 1,210 s): 0.857).
    (orders,) = found.label_sets
    got = [(p.at_us - t0) // S for p in orders.points]
    assert got == [1205, 1215, 1225, 1235, 1245, 1255]
    for p in orders.points:
        start = (p.at_us - 60 * S) // (10 * S) * (10 * S)
        sent = sum(1 for s in spans if s.service == "orders" and s.start_us >= start)
        assert p.value == pytest.approx(sent / ((p.at_us - start) / S))
    assert orders.points[0].value == pytest.approx(60 / 65)
    # So it fires when TPS drops under 0.5: at 1,235 s (30 requests over 65 s = 0.46).
    assert changes(found, t0, service="orders")[0] == ("inactive", "firing", 1235)


MEMORY: dict[str, Any] = {
    "name": "memory", "kind": "predictive", "interval": "1m",
    "spec": {"metric": "k8s.container.memory.usage", "agg": "max", "group_by": "k8s.pod.name",
             "limit": {"metric": "k8s.container.memory.limit"}, "horizon_s": 7200,
             "lookback_s": 1800, "step_s": 60}}
SAME_DATA = [
    MEMORY,
    {**MEMORY, "spec": {**MEMORY["spec"], "group_by": None, "agg": "avg", "limit": 4e8}},
    {"name": "big", "kind": "threshold", "interval": "1m",
     "spec": {"metric": "k8s.container.memory.usage", "agg": "max", "group_by": "k8s.pod.name",
              "op": ">", "value": 2e8, "window_s": 300}},
    {"name": "big", "kind": "threshold", "interval": "1m",
     "spec": {"metric": "k8s.container.memory.usage", "agg": "avg", "op": ">", "value": 2e8,
              "window_s": 300, "service": "shop"}},
    ERRORS,
]


@pytest.mark.parametrize("offset_s", [0, 17])
@pytest.mark.parametrize("body", SAME_DATA, ids=["predictive", "predictive-avg",
                                                 "threshold-metric-grouped",
                                                 "threshold-metric", "figure"])
def test_a_preview_evaluates_as_the_evaluator_would_step_by_step(
        data: tuple[Any, int, list[SpanSpec]], body: dict[str, Any], offset_s: int) -> None:
    store, t0, _ = data
    rule = rule_from_dict(body, tenant="default", rule_id="p1")
    reads = reads_of(store, timeout_s=30, max_rows=10_000)
    found = preview(rule, reads, Settings(), t0 + (300 + offset_s) * S,
                    t0 + (6600 + offset_s) * S, timeout_s=60)
    assert len(found.evaluations) == 105
    # Step by step, as the evaluator does: a context of its own each time, nothing shared.
    cache = SeriesCache(found.evaluations[0], found.evaluations[-1])
    moved = Clock(0)
    cached = Context(QueryService(reads, Settings(), clock=moved), reads, shared=cache)
    expected: dict[tuple[tuple[str, str], ...], list[tuple[int, Any, bool, bool]]] = {}
    for now_us in found.evaluations:
        alone = kind(rule.kind).evaluate(
            rule, Context(QueryService(reads, Settings(), clock=Clock(now_us)), reads), now_us)
        moved.now_us = now_us
        assert kind(rule.kind).evaluate(rule, cached, now_us) == alone  # every field
        for sample in alone:
            expected.setdefault(tuple(sorted(sample.labels.items())), []).append(
                (now_us, sample.value, sample.active, sample.no_data))
    got = {tuple(sorted(ls.labels.items())): [(p.at_us, p.value, p.active, p.no_data)
                                              for p in ls.points] for ls in found.label_sets}
    assert got.keys() == expected.keys() and len(got) >= 1
    for key, points in got.items():
        times = {p[0] for p in expected[key]}
        assert [p for p in points if p[0] in times] == expected[key]
        # The evaluations after a label set's series ended: followed as not seen (no data).
        assert all(p[1:] == (None, False, True) for p in points if p[0] not in times)
    assert any(p[2] for points in got.values() for p in points)  # some evaluation held
    if "metric" in body["spec"] and offset_s == 0:  # windows on step boundaries: from memory
        assert (cache.long_reads, cache.own_reads) == (
            2 if body["kind"] == "predictive" and body["spec"]["group_by"] else 1, 0)
    elif "metric" in body["spec"]:  # windows cutting steps: each read alone
        assert cache.long_reads == 0 and cache.own_reads >= 105


def test_a_long_read_past_max_rows_falls_back_to_a_read_per_window(
        data: tuple[Any, int, list[SpanSpec]]) -> None:
    store, t0, _ = data
    rule = rule_from_dict(MEMORY, tenant="default", rule_id="p1")
    # 3 pods x 30 steps fit in 100 rows; the span's 3 x 130 steps do not.
    reads = reads_of(store, timeout_s=30, max_rows=100)
    times = list(range(t0 + 1800 * S, t0 + 6601 * S, 60 * S))
    cache = SeriesCache(times[0], times[-1])
    clock = Clock(times[0])
    cached = Context(QueryService(reads, Settings(), clock=clock), reads, shared=cache)
    for now_us in times:
        clock.now_us = now_us
        alone = kind(rule.kind).evaluate(
            rule, Context(QueryService(reads, Settings(), clock=Clock(now_us)), reads), now_us)
        assert kind(rule.kind).evaluate(rule, cached, now_us) == alone
        assert any(s.active for s in alone) == (now_us >= t0 + 2820 * S)
    assert (cache.long_reads, cache.own_reads) == (0, 2 * len(times))


class Many:
    """A kind giving 60 label sets, ``n`` of which hold (n = the evaluation's minute)."""

    name = "preview-many"

    def check(self, spec: Any) -> dict[str, Any]:
        return dict(spec)

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        assert ctx.queries.clock() == now_us  # every evaluation's query clock is its time
        minute = now_us // (60 * S) % 60
        return [Sample({"n": f"{k:02d}"}, k < minute, float(k), f"n={k}") for k in range(60)]


def test_at_most_50_label_sets_are_returned_those_that_fired_first(
        data: tuple[Any, int, list[SpanSpec]]) -> None:
    _, t0, _ = data
    register(Many())
    # t0 is an hour boundary: at minute m the label sets 00 .. m-1 hold.
    found = run(data, {"name": "many", "kind": "preview-many", "spec": {}}, 0, 10 * 60)
    assert (found.seen, found.truncated, len(found.label_sets)) == (60, True, 50)
    fired = [ls.labels["n"] for ls in found.label_sets[:10]]
    assert fired == [f"{k:02d}" for k in range(10)]  # 00 .. 09 fired, listed first
    assert all(not ls.changes for ls in found.label_sets[10:])
    assert changes(found, t0, n="03") == [("inactive", "firing", 4 * 60)]


@pytest.mark.parametrize(("from_s", "to_s", "interval", "field"), [
    (0, 8 * 86_400, "1h", r"^from: the window is 8 days; a preview covers at most 7 days"),
    (0, 720 * 60 + 1, "1m", r"^from: the window holds 721 evaluations .* at most 720"),
    (600, 600, "1m", r"^to: must be after from"),
])
def test_the_bounds_are_refused_before_any_work(
        data: tuple[Any, int, list[SpanSpec]], from_s: int, to_s: int, interval: str,
        field: str) -> None:
    with pytest.raises(RuleError, match=field):
        run(data, {**ERRORS, "interval": interval}, from_s, to_s)
    # 12 h at 1 m: the last evaluation at the window's end, the first one step after its start.
    most = run(data, ERRORS, 0, 720 * 60).evaluations
    assert len(most) == MAX_EVALUATIONS == 720
    assert (most[0], most[-1]) == (data[1] + 60 * S, data[1] + 720 * 60 * S)


def test_a_preview_past_its_time_limit_is_cut(data: tuple[Any, int, list[SpanSpec]]) -> None:
    store, t0, _ = data
    rule = rule_from_dict(ERRORS, tenant="default", rule_id="p1")
    reads = reads_of(store, timeout_s=30, max_rows=10_000)
    ticks = iter(range(1000))  # one second passes at each look at the clock
    with pytest.raises(QueryTimeout, match=r"past its time limit of 5 s after 5 of 19 "
                                           r"evaluations"):
        preview(rule, reads, Settings(), t0 + 60 * S, t0 + 1200 * S, timeout_s=5,
                monotonic=lambda: float(next(ticks)))


def test_the_api_answers_504_past_the_query_time_limit(
        data: tuple[Any, int, list[SpanSpec]]) -> None:
    store, t0, _ = data
    app = create_api(Settings(query_timeout_seconds=0.05), store,
                     header_tenants(lambda _a: "default"), routers=[rule_preview_router()],
                     console=False)
    body = {**ERRORS, "interval": "10s", "spec": {**ERRORS["spec"], "by": "instance"},
            "from": t0 // 1000, "to": t0 // 1000 + 7190 * 1000}
    for url in serve(app):
        req = urllib.request.Request(url + "/api/v1/rules/preview", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=60)
        assert err.value.code == 504
        assert "time limit" in json.loads(err.value.read())["detail"]
        assert time.monotonic() - started < 20  # cut, not run to the end


# -- the API through a real server -----------------------------------------------------------

class Api:
    def __init__(self, server: ServerProcess, key: str | None = None) -> None:
        self.server = server
        self.key = key

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        req = urllib.request.Request(
            self.server.api_url + path, method=method,
            data=None if body is None else json.dumps(body).encode(), headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


KEYS: dict[str, str] = {}  # tenant -> ingest key, made before the server starts
TOKENS: dict[str, str] = {}  # tenant -> API token of an editor of its organisation


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, int, Path]]:
    data = tmp_path_factory.mktemp("preview-api") / "data"
    data.mkdir()
    ring = KeyRing(connect(f"sqlite:///{data / 'meta.sqlite'}"))
    for tenant in ("default", "acme"):
        KEYS[tenant] = ring.create(tenant).key
    ring.close()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    try:
        for tenant in KEYS:
            TOKENS[tenant] = people.member(people.org_of(tenant), f"{tenant.upper()}_EDITOR",
                                           Role.EDITOR)[1]
    finally:
        people.close()
    # Accounts mode: the ingest keys write the telemetry, the editors' tokens read it.
    server = ServerProcess(data, {"BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off"}).start()
    try:
        t0 = anchor_us()
        status, _, _ = server.post("/v1/traces", traces_request(transactions(t0)),
                                   headers={"Authorization": f"Bearer {KEYS['default']}"})
        assert status == 200
        server.wait_loaded()
        yield Api(server, TOKENS["default"]), t0, data / "meta.sqlite"
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


def rows(meta: Path) -> tuple[int, int]:
    engine = connect(f"sqlite:///{meta}")
    with engine.connect() as con:
        counts = (con.execute(select(func.count()).select_from(alert_instances)).scalar_one(),
                  con.execute(select(func.count()).select_from(alert_history)).scalar_one())
    engine.dispose()
    return counts


def test_the_api_previews_a_rule_and_saves_nothing(api: tuple[Api, int, Path]) -> None:
    client, t0, meta = api
    before = (client.call("GET", "/api/v1/alerts"), client.call("GET", "/api/v1/rules"),
              rows(meta))
    status, got = client.call("POST", "/api/v1/rules/preview",
                              {**ERRORS, "for": "2m", "from": t0 // 1000 + 60_000,
                               "to": t0 // 1000 + 1_200_000})
    assert status == 200, got
    assert (got["from_ms"], got["to_ms"], got["step_s"], got["evaluations"]) == (
        t0 // 1000 + 120_000, t0 // 1000 + 1_200_000, 60.0, 19)
    assert (got["op"], got["threshold"], got["truncated"]) == (">", 0.25, False)
    orders = next(ls for ls in got["label_sets"] if ls["labels"] == {"service": "orders"})
    at = {c["new"]: (c["at_ms"] - t0 // 1000) // 1000 for c in orders["changes"]}
    assert at == {"pending": 360, "firing": 480, "resolved": 840}
    assert [(i["state"], (i["from_ms"] - t0 // 1000) // 1000,
             (i["to_ms"] - t0 // 1000) // 1000) for i in orders["intervals"]] == [
        ("pending", 360, 480), ("firing", 480, 840)]
    assert len(orders["points"]) == 19 and orders["points"][5]["value"] == pytest.approx(0.5)
    # Nothing was written: no alert, no history, no rule.
    after = (client.call("GET", "/api/v1/alerts"), client.call("GET", "/api/v1/rules"),
             rows(meta))
    assert after == before
    status, history = client.call("GET", f"/api/v1/alerts/history?from={t0 // 1000}")
    assert status == 200 and history["history"] == []


def test_a_preview_sees_only_the_callers_tenant(api: tuple[Api, int, Path]) -> None:
    client, t0, _ = api
    window = {"from": t0 // 1000, "to": t0 // 1000 + 1_200_000}
    mine = client.call("POST", "/api/v1/rules/preview", {**ERRORS, **window})[1]
    status, theirs = Api(client.server, TOKENS["acme"]).call("POST", "/api/v1/rules/preview",
                                                      {**ERRORS, **window})
    assert status == 200, theirs
    assert mine["seen"] == 2 and (theirs["seen"], theirs["label_sets"]) == (0, [])


@pytest.mark.parametrize("bad", [
    {**ERRORS, "spec": {**ERRORS["spec"], "op": "~"}},
    {k: v for k, v in ERRORS.items() if k != "name"},
    {**ERRORS, "interval": "5s"},
    {**ERRORS, "colour": "red"},
    {**ERRORS, "severity": "meh", "for": "soon"},
])
def test_a_bad_rule_is_the_same_400_as_creating_it(api: tuple[Api, int, Path],
                                                   bad: dict[str, Any]) -> None:
    client, t0, _ = api
    created = client.call("POST", "/api/v1/rules", bad)
    previewed = client.call("POST", "/api/v1/rules/preview",
                            {**bad, "from": t0 // 1000, "to": t0 // 1000 + 600_000})
    assert created[0] == previewed[0] == 400
    assert previewed[1]["detail"] == created[1]["detail"]


@pytest.mark.parametrize(("extra", "detail"), [
    ({"from": "yesterday"}, "from: must be epoch milliseconds"),
    ({"to": 1.5}, "to: must be epoch milliseconds"),
    ({"from": 0, "to": 8 * 86_400_000}, "from: the window is 8 days"),
    ({"from": 0, "to": 721 * 60_000}, "from: the window holds 721 evaluations"),
])
def test_a_bad_window_is_a_400_naming_it(api: tuple[Api, int, Path], extra: dict[str, Any],
                                         detail: str) -> None:
    client, _, _ = api
    status, got = client.call("POST", "/api/v1/rules/preview", {**ERRORS, **extra})
    assert status == 400 and got["detail"].startswith(detail), got


def test_the_window_defaults_to_the_hour_before_now(api: tuple[Api, int, Path]) -> None:
    client, _, _ = api
    asked = time.time_ns() // 1_000_000
    status, got = client.call("POST", "/api/v1/rules/preview",
                              {**ERRORS, "to": asked + 3_600_000})  # the future: cut to now
    assert status == 200, got
    assert asked <= got["to_ms"] <= time.time_ns() // 1_000_000
    assert got["from_ms"] == got["to_ms"] - 59 * 60_000  # the first evaluation
    assert got["evaluations"] == 60
