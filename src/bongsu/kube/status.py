"""Kubernetes objects as compact state, and the episodes their changes show.

One module per kind of object; this one gathers them so callers import one place:

- ``pods``: :func:`pod_state`, :func:`pod_findings` (terminations, readiness)
- ``nodes``: :func:`node_state`, :func:`node_findings` (Ready ↔ NotReady)
- ``workloads``: :func:`workload_state`, :func:`workload_findings` (rollouts)
- ``autoscaling``: :func:`hpa_state`, :func:`hpa_findings` (scale out / in)
- ``ingresses``: :func:`ingress_routes`

Every function takes the API's JSON for one object and never raises on odd input.
``*_findings(old, new, obj)`` compares the previous compact state (None on first sight)
with the new one; each :class:`~bongsu.kube.model.Finding` carries times read from the
object, so seeing the same object again gives the same key and time.

Example::

    state = pod_state("private", obj)
    findings = pod_findings(known.get(state.uid), state, obj)
"""

from __future__ import annotations

from bongsu.kube.autoscaling import Reading, hpa_findings, hpa_state, readings
from bongsu.kube.ingresses import ingress_routes
from bongsu.kube.nodes import node_findings, node_state
from bongsu.kube.pods import COMPONENT, pod_findings, pod_state
from bongsu.kube.workloads import workload_findings, workload_state

__all__ = [
    "COMPONENT",
    "Reading",
    "hpa_findings",
    "hpa_state",
    "ingress_routes",
    "node_findings",
    "node_state",
    "pod_findings",
    "pod_state",
    "readings",
    "workload_findings",
    "workload_state",
]
