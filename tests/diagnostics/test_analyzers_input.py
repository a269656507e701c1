"""The analyzers read documents an agent sent, so anything JSON can hold: whatever the
fields carry, an analysis (and a compare) is returned, never an exception, and it matches
the response model ``/openapi.json`` documents for its kind."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bongsu.agent._files import capture_files
from bongsu.agent._memory import capture_memory
from bongsu.agent._network import capture_network
from bongsu.agent._processes import capture_processes
from bongsu.agent._threads import capture_threads
from bongsu.api import capture_models as cm
from bongsu.diagnostics import analyze, compare

MODELS: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    "threads": (cm.ThreadsAnalysis, cm.ThreadsComparison),
    "memory": (cm.MemoryAnalysis, cm.MemoryComparison),
    "processes": (cm.ProcessesAnalysis, cm.ProcessesComparison),
    "network": (cm.NetworkAnalysis, cm.NetworkComparison),
    "files": (cm.FilesAnalysis, cm.FilesComparison),
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=12,
)


def rows(keys: list[str]) -> st.SearchStrategy[Any]:
    """A list of objects with the documented keys holding any JSON (or any JSON at all)."""
    row = st.fixed_dictionaries({}, optional={k: json_values for k in keys})
    return st.lists(row, max_size=5) | json_values


FRAME = ["file", "line", "function", "code"]
BODIES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "threads": {
        "threads": rows(["id", "name", "state", "stack", "request", "holds", "waits_for"]),
        "tasks": rows(["name", "thread_id", "stack", "request"]),
        "locks": rows(["id", "type", "created_at", "owner", "waiters", "depth"]),
        "lock_tracking": json_values, "jvm_deadlocks": json_values,
    },
    "memory": {
        "types": rows(["type", "count", "bytes"]), "gc": json_values,
        "tracemalloc": st.fixed_dictionaries({}, optional={
            "on": json_values, "traced_bytes": json_values, "top": rows(["site", "bytes",
                                                                          "count"])}),
        "process": json_values, "python": json_values, "container": json_values,
        "jvm": json_values, "captured_at_unix_nano": json_values,
    },
    "processes": {
        "processes": rows(["pid", "name", "cmdline", "state", "cpu_seconds", "rss_bytes",
                           "threads", "start_time_s"]),
        "uptime_s": json_values, "captured_at_unix_nano": json_values,
    },
    "network": {
        "sockets": rows(["proto", "state", "local", "remote", "inode"]),
        "listen": rows(["proto", "local"]),
    },
    "files": {
        "fds": rows(["fd", "type", "path"]), "count": json_values, "limit_soft": json_values,
        "limit_hard": json_values,
    },
}


def docs(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"kind": st.just(kind), "format": st.just(f"bongsu.{kind}/1")},
                                 optional=BODIES[kind])


def check(kind: str, base: dict[str, Any], other: dict[str, Any]) -> None:
    analysis_model, comparison_model = MODELS[kind]
    for doc in (base, other):
        a = analyze(doc)
        assert a is not None
        analysis_model.model_validate(a)
    comparison_model.model_validate(compare(base, other, kind))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(sorted(BODIES)))
def test_any_document_is_analysed_into_its_model(data: st.DataObject, kind: str) -> None:
    check(kind, data.draw(docs(kind)), data.draw(docs(kind)))


def test_real_documents_match_their_models() -> None:
    for kind, take in (("threads", lambda: capture_threads(None)), ("memory", capture_memory),
                       ("processes", capture_processes), ("network", capture_network),
                       ("files", capture_files)):
        check(kind, take(), take())
