"""The Kubernetes pages (Events, episode detail, Containers, Clusters, Ingress) and the
dashboard's event markers, against the real server watching the two clusters
``bongsu simulate --kube`` serves and one that cannot be reached (``conftest.py``).

Each page is opened on a fixed (custom) time range, so it asks the API once and does
not refresh: what the user sees is compared with the JSON the page received (caught on
the wire) and with the test's own call for the same figures.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, Problems
from .test_console import shot, wait_charts

pytestmark = pytest.mark.timeout(180)

#: The fixed window pages are opened on: the OTLP backfill covers 20 minutes; the
#: clusters' episodes begin with the session, a few minutes ago.
WINDOW_MINUTES = 20
EPISODE_MINUTES = 6


def window(minutes: int = WINDOW_MINUTES) -> dict[str, int]:
    to = int(time.time() * 1000)
    return {"from": to - minutes * 60_000, "to": to}


def open_fixed(
    page: Any, console: Console, route: str, api: str, minutes: int = WINDOW_MINUTES,
    **params: Any,
) -> Any:
    """Open ``#/<route>`` on a fixed window and return the JSON of its ``api`` call."""
    w = window(minutes)
    query = urllib.parse.urlencode(
        {"range": "custom", **w, "lang": "en", "theme": "dark", **params}
    )
    with page.expect_response(lambda r: urllib.parse.urlsplit(r.url).path == f"/api/v1{api}",
                              timeout=30_000) as resp:
        page.goto(f"{console.url}/#/{route}?{query}")
    assert resp.value.status == 200, resp.value.text()
    return resp.value.json()


def fmt_num(v: float, digits: int) -> str:
    """The console's English number format (``fmtNum``)."""
    if abs(v) >= 1000:
        return f"{round(v):,}"
    text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def pct(v: float) -> str:
    """The console's English percent format (``fmtPct``)."""
    return fmt_num(v * 100, 2 if v < 0.1 else 1) + "%"


EVENT_ROWS = """() => [...document.querySelectorAll('#events-table tbody tr')].map(r => {
  const cell = c => r.querySelector('td.' + c).innerText;
  return {id: r.dataset.eventId, kind: r.dataset.kind, severity: r.dataset.severity,
          summary: cell('summary'), count: Number(cell('count')), object: cell('object'),
          service: cell('service'), cluster: cell('cluster')};
})"""
#: What the console shows for a missing value.
NONE = "\u2013"


def event_rows(page: Any) -> list[dict[str, Any]]:
    page.wait_for_selector("#events-table tbody tr", timeout=20_000)
    return list(page.evaluate(EVENT_ROWS))


