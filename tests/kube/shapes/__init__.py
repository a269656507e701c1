"""Real-shaped Kubernetes objects (Events, Pods, Nodes, HPAs, workloads, Ingresses) as JSON.

Written from the API reference and the shapes real clusters serve (see FACTS.md): scheduler
events with null timestamps and ``source: {}``, events.k8s.io/v1 twins of core/v1 events,
container statuses with their ``lastState``. ``load("events", "backoff_crash")`` reads one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def load(kind: str, name: str) -> dict[str, Any]:
    """The object in ``<kind>/<name>.json`` (a fresh copy each call)."""
    value = json.loads((HERE / kind / f"{name}.json").read_text())
    assert isinstance(value, dict)
    return value


def names(kind: str) -> list[str]:
    return sorted(p.stem for p in (HERE / kind).glob("*.json"))
