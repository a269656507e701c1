"""core/v1 Events shown as events.k8s.io/v1 Events, and back.

The two APIs are views of the same objects on a real server; the field names differ:

    core/v1                 events.k8s.io/v1
    involvedObject          regarding
    message                 note
    source                  deprecatedSource
    firstTimestamp          deprecatedFirstTimestamp
    lastTimestamp           deprecatedLastTimestamp
    count                   deprecatedCount
    reportingComponent      reportingController

Example::

    ev = events_v1_from_core(core_event)
    ev["regarding"]["name"] == core_event["involvedObject"]["name"]
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

_RENAMED = (
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("reportingComponent", "reportingController"),
)
_SAME = ("metadata", "reason", "type", "action", "eventTime", "series", "related",
         "reportingInstance")


def events_v1_from_core(event: Obj) -> Obj:
    """The events.k8s.io/v1 shape of a core/v1 Event."""
    out: Obj = {"kind": "Event", "apiVersion": "events.k8s.io/v1"}
    for name in _SAME:
        if name in event:
            out[name] = event[name]
    for core, v1 in _RENAMED:
        if core in event:
            out[v1] = event[core]
    return out


def core_from_events_v1(event: Obj) -> Obj:
    """The core/v1 shape of an events.k8s.io/v1 Event."""
    out: Obj = {"kind": "Event", "apiVersion": "v1"}
    for name in _SAME:
        if name in event:
            out[name] = event[name]
    for core, v1 in _RENAMED:
        if v1 in event:
            out[core] = event[v1]
    return out
