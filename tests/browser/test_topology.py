"""The topology maps in a real Chromium, measured in the SVG the chart really draws.

The chart lists what it drew in ``data-drawn`` (each node's id, kind, label lines and
box; each edge's label; each service box at instance level). The tests find every one
of them in the SVG — a node as the shape of its claimed size at its claimed place, a
label as the ``<text>`` elements with its text, which must be all the text drawn — and
check the boxes the browser reports (``getBoundingClientRect``): no node overlaps a
node, no label overlaps a node or another label, at 1366x768, on both maps.
"""

from __future__ import annotations

import re
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import Console, Problems

pytestmark = pytest.mark.timeout(180)

CHART_WAIT_MS = 20_000
#: Boxes may touch; anything more than this (px, both ways) is an overlap.
TOUCH = 0.5

# Everything drawn, in pixels from the chart's top-left corner.
COLLECT = """el => {
  const o = el.getBoundingClientRect();
  const box = r => ({x: r.left - o.left, y: r.top - o.top, w: r.width, h: r.height});
  const svg = el.querySelector('svg');
  return {
    drawn: JSON.parse(el.dataset.drawn),
    chart: {x: o.left, y: o.top, w: o.width, h: o.height},
    viewport: {w: window.innerWidth},
    texts: [...svg.querySelectorAll('text')]
      .map(t => ({text: t.textContent, ...box(t.getBoundingClientRect())}))
      .filter(t => t.text !== ''),
    shapes: [...svg.querySelectorAll('path, rect, circle, ellipse, polygon')]
      .map(s => box(s.getBoundingClientRect())),
  };
}"""


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    what: str = ""

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def overlaps(self, o: Box) -> bool:
        dx = min(self.x + self.w, o.x + o.w) - max(self.x, o.x)
        dy = min(self.y + self.h, o.y + o.h) - max(self.y, o.y)
        return dx > TOUCH and dy > TOUCH

    def inside(self, o: Box) -> bool:
        return (
            self.x >= o.x - TOUCH
            and self.y >= o.y - TOUCH
            and self.x + self.w <= o.x + o.w + TOUCH
            and self.y + self.h <= o.y + o.h + TOUCH
        )

    @staticmethod
    def union(boxes: list[Box], what: str) -> Box:
        x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
        x1, y1 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
        return Box(x0, y0, x1 - x0, y1 - y0, what)


@dataclass
class Drawing:
    """One topology map as drawn: shapes and labels found in the SVG."""

    drawn: dict[str, Any]
    nodes: dict[str, Box]  # node id → its shape
    groups: dict[str, Box]  # service → its box (instance map)
    #: (owner, box): a node's label lines as one box, edge labels, box titles
    labels: list[tuple[str, Box]]
    chart: Box
    viewport_width: float


def open_map(page: Any, console: Console, **params: str) -> None:
    query = urllib.parse.urlencode({"range": "15m", "lang": "en", "theme": "dark", **params})
    page.goto(f"{console.url}/#/topology?{query}")
    page.wait_for_function(
        """() => { const e = document.querySelector('#topology-chart');
                   if (!e || !e.dataset.drawn || !e.querySelector('svg text')) return false;
                   const d = JSON.parse(e.dataset.drawn);
                   return d.nodes.length > 0 && d.nodes.every(n => n.box); }""",
        timeout=CHART_WAIT_MS,
    )


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.wait_for_timeout(400)  # let the last frame land
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def _find_shape(shapes: list[Box], claim: dict[str, float], what: str) -> Box:
    """The shape drawn at the claimed centre with the claimed size."""
    near = [
        s
        for s in shapes
        if abs(s.cx - claim["x"]) <= 1.5
        and abs(s.cy - claim["y"]) <= 1.5
        and abs(s.w - claim["w"]) <= 2
        and abs(s.h - claim["h"]) <= 2
    ]
    assert near, f"{what}: nothing drawn at {claim}"
    return Box(near[0].x, near[0].y, near[0].w, near[0].h, what)


