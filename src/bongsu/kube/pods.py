"""A Pod as compact state, and the episodes its status shows that no event does.

Kubernetes never says in an event why a container died: the OOM kill is in
``status.containerStatuses[].lastState.terminated``. :func:`pod_findings` turns each new
termination into one episode, keyed on the container id and finish time (never on exit
code 137 alone: 137 also comes with reason ``Error`` after a SIGKILL), and a pod's Ready
changes into ``readiness`` episodes. Times come from the object (``finishedAt``,
``lastTransitionTime``), never the wall clock, so a relist gives the same keys and times.

Not derived here, because an event already says it: evictions (the kubelet's
``Evicted``), crash loops (``BackOff``), image pulls, scheduling failures.

Example::

    state = pod_state("private", obj)
    for finding in pod_findings(previous, state, obj):
        print(finding.explained.summary)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.kube._fields import (
    condition,
    integer,
    items,
    latest_managed_time_us,
    mapping,
    string_map,
    text,
    timestamp_us,
    to_json,
)
from bongsu.kube.explain.text import clock, exit_cause, on_node, plural, shorten
from bongsu.kube.model import (
    ContainerState,
    EpisodeKey,
    Explained,
    Finding,
    PodState,
    Termination,
)
from bongsu.kube.quantity import format_bytes, parse_quantity

COMPONENT = "status"
"""The component of state-derived episodes (events carry ``kubelet``, ``default-scheduler`` …)."""


def pod_state(cluster: str, obj: Mapping[str, Any]) -> PodState:
    """The compact state of a Pod object (JSON as the API serves it)."""
    meta = mapping(obj, "metadata")
    spec = mapping(obj, "spec")
    status = mapping(obj, "status")
    statuses = {text(s, "name"): s for s in items(status, "containerStatuses")}
    init_statuses = {text(s, "name"): s for s in items(status, "initContainerStatuses")}
    containers = [_container(c, statuses.get(text(c, "name"), {}))
                  for c in items(spec, "containers")]
    for init in items(spec, "initContainers"):
        init_status = init_statuses.get(text(init, "name"), {})
        # A finished init container is history, not a container to watch; one that
        # failed, waits or runs (a sidecar) is kept.
        if not _completed(init_status):
            containers.append(_container(init, init_status))
    kind, name = _workload(meta)
    return PodState(
        cluster=cluster,
        namespace=text(meta, "namespace"),
        name=text(meta, "name"),
        uid=text(meta, "uid"),
        node=text(spec, "nodeName") or None,
        phase=text(status, "phase") or "Pending",
        ready=text(condition(obj, "Ready"), "status") == "True",
        workload_kind=kind,
        workload=name,
        labels=string_map(meta, "labels"),
        containers=containers,
        started_us=timestamp_us(status.get("startTime")),
        reason=text(status, "reason") or None,
    )


def pod_findings(old: PodState | None, new: PodState, obj: Mapping[str, Any]) -> list[Finding]:
    """Episodes ``new`` shows that ``old`` did not: terminations and Ready changes.

    ``old`` None (first sight, relist, restart) still yields the last termination of
    each container: its key and time are the object's own, so the watcher's episode id
    deduplicates it.
    """
    findings: list[Finding] = []
    before = {c.name: c for c in old.containers} if old is not None else {}
    for container in new.containers:
        ended = container.last_termination
        if ended is None or _clean_first_exit(container, ended):
            continue
        previous = before.get(container.name)
        if previous is not None and previous.last_termination == ended:
            continue
        findings.append(_termination(new, container, ended, obj))
    # A pod that finished, or is being deleted (every old pod of a rolling update), goes
    # not-ready by design: not an episode.
    deleting = mapping(obj, "metadata").get("deletionTimestamp") is not None
    if (old is not None and old.ready != new.ready and not deleting
            and new.phase not in {"Succeeded", "Failed"}):
        findings.append(_readiness(new, obj))
    return findings


def _container(spec: Mapping[str, Any], status: Mapping[str, Any]) -> ContainerState:
    resources = mapping(spec, "resources")
    requests = mapping(resources, "requests")
    limits = mapping(resources, "limits")
    state = mapping(status, "state")
    current = next((name for name in ("running", "waiting", "terminated") if name in state),
                   "waiting")
    return ContainerState(
        name=text(spec, "name"),
        image=text(spec, "image") or text(status, "image"),
        ready=status.get("ready") is True,
        restarts=max(integer(status, "restartCount") or 0, 0),
        state=current,
        waiting_reason=text(mapping(state, "waiting"), "reason") or None,
        last_termination=(_terminated(mapping(status, "lastState", "terminated"))
                          or _terminated(mapping(state, "terminated"))),
        cpu_request=parse_quantity(requests.get("cpu")),
        cpu_limit=parse_quantity(limits.get("cpu")),
        memory_request=parse_quantity(requests.get("memory")),
        memory_limit=parse_quantity(limits.get("memory")),
    )


def _terminated(value: Mapping[str, Any]) -> Termination | None:
    if not value:
        return None
    return Termination(
        reason=text(value, "reason") or "Terminated",
        exit_code=integer(value, "exitCode") or 0,
        signal=integer(value, "signal") or None,
        finished_us=timestamp_us(value.get("finishedAt")) or 0,
        container_id=text(value, "containerID"),
        message=text(value, "message")[:1000],  # a termination log can be 4 KiB; keep it short
    )


def _completed(status: Mapping[str, Any]) -> bool:
    ended = mapping(status, "state", "terminated")
    return bool(ended) and integer(ended, "exitCode") == 0


def _clean_first_exit(container: ContainerState, ended: Termination) -> bool:
    # A container that ran to completion once (a Job's, a finished init container) did
    # not restart; exit 0 after a restart is still a restart.
    return ended.exit_code == 0 and container.restarts == 0


def _workload(meta: Mapping[str, Any]) -> tuple[str | None, str | None]:
    owners = items(meta, "ownerReferences")
    owner = next((o for o in owners if o.get("controller") is True), owners[0] if owners else None)
    if owner is None:
        return None, None
    kind, name = text(owner, "kind") or None, text(owner, "name") or None
    template_hash = string_map(meta, "labels").get("pod-template-hash")
    if kind == "ReplicaSet" and name and template_hash and name.endswith(f"-{template_hash}"):
        return "Deployment", name[: -len(template_hash) - 1]
    return kind, name


def _termination(pod: PodState, container: ContainerState, ended: Termination,
                 obj: Mapping[str, Any]) -> Finding:
    oom = ended.reason == "OOMKilled"
    when = f"at {clock(ended.finished_us)}" if ended.finished_us else "at an unknown time"
    restarts = f"restarted {plural(container.restarts, 'time')}"
    if oom:
        limit = (f", limit {format_bytes(container.memory_limit)}"
                 if container.memory_limit else ", no memory limit")
        summary = (f"{pod.name} container {container.name} OOM-killed {when}"
                   f"{on_node(pod.node)} (exit {ended.exit_code}{limit}, {restarts})")
    else:
        summary = (f"{pod.name} container {container.name} exited {when}{on_node(pod.node)}: "
                   f"{exit_cause(ended)} ({restarts})")
    if container.waiting_reason == "CrashLoopBackOff":
        summary += "; now crash-looping"
    explained = Explained(kind="oom_killed" if oom else "container_restart",
                          severity="critical" if oom else "warning", summary=shorten(summary),
                          pod=pod.name, container=container.name, node=pod.node)
    key = EpisodeKey(cluster=pod.cluster, namespace=pod.namespace, object_kind="Pod",
                     object_name=pod.name, reason=ended.reason, component=COMPONENT,
                     discriminator=f"{container.name}/{ended.container_id}@{ended.finished_us}")
    message = f"{container.name}: {exit_cause(ended)}"
    if ended.message:
        message += f"\n{ended.message}"
    raw = next((s for s in items(mapping(obj, "status"), "containerStatuses")
                + items(mapping(obj, "status"), "initContainerStatuses")
                if text(s, "name") == container.name), {})
    return Finding(key=key, explained=explained,
                   at_us=ended.finished_us or pod.started_us or 0, message=message,
                   raw=to_json(raw))


def _readiness(pod: PodState, obj: Mapping[str, Any]) -> Finding:
    ready = condition(obj, "Ready")
    at = (timestamp_us(ready.get("lastTransitionTime")) or latest_managed_time_us(obj)
          or pod.started_us or 0)
    if pod.ready:
        summary = f"pod {pod.name} is ready again{on_node(pod.node)}"
    else:
        waiting = [c.name for c in pod.containers if not c.ready]
        which = f": container {', '.join(waiting)} not ready" if waiting else ""
        summary = f"pod {pod.name} is not ready{on_node(pod.node)}{which}"
    reason = "Ready" if pod.ready else "NotReady"
    explained = Explained(kind="readiness", severity="info" if pod.ready else "warning",
                          summary=shorten(summary), pod=pod.name, node=pod.node)
    key = EpisodeKey(cluster=pod.cluster, namespace=pod.namespace, object_kind="Pod",
                     object_name=pod.name, reason=reason, component=COMPONENT,
                     discriminator=f"{reason}@{at}")
    message = text(ready, "message") or text(ready, "reason") or summary
    return Finding(key=key, explained=explained, at_us=at, message=message,
                   raw=to_json(ready))

