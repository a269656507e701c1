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
    return _mutate(draw, obj, _NESTED, ["series", "regarding", "note"])


def _paths(obj: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_objects(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A real object of ``kind`` (pods, nodes …) with arbitrary JSON at some of its paths."""
    obj = load(kind, draw(st.sampled_from(names(kind))))
    for path in draw(st.lists(st.sampled_from(_paths(obj)), max_size=6)):
        target: Any = obj
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a parent of this path
    return obj


def _mutate(draw: st.DrawFn, obj: dict[str, Any], nested: dict[str, list[str]],
            extra: list[str]) -> dict[str, Any]:
    for key in draw(st.lists(st.sampled_from([*sorted(obj), *extra]), max_size=6)):
        obj[key] = draw(json_values)
    for parent, keys in nested.items():
        if isinstance(obj.get(parent), dict):
            for key in draw(st.lists(st.sampled_from(keys), max_size=3)):
                obj[parent][key] = draw(json_values)
    return obj