def measure(page: Any) -> Drawing:
    raw = page.eval_on_selector("#topology-chart", COLLECT)
    drawn = raw["drawn"]
    shapes = [Box(s["x"], s["y"], s["w"], s["h"]) for s in raw["shapes"]]
    texts = [Box(t["x"], t["y"], t["w"], t["h"], t["text"]) for t in raw["texts"]]
    # Every text drawn is a node's label line, an edge label or a service box's title,
    # and each of those is drawn exactly once.
    expected = Counter(
        [line for n in drawn["nodes"] for line in n["lines"]]
        + [e["text"] for e in drawn["edges"]]
        + [g["service"] for g in drawn["groups"]]
    )
    assert Counter(t.what for t in texts) == expected, (
        f"texts drawn {sorted(Counter(t.what for t in texts).items())}"
        f" != expected {sorted(expected.items())}"
    )
    nodes = {n["id"]: _find_shape(shapes, n["box"], f"node {n['id']}") for n in drawn["nodes"]}
    groups = {
        g["service"]: _find_shape(shapes, g["box"], f"box {g['service']}") for g in drawn["groups"]
    }
    free = list(texts)

    def take(text: str, near: Box) -> Box:
        """The text element with this text nearest to `near` (e.g. a node's label)."""
        best = min(
            (t for t in free if t.what == text),
            key=lambda t: (t.cx - near.cx) ** 2 + (t.cy - near.cy) ** 2,
        )
        free.remove(best)
        return best

    labels: list[tuple[str, Box]] = []
    for n in drawn["nodes"]:
        shape = nodes[n["id"]]
        lines = [
            take(line, Box(shape.x, shape.y + shape.h, shape.w, 12 * len(n["lines"])))
            for line in n["lines"]
        ]
        labels.append((n["id"], Box.union(lines, f"label of {n['id']}")))
    for g in drawn["groups"]:
        labels.append((f"group:{g['service']}", take(g["service"], groups[g["service"]])))
    for e in drawn["edges"]:
        b = e["box"]
        t = take(e["text"], Box(b["x"] - b["w"] / 2, b["y"] - b["h"] / 2, b["w"], b["h"]))
        labels.append(
            (
                f"edge:{e['source']}->{e['target']}",
                Box(t.x, t.y, t.w, t.h, f"edge label {t.what!r}"),
            )
        )
    c = raw["chart"]
    return Drawing(
        drawn, nodes, groups, labels, Box(c["x"], c["y"], c["w"], c["h"]), raw["viewport"]["w"]
    )


def overlaps(m: Drawing) -> list[str]:
    """Every node-node, label-node and label-label overlap, and what sits in the wrong box."""
    out: list[str] = []
    ids = sorted(m.nodes)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if m.nodes[a].overlaps(m.nodes[b]):
                out.append(f"node {a} overlaps node {b}")
    for _, lb in m.labels:
        for nid, nb in m.nodes.items():
            if lb.overlaps(nb):
                out.append(f"{lb.what} overlaps node {nid}")
    for i, (_, a) in enumerate(m.labels):
        for _, b in m.labels[i + 1 :]:
            if a.overlaps(b):
                out.append(f"{a.what} overlaps {b.what}")
    group_of = {n["id"]: n.get("group") for n in m.drawn["nodes"]}
    services = sorted(m.groups)
    for i, a in enumerate(services):
        for b in services[i + 1 :]:
            if m.groups[a].overlaps(m.groups[b]):
                out.append(f"box {a} overlaps box {b}")
    for s, box in m.groups.items():
        for nid, nb in m.nodes.items():
            if group_of[nid] == s and not nb.inside(box):
                out.append(f"node {nid} is outside its box {s}")
            if group_of[nid] != s and nb.overlaps(box):
                out.append(f"node {nid} overlaps the box of {s}")
        for owner, lb in m.labels:
            mine = owner == f"group:{s}" or group_of.get(owner) == s
            if not mine and lb.overlaps(box):
                out.append(f"{lb.what} overlaps the box of {s}")
    return out


def check_readable(m: Drawing) -> None:
    problems = overlaps(m)
    assert not problems, f"{len(problems)} overlaps:\n" + "\n".join(problems)
    # All of it on screen at 1366 px: nothing clipped, no sideways scrolling.
    for what, b in [*((f"node {k}", v) for k, v in m.nodes.items()), *m.labels]:
        left, right = m.chart.x + b.x, m.chart.x + b.x + b.w
        assert left >= 0 and right <= m.viewport_width, f"{what} is off screen ({left}..{right})"
        assert b.x >= 0 and b.x + b.w <= m.chart.w + TOUCH, f"{what} is outside the chart"
    # Callers left of callees; databases and external hosts in the right-most column.
    kind = {n["id"]: n["kind"] for n in m.drawn["nodes"]}
    services = [m.nodes[i].cx for i, k in kind.items() if k == "service"]
    backends = [m.nodes[i].cx for i, k in kind.items() if k != "service"]
    assert backends and min(backends) > max(services)
    assert len({round(x) for x in backends}) == 1, "backends are not in one column"
    for e in m.drawn["edges"]:
        assert m.nodes[e["source"]].cx < m.nodes[e["target"]].cx, e