def check_event_rows(ui: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    """The table lists exactly the episodes of the API's answer, in its order."""
    assert [r["id"] for r in ui] == [e["id"] for e in events]
    for r, e in zip(ui, events, strict=True):
        assert (r["kind"], r["severity"], r["summary"], r["count"]) == (
            e["kind"], e["severity"], e["summary"], e["count"]), (r, e)
        assert r["object"] == f"{e['object_kind']}/{e['object_name']}"
        assert r["service"] == (e["service"] or NONE)
        assert r["cluster"] == e["cluster"] + (f" / {e['namespace']}" if e["namespace"] else "")


def test_events_page_shows_the_api_episodes(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    body = open_fixed(page, console, "events", "/events", EPISODE_MINUTES)
    events = body["events"]
    assert events, "the simulated clusters produced no episode"
    check_event_rows(event_rows(page), events)
    # The timeline draws one dot per episode, a row per kind present.
    assert wait_charts(page, "#events-timeline") == [len(events)]
    rows = json.loads(page.get_attribute("#events-timeline", "data-rows"))
    kinds = {e["kind"] for e in events}
    assert len(rows) == len(kinds)
    # The simulated shop's troubles, each explained once per episode.
    assert {"crash_loop", "oom_killed", "image_pull"} <= kinds, kinds
    # The test's own call for the same window: the same episodes (counts may have grown).
    again = {
        e["id"]: e
        for e in console.get("/api/v1/events", limit=500, **_window_of(page))["events"]
    }
    for e in events:
        if e["id"] in again:
            assert again[e["id"]]["summary"] == e["summary"]
            assert again[e["id"]]["count"] >= e["count"]
    assert sum(e["id"] in again for e in events) >= len(events) * 0.9
    # By cluster: one timeline row per cluster with episodes.
    page.click("#event-filters a[data-by=cluster]")
    page.wait_for_function(
        "n => (e => e && JSON.parse(e.dataset.rows || '[]').length == n)"
        "(document.querySelector('#events-timeline'))",
        arg=len({e["cluster"] for e in events}),
        timeout=20_000,
    )
    assert "by=cluster" in page.url
    page.click("#event-filters a[data-by=kind]")
    page.wait_for_selector("#events-table tbody tr")
    shot(page, screenshots, "events")
    problems.check()


def call(r: Any, path: str, has: str = "") -> bool:
    """Whether response ``r`` is the page's call of ``/api/v1<path>`` with ``has`` in its query."""
    url = urllib.parse.urlsplit(r.url)
    return url.path == f"/api/v1{path}" and has in url.query


def events_call(r: Any, has: str) -> bool:
    return call(r, "/events", has)


def _window_of(page: Any) -> dict[str, str]:
    q = urllib.parse.parse_qs(page.url.split("?", 1)[1])
    return {"from": q["from"][0], "to": q["to"][0]}


def page_events(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(EVENT_ROWS))


def test_event_filters_are_kept_in_the_url_and_match_the_api(
    page: Any, console: Console, problems: Problems
) -> None:
    open_fixed(page, console, "events", "/events")
    event_rows(page)
    # Severity: only critical episodes, exactly those the API returns for it.
    with page.expect_response(lambda r: events_call(r, "severity=critical")) as resp:
        page.select_option("#f-severity", "critical")
    critical = resp.value.json()["events"]
    assert critical and "severity=critical" in page.url
    page.wait_for_function(
        "n => document.querySelectorAll('#events-table tbody tr').length == n", arg=len(critical)
    )
    check_event_rows(event_rows(page), critical)
    assert all(e["severity"] == "critical" for e in critical)
    # Cluster on top: both filters in the URL and in the API call.
    cluster = critical[0]["cluster"]
    with page.expect_response(lambda r: events_call(r, f"cluster={cluster}")) as resp:
        page.select_option("#f-cluster", cluster)
    both = resp.value.json()["events"]
    assert "severity=critical" in resp.value.url
    assert both and all(e["cluster"] == cluster and e["severity"] == "critical" for e in both)
    assert f"cluster={cluster}" in page.url and "severity=critical" in page.url
    page.wait_for_function(
        "n => document.querySelectorAll('#events-table tbody tr').length == n", arg=len(both)
    )
    check_event_rows(event_rows(page), both)
    # A link with the filters reproduces the view (reload).
    page.reload()
    page.wait_for_selector("#events-table tbody tr")
    assert page.input_value("#f-severity") == "critical"
    assert page.input_value("#f-cluster") == cluster
    # Text search: a word of a summary finds that episode.
    target = both[0]
    word = max(re.findall(r"[\w-]{5,}", target["summary"]), key=len)
    with page.expect_response(lambda r: events_call(r, "q=")) as resp:
        page.fill("#f-q", word)
        page.press("#f-q", "Enter")
    found = resp.value.json()["events"]
    assert target["id"] in {e["id"] for e in found}
    assert f"q={urllib.parse.quote(word)}" in page.url or f"q={word}" in page.url
    page.wait_for_function(
        "n => document.querySelectorAll('#events-table tbody tr').length == n", arg=len(found)
    )
    check_event_rows(event_rows(page), found)
    problems.check()


def test_episode_detail_shows_its_count_timeline_and_raw_object(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    events = open_fixed(page, console, "events", "/events", EPISODE_MINUTES)["events"]
    event_rows(page)
    # The most repeated episode: its count over time has the most steps.
    target = max(events, key=lambda e: (e["count"], e["kind"] == "crash_loop"))
    with page.expect_response(
        lambda r: urllib.parse.urlsplit(r.url).path == f"/api/v1/events/{target['id']}"
    ) as resp:
        page.click(f"#events-table tr[data-event-id='{target['id']}']")
    detail = resp.value.json()
    assert f"#/events/{target['id']}" in page.url
    page.wait_for_selector("#event-summary")
    assert page.inner_text("#event-summary") == detail["summary"]
    assert page.inner_text("#event-message") == detail["message"]
    fields = dict(
        page.evaluate(
            "() => [...document.querySelectorAll('#event-fields dd')]"
            ".map(d => [d.className, d.innerText])"
        )
    )
    assert fields["count"] == str(detail["count"])
    assert fields["cluster"] == detail["cluster"] and fields["reason"] == detail["reason"]
    assert fields["object"] == f"{detail['object_kind']}/{detail['object_name']}"
    # The count timeline: one point per sighting the API kept, ending at the count.
    assert wait_charts(page, "#event-count-chart") == [len(detail["counts"])]
    assert len(detail["counts"]) >= 1
    last = page.get_attribute("#event-count-chart", "data-last")
    assert last == str(detail["counts"][-1]["count"])
    # The raw object, indented, equal to the API's; collapsible.
    raw = detail["raw"] if not isinstance(detail["raw"], str) else json.loads(detail["raw"])
    assert json.loads(page.inner_text("#event-raw")) == raw
    assert "\n  " in page.inner_text("#event-raw")
    page.click("#event-raw-details summary")
    assert not page.is_visible("#event-raw")
    page.click("#event-raw-details summary")
    assert page.is_visible("#event-raw")
    # The links: the service's dashboard, and every episode of the pod.
    if detail["service"]:
        href = page.get_attribute("#event-dashboard", "href")
        assert href.startswith("#/dashboard?") and f"service={detail['service']}" in href
    else:
        assert page.locator("#event-dashboard").count() == 0
    shot(page, screenshots, "event-detail")
    page.click("#event-back")
    page.wait_for_selector(f"#events-table tr[data-event-id='{target['id']}']")
    problems.check()


def test_episode_detail_links_to_the_pods_service_dashboard(
    page: Any, console: Console, problems: Problems
) -> None:
    events = open_fixed(page, console, "events", "/events")["events"]
    linked = [e for e in events if e["service"] and e["pod"]]
    assert linked, "no episode of a pod linked to a service"
    target = linked[0]
    page.goto(f"{console.url}/#/events/{target['id']}?range=1h&lang=en&theme=dark")
    page.wait_for_selector("#event-dashboard")
    page.click("#event-dashboard")
    page.wait_for_selector("#page-dashboard")
    assert page.url.split("#/")[1].startswith("dashboard?")
    assert f"service={urllib.parse.quote(target['service'])}" in page.url
    problems.check()


CONTAINER_ROWS = """() => [...document.querySelectorAll('#containers-table tbody tr')].map(r => {
  const cell = c => r.querySelector('td.' + c);
  const meter = c => cell(c).querySelector('.meter');
  return {cluster: r.dataset.cluster, namespace: r.dataset.namespace, pod: r.dataset.pod,
          container: r.dataset.container, phase: r.dataset.phase, ready: r.dataset.ready,
          cpu: meter('cpu')?.dataset.fraction ?? null, mem: meter('mem')?.dataset.fraction ?? null,
          memLevel: meter('mem')?.className ?? '', memText: cell('mem').innerText,
          restarts: cell('restarts').innerText, term: cell('term').innerText,
          reason: cell('term').dataset.reason, service: cell('service').innerText,
          node: cell('node').innerText};
})"""


def test_containers_page_shows_usage_against_limits(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    pods = open_fixed(page, console, "containers", "/kube/pods")["pods"]
    assert pods
    page.wait_for_selector("#containers-table tbody tr")
    ui = {(r["cluster"], r["namespace"], r["pod"], r["container"]): r
          for r in page.evaluate(CONTAINER_ROWS)}
    api = {(p["cluster"], p["namespace"], p["name"], c["name"]): (p, c)
           for p in pods for c in p["containers"]}
    # A pod without containers yet is one row of its own.
    bare = {(p["cluster"], p["namespace"], p["name"], "") for p in pods if not p["containers"]}
    assert set(ui) == set(api) | bare
    oom = metered = 0
    for key, (p, c) in api.items():
        r = ui[key]
        assert (r["phase"], r["ready"]) == (p["phase"], str(p["ready"]).lower())
        assert r["restarts"] == str(c["restarts"])
        assert r["node"] == (p["node"] or NONE)
        for res, col in (("cpu", "cpu"), ("memory", "mem")):
            f = c[res]["limit_fraction"]
            if f is not None and c[res]["limit"]:
                assert r[col] is not None and abs(float(r[col]) - f) < 1e-9, (key, res, r[col], f)
        f = c["memory"]["limit_fraction"]
        if c["memory"]["limit"] and f is not None and c["memory"]["usage"] is not None:
            metered += 1
            assert pct(f) in r["memText"], (r["memText"], f)
            # Colours past 80 / 90 % of the limit.
            want = "meter-bad" if f >= 0.9 else "meter-warn" if f >= 0.8 else "meter-good"
            assert want in r["memLevel"], (key, f, r["memLevel"])
        term = c["last_termination"]
        assert r["reason"] == (term["reason"] if term else "")
        if term and term["reason"] == "OOMKilled":
            oom += 1
            assert "OOMKilled" in r["term"]
            limit = c["memory"]["limit"]
            assert limit and f"limit {fmt_bytes(limit)}" in r["term"]
        # Pods no agent reports from are listed too, marked so.
        assert r["service"] == (p["service"] or "no agent")
    assert oom >= 1, "no OOM-killed container in the simulated clusters"
    assert metered >= 1, "no container with memory usage against a limit"
    assert any(not p["service"] for p in pods), "no Kubernetes-only pod"
    # The OOM-killed container is highlighted.
    assert page.locator("#containers-table tr.oom td.term.bad-text").count() == oom
    shot(page, screenshots, "containers")

    # Filter by cluster: the API's pods of that cluster, and only those.
    cluster = sorted(console.clusters)[0]
    with page.expect_response(lambda r: call(r, "/kube/pods", f"cluster={cluster}")) as resp:
        page.select_option("#f-cluster", cluster)
    mine = resp.value.json()["pods"]
    assert mine and all(p["cluster"] == cluster for p in mine)
    theirs = {(p["name"], c["name"]) for p in mine for c in p["containers"]}
    theirs |= {(p["name"], "") for p in mine if not p["containers"]}
    page.wait_for_function(
        "n => document.querySelectorAll('#containers-table tbody tr').length == n", arg=len(theirs)
    )
    got = {(r["pod"], r["container"]) for r in page.evaluate(CONTAINER_ROWS)}
    assert got == theirs and f"cluster={cluster}" in page.url
    problems.check()


def fmt_bytes(v: float) -> str:
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    i = 0
    while abs(v) >= 1024 and i < len(units) - 1:
        v /= 1024
        i += 1
    return f"{fmt_num(v, 1)} {units[i]}"


CLUSTER_CARDS = """() => [...document.querySelectorAll('.cluster-card')].map(e => {
  const text = sel => e.querySelector(sel)?.innerText ?? null;
  return {cluster: e.dataset.cluster, state: e.dataset.state, label: text('.cluster-label'),
          error: text('.cluster-error'), nodes: text('dd.nodes'), pods: text('dd.pods'),
          warnings: text('dd.warnings'), criticals: text('dd.criticals')};
})"""


def test_clusters_page_shows_state_and_traffic_share(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    traffic: dict[str, Any] = {}

    def on_response(r: Any) -> None:
        if call(r, "/kube/traffic") and r.status == 200:
            body = r.json()
            traffic[body["service"]] = body

    page.on("response", on_response)
    clusters = open_fixed(page, console, "clusters", "/kube/clusters")["clusters"]
    page.wait_for_selector(".cluster-card")
    cards = {c["cluster"]: c for c in page.evaluate(CLUSTER_CARDS)}
    watched = {*console.clusters, console.unreachable, console.edge}
    assert set(cards) == {c["name"] for c in clusters} == watched
    for c in clusters:
        card = cards[c["name"]]
        assert (card["state"], card["label"]) == (c["state"], c["label"])
        assert card["nodes"] == f"{c['nodes']['ready']} / {c['nodes']['total']}"
        assert card["pods"] == f"{c['pods']['ready']} / {c['pods']['total']}"
        recent = c["recent"]
        assert (card["warnings"], card["criticals"]) == (
            str(recent["warning"]), str(recent["critical"]))
    # The cluster nobody serves: unreachable, with its error.
    dead = next(c for c in clusters if c["name"] == console.unreachable)
    assert dead["state"] == "unreachable" and dead["error"]
    assert cards[console.unreachable]["error"] == dead["error"]
    for name in [*console.clusters, console.edge]:
        assert cards[name]["state"] == "connected" and not cards[name]["error"]
        assert int(cards[name]["pods"].split(" / ")[1]) > 0
    for name, label in console.clusters.items():
        assert cards[name]["label"] == label
    # Per service, the share of its transactions by cluster beside its replicas.
    wait_charts(page, ".share-chart, .replicas-chart")
    services = [e.get_attribute("data-service") for e in page.query_selector_all(".traffic-row")]
    assert services and set(services) <= set(traffic)
    split = 0
    for service in services:
        body = traffic[service]
        points = sum(len(c["points"]) for c in body["clusters"])
        share = page.locator(f".share-chart[data-service='{service}']")
        replicas = page.locator(f".replicas-chart[data-service='{service}']")
        assert int(share.get_attribute("data-points")) == points
        assert int(replicas.get_attribute("data-points")) == points
        latest = json.loads(share.get_attribute("data-latest"))
        assert latest == latest_shares(body), service
        if latest:
            assert abs(sum(latest.values()) - 1) < 1e-6
        window = json.loads(share.get_attribute("data-shares"))
        assert window == {cluster_name(c): c["share"] for c in body["clusters"]}
        if len([v for v in window.values() if v]) >= 2:
            split += 1
        assert json.loads(replicas.get_attribute("data-latest")) == {
            cluster_name(c): latest_replicas(c) for c in body["clusters"]
        }
    assert split >= 1, "no service served by both clusters"
    shot(page, screenshots, "clusters")
    problems.check()


def cluster_name(c: dict[str, Any]) -> str:
    return c["cluster"] if c["cluster"] is not None else "(no cluster)"


def latest_shares(body: dict[str, Any]) -> dict[str, float]:
    steps: dict[int, dict[str, float]] = {}
    for c in body["clusters"]:
        for x in c["points"]:
            if x["share"] is not None:
                steps.setdefault(x["ts"], {})[cluster_name(c)] = x["share"]
    return steps[max(steps)] if steps else {}


def latest_replicas(c: dict[str, Any]) -> float | None:
    known = [x["replicas"] for x in c["points"] if x["replicas"] is not None]
    return known[-1] if known else None


INGRESS_ROWS = """() => [...document.querySelectorAll('#ingress-table tbody tr')].map(r => ({
  key: [r.dataset.cluster, r.dataset.namespace, r.dataset.ingress, r.dataset.host, r.dataset.path],
  cells: Object.fromEntries([...r.cells].map(c => [c.className.split(' ').pop(), c.innerText]))
}))"""


def test_ingress_page_shows_routes_and_their_traffic(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    routes = open_fixed(page, console, "ingress", "/kube/ingresses")["routes"]
    assert routes
    page.wait_for_selector("#ingress-table tbody tr")
    ui = {tuple(r["key"]): r["cells"] for r in page.evaluate(INGRESS_ROWS)}

    def key(r: dict[str, Any]) -> tuple[str, ...]:
        return tuple(r[k] or "" for k in ("cluster", "namespace", "name", "host", "path"))

    assert set(ui) == {key(r) for r in routes}
    measured = 0
    for r in routes:
        cells = ui[key(r)]
        if r["backend_service"]:
            assert cells["backend"] == f"{r['backend_service']}:{r['backend_port'] or ''}"
        assert cells["service"] == (r["service"] or NONE)
        if r["requests_per_s"] is not None:
            measured += 1
            assert cells["rps"] == fmt_num(r["requests_per_s"], 2)
            for col, rate in (("r4xx", r["error_rate_4xx"]), ("r5xx", r["error_rate_5xx"])):
                assert cells[col] == (NONE if rate is None else pct(rate)), (col, cells, rate)
    assert measured >= 1, "no route with the controller's metrics"
    assert set(console.clusters) <= {r["cluster"] for r in routes}
    assert wait_charts(page, "#ingress-chart") == [min(15, measured)]
    shot(page, screenshots, "ingress")
    problems.check()


def test_dashboard_shows_the_services_episodes_as_markers(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    # The app under the agent, whose pod on the edge cluster was OOM-killed (conftest.py).
    service = console.agent_service
    mine = open_fixed(
        page, console, "dashboard", "/events", EPISODE_MINUTES, service=service
    )["events"]
    assert mine and all(e["service"] == service for e in mine)
    start, end = (int(v) for v in _window_of(page).values())

    def at(e: dict[str, Any]) -> int:
        return int(e["first_seen"] if e["first_seen"] >= start else e["last_seen"])

    chart = "#avg-panel .chart"
    page.wait_for_function(
        "sel => JSON.parse(document.querySelector(sel).dataset.markers || '[]').length > 0",
        arg=chart,
        timeout=20_000,
    )
    markers = json.loads(page.get_attribute(chart, "data-markers"))
    by_id = {e["id"]: e for e in mine}
    assert {m["id"] for m in markers} <= set(by_id)
    for m in markers:
        e = by_id[m["id"]]
        assert (m["summary"], m["severity"], m["ts"]) == (e["summary"], e["severity"], at(e))
    # Every episode of the window is drawn (at most 60, the most severe first).
    in_window = [e for e in mine if start <= at(e) <= end]
    assert len(markers) == min(60, len(in_window))
    # The same markers on the other time charts.
    for other in ("#err-panel .chart", "#mem-panel .chart", "#db-panel .chart"):
        drawn = json.loads(page.get_attribute(other, "data-markers") or "[]")
        assert [m["id"] for m in drawn] == [m["id"] for m in markers], other
    # Hover: the episode's summary in the tooltip (of a line no other line is close to,
    # preferring a critical one).
    def room(m: dict[str, Any]) -> float:
        return min((abs(m["x"] - o["x"]) for o in markers if o is not m), default=1e9)

    target = max(markers, key=lambda m: (room(m) >= 6, m["severity"] == "critical", room(m)))
    box = page.locator(chart).bounding_box()
    page.mouse.move(box["x"] + target["x"], box["y"] + box["height"] / 2)
    page.wait_for_function(
        "([sel, text]) => [...document.querySelectorAll(sel + ' div')]"
        ".some(d => d.innerText.includes(text))",
        arg=[chart, target["summary"]],
        timeout=5_000,
    )
    shot(page, screenshots, "dashboard-events")
    # The service's pods that died in the window say why.
    pods = console.get("/api/v1/kube/pods", service=service)["pods"]
    died = [
        (p, c)
        for p in pods
        for c in p["containers"]
        if (t := c["last_termination"]) and t["finished_at"] >= start and t["reason"] != "Completed"
    ]
    notes = page.evaluate(
        "() => [...document.querySelectorAll('#pod-notes li')]"
        ".map(l => [l.dataset.pod, l.dataset.reason, l.innerText])"
    )
    shown = {(n[0], n[1]): n[2] for n in notes}
    assert any(c["last_termination"]["reason"] == "OOMKilled" for _, c in died), died
    for p, c in died:
        reason = c["last_termination"]["reason"]
        assert (p["name"], reason) in shown, (p["name"], reason, notes)
        if reason == "OOMKilled":
            limit = re.escape(fmt_bytes(c["memory"]["limit"]))
            text = shown[(p["name"], reason)]
            assert re.fullmatch(
                rf"{re.escape(p['name'])}: OOM-killed at \d\d:\d\d:\d\d, limit {limit}", text
            ), text
    problems.check()


#: Each page's panel titles in Korean (web/src/strings/{events,containers,clusters,ingress}.ts).
KOREAN = {
    "events": ("#events-panel h3", "에피소드"),
    "containers": ("#containers-panel h3", "파드와 컨테이너"),
    "clusters": ("#clusters-panel h3", "클러스터"),
    "ingress": ("#ingress-panel h3", "라우트"),
}


def test_kubernetes_pages_in_korean_and_the_light_theme(
    page: Any, console: Console, problems: Problems
) -> None:
    for route, (title, text) in KOREAN.items():
        query = urllib.parse.urlencode({"range": "15m", "lang": "ko", "theme": "light"})
        page.goto(f"{console.url}/#/{route}?{query}")
        page.wait_for_selector(f"{title} >> text={text}", timeout=20_000)
        assert page.get_attribute("html", "data-theme") == "light"
        assert page.get_attribute("html", "lang") == "ko"
        page.wait_for_selector("table.grid tbody tr, .cluster-card", timeout=20_000)
        body = page.inner_text("main")
        # Every label found its Korean text: no key (`ev.kind`) and no "undefined".
        assert not re.search(r"\b(ev|ct|cl|ig)\.[a-z]", body), route
        assert "undefined" not in body, route
        assert page.inner_text(f"nav.menu a[data-page={route}]").strip().endswith(
            {"events": "이벤트", "containers": "컨테이너", "clusters": "클러스터",
             "ingress": "인그레스"}[route])
    problems.check()
