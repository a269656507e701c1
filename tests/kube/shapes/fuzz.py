"""Hypothesis strategies for odd Kubernetes JSON: real objects with fields made arbitrary."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from kube.shapes import load, names

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)
_NESTED = {"involvedObject": ["kind", "name", "namespace", "uid", "fieldPath"],
           "series": ["count", "lastObservedTime"], "source": ["component", "host"],
           "metadata": ["uid", "namespace", "creationTimestamp"]}


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A real Event with some fields (top-level or nested) replaced by arbitrary JSON."""
    obj = load("events", draw(st.sampled_from(names("events"))))
    for key in draw(st.lists(st.sampled_from([*sorted(obj), "series", "regarding", "note"]),
                             max_size=6)):
        obj[key] = draw(json_values)
    for parent, keys in _NESTED.items():
        if isinstance(obj.get(parent), dict):
            for key in draw(st.lists(st.sampled_from(keys), max_size=3)):
                obj[parent][key] = draw(json_values)
    return obj