def centres(m: Drawing) -> dict[str, tuple[float, float]]:
    return {k: (round(b.cx, 1), round(b.cy, 1)) for k, b in m.nodes.items()}


def items(m: Drawing) -> set[str]:
    return {*m.nodes, *(f"{e['source']}->{e['target']}" for e in m.drawn["edges"])}


def stays_put(page: Any, first: Drawing, refreshes: int = 2) -> Drawing:
    """A refresh that brings no new node or edge moves no node (measured in the SVG
    drawn again). The simulator's rarer calls still appear in the first minutes: a
    refresh that adds one may lay the map out again, and is not counted."""
    prev, compared, cur = first, 0, first
    for _ in range(6):
        wait_refresh(page, prev.drawn["renders"])
        cur = measure(page)
        check_readable(cur)
        if items(cur) <= items(prev):
            before, after = centres(prev), centres(cur)
            moved = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
            assert not moved, f"a refresh moved {moved}"
            compared += 1
            if compared == refreshes:
                return cur
        prev = cur
    assert compared, "every refresh brought a new node or edge"
    return cur


def topmost(m: Drawing, ids: set[str]) -> str:
    """The highest of these nodes (the instance map is taller than the viewport)."""
    return min(ids, key=lambda i: (m.nodes[i].cy, i))


def on_screen(m: Drawing, node: str) -> tuple[float, float]:
    """Where the node's centre is in the viewport (a click there hits it)."""
    b = m.nodes[node]
    x, y = m.chart.x + b.cx, m.chart.y + b.cy
    assert 0 < x < m.viewport_width and 0 < y < 768, f"{node} is off screen at {x}, {y}"
    return x, y


def wait_refresh(page: Any, renders: int) -> None:
    """Until the page has refreshed (live, every 5 s) and drawn again."""
    page.wait_for_function(
        "n => JSON.parse(document.querySelector('#topology-chart').dataset.drawn).renders > n",
        arg=renders,
        timeout=15_000,
    )


def test_application_map_reads_clearly_stays_put_and_opens_dashboards(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    open_map(page, console)
    first = measure(page)
    check_readable(first)
    kinds = {n["kind"] for n in first.drawn["nodes"]}
    names = {n["id"] for n in first.drawn["nodes"] if n["kind"] == "service"}
    assert "database" in kinds and "external" in kinds
    assert {s["name"] for s in console.services} - {console.agent_service} <= names
    shot(page, screenshots, "topology")

    again = stays_put(page, first)

    # Clicking a service node opens its dashboard.
    service = topmost(again, names)
    page.mouse.click(*on_screen(again, service))
    page.wait_for_url(re.compile(r"#/dashboard\?"))
    assert f"service={urllib.parse.quote(service)}" in page.url
    problems.check()


def test_instance_map_groups_instances_by_service_with_their_names(
    page: Any, console: Console, problems: Problems, screenshots: Path
) -> None:
    open_map(page, console, level="instance")
    first = measure(page)
    check_readable(first)
    api = console.get("/api/v1/topology", level="instance")
    shown = {n["id"]: n for n in first.drawn["nodes"]}
    instances = [n for n in api["nodes"] if n["kind"] == "service"]
    for n in instances:
        if n["id"] not in shown:
            continue  # the map's window ended a moment later
        # Its service's box, with its name (the pod name) as the label.
        assert shown[n["id"]]["group"] == n["service"]
        name = n.get("name") or n.get("instance_name")
        if name:
            assert shown[n["id"]]["lines"][0] == name
    assert {s["name"] for s in console.services} - {console.agent_service} <= set(first.groups)
    assert {n["kind"] for n in first.drawn["nodes"]} >= {"service", "database", "external"}
    shot(page, screenshots, "topology-instances")

    # The full id on hover.
    target = topmost(first, {i for i, n in shown.items() if n["kind"] == "service"})
    page.mouse.move(*on_screen(first, target))
    page.wait_for_function(
        "id => document.querySelector('#topology-chart').innerText.includes(id)",
        arg=target,
        timeout=5_000,
    )
    page.mouse.move(0, 0)

    again = stays_put(page, first)

    # Clicking an instance opens its service's dashboard for that instance.
    page.mouse.click(*on_screen(again, target))
    page.wait_for_url(re.compile(r"#/dashboard\?"))
    assert f"service={urllib.parse.quote(shown[target]['group'])}" in page.url
    assert f"instance={urllib.parse.quote(target)}" in page.url
    problems.check()
