"""Events normalised from both API shapes, with the field fallbacks real clusters need."""

from __future__ import annotations

import calendar
import dataclasses
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bongsu.kube.events import normalise
from kube.shapes import load, names
from kube.shapes.fuzz import json_values, mutated_events


def us(text: str) -> int:
    moment = datetime.fromisoformat(text)
    return calendar.timegm(moment.timetuple()) * 1_000_000 + moment.microsecond


def test_core_event_fields() -> None:
    ev = normalise("private", load("events", "backoff_crash"))
    assert ev is not None
    assert (ev.cluster, ev.namespace, ev.object_kind, ev.object_name) == (
        "private", "shop", "Pod", "orders-7d9f8c6b5-x2kq4")
    assert ev.object_uid == "5b0c2a7e-3f1d-4c8b-9a6e-2d4f6b8c0e1a"
    assert ev.field_path == "spec.containers{orders}"
    assert (ev.reason, ev.type, ev.component, ev.host, ev.count) == (
        "BackOff", "Warning", "kubelet", "worker-2", 12)
    assert ev.first_seen_us == us("2026-12-01T10:30:11")
    assert ev.last_seen_us == us("2026-12-01T10:42:20")
    assert json.loads(ev.raw) == load("events", "backoff_crash")


def test_scheduler_event_with_null_timestamps_and_empty_source() -> None:
    obj = load("events", "failed_scheduling")
    assert obj["firstTimestamp"] is None and obj["source"] == {} and "count" not in obj
    ev = normalise("c", obj)
    assert ev is not None
    assert ev.component == "default-scheduler"  # from reportingComponent
    assert ev.host == ""
    assert ev.count == 1
    assert ev.first_seen_us == ev.last_seen_us == us("2026-12-01T10:31:02.418226")


def test_series_gives_last_seen_and_count() -> None:
    ev = normalise("c", load("events", "failed_scheduling_series"))
    assert ev is not None
    assert ev.count == 7
    assert ev.first_seen_us == us("2026-12-01T10:31:02.418226")  # eventTime: first sighting
    assert ev.last_seen_us == us("2026-12-01T10:38:45.902113")  # series.lastObservedTime


@pytest.mark.parametrize(("core", "twin"), [
    ("backoff_crash", "v1_backoff_crash"),
    ("failed_scheduling_series", "v1_failed_scheduling_series"),
    ("node_not_ready_node", "v1_node_not_ready_node"),
])
def test_events_k8s_io_v1_equals_core_v1(core: str, twin: str) -> None:
    a = normalise("c", load("events", core))
    b = normalise("c", load("events", twin))
    assert a is not None and b is not None
    assert json.loads(b.raw)["apiVersion"] == "events.k8s.io/v1"
    assert dataclasses.replace(a, raw="") == dataclasses.replace(b, raw="")


def test_node_event_has_no_namespace() -> None:
    ev = normalise("c", load("events", "node_not_ready_node"))
    assert ev is not None
    assert ev.namespace == "" and ev.object_kind == "Node" and ev.object_name == "worker-3"
    assert ev.type == "Normal" and ev.component == "node-controller"


def test_rebooted_names_the_node_in_uid() -> None:
    obj = load("events", "rebooted")
    assert obj["involvedObject"]["uid"] == "worker-3"
    del obj["involvedObject"]["name"]
    ev = normalise("c", obj)
    assert ev is not None and ev.object_name == "worker-3"


def test_fallback_order_of_times_and_counts() -> None:
    obj = load("events", "backoff_crash")
    obj["series"] = {"count": 40, "lastObservedTime": "2026-12-01T10:59:00.000001Z"}
    ev = normalise("c", obj)
    assert ev is not None and ev.count == 40 and ev.last_seen_us == us("2026-12-01T10:59:00.000001")
    for key in ("series", "lastTimestamp", "firstTimestamp", "count"):
        obj.pop(key)
    obj["eventTime"] = None
    ev = normalise("c", obj)
    assert ev is not None
    # Nothing left but the object's creation time.
    assert ev.first_seen_us == ev.last_seen_us == us("2026-12-01T10:30:11") and ev.count == 1


def test_bad_timestamps_and_counts_do_not_raise() -> None:
    obj = load("events", "backoff_crash")
    obj.update(firstTimestamp="yesterday", lastTimestamp=17, count="many",
               eventTime="0001-01-01T00:00:00Z")
    obj["metadata"]["creationTimestamp"] = None
    ev = normalise("c", obj)
    assert ev is not None and ev.count == 1 and ev.first_seen_us == ev.last_seen_us == 0


def test_list_items_without_kind_are_events() -> None:
    obj = load("events", "started")
    del obj["kind"], obj["apiVersion"]  # items of an EventList carry neither
    ev = normalise("c", obj)
    assert ev is not None and ev.reason == "Started"


@pytest.mark.parametrize("obj", [
    load("pods", "running"),
    {"kind": "Event", "apiVersion": "apps/v1"},
    {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410, "reason": "Expired"},
    {},
])
def test_not_an_event(obj: dict[str, Any]) -> None:
    assert normalise("c", obj) is None


def test_every_fixture_normalises() -> None:
    for name in names("events"):
        ev = normalise("c", load("events", name))
        assert ev is not None, name
        assert ev.reason and ev.object_name and ev.component, name
        assert 0 < ev.first_seen_us <= ev.last_seen_us, name


@settings(max_examples=400, deadline=None)
@given(mutated_events())
def test_normalise_never_raises(obj: dict[str, Any]) -> None:
    ev = normalise("c", obj)
    if ev is not None:
        assert ev.count >= 1 and ev.first_seen_us <= ev.last_seen_us


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_normalise_never_raises_on_any_dict(obj: dict[str, Any]) -> None:
    normalise("c", obj)
