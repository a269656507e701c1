"""The grouped-figures read (``Reads.figures_by``), checked through ``Reads`` only against
every backend in ``tests/store/backends.py``: each group's figures equal what
``Reads.services`` gives for it (per instance: with ``instance=``), percentiles and users
only when asked, the ``seen`` filter, tenancy and the row cap."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from tests.store.backends import BACKENDS, open_backend

from bongsu.errors import TooManyRows
from bongsu.store.reads import GroupFigures, Reads, reads_of
from query import dataset
from query.dataset import APDEX_T_MS, MINUTE_US, SPAN_US, anchor_us, build_shop
from query.harness import load


@pytest.fixture(scope="module", params=BACKENDS)
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Loaded]:
    """The shop of tests/query/dataset.py (and a smaller one for "acme") in a store."""
    with open_backend(request, request.param, Path(tmp_path_factory.mktemp("figures")),
                      apdex_t_ms=500.0, apdex_overrides=APDEX_T_MS) as store:
        t0 = anchor_us()
        shop = build_shop(t0, seed=1)
        lsn = load(store, "default", shop, chunks=3, lsn=0)  # partial rollup rows
        load(store, "acme", build_shop(t0, seed=2, traces=60), chunks=1, lsn=lsn)
        yield Loaded(store, reads_of(store, timeout_s=10, max_rows=10_000), shop)


@dataclass
class Loaded:
    store: Any
    reads: Reads
    data: dataset.Shop


WINDOWS = [(0, SPAN_US, 10), (2 * MINUTE_US, 7 * MINUTE_US, 10), (-60 * MINUTE_US, SPAN_US, 60)]


def no_extras(row: GroupFigures) -> GroupFigures:
    """The row as asked without percentiles or users."""
    f = replace(row.figures, p50_bucket=None, p95_bucket=None, p99_bucket=None)
    return replace(row, figures=f, active_users=None)


@pytest.mark.parametrize("window", WINDOWS)
def test_per_service_equals_services(shop: Loaded,
                                     window: tuple[int, int, Any]) -> None:
    reads, data = shop.reads, shop.data
    start, end, resolution = data.t0 + window[0], data.t0 + window[1], window[2]
    users_since = end - 5 * MINUTE_US
    want = reads.services("default", start, end, resolution, users_since)
    assert len(want) == 3  # frontend, orders, payments
    full = reads.figures_by("default", start, end, resolution, "service", percentiles=True,
                            users_since_us=users_since)
    assert full == [GroupFigures(w.service, None, w.figures, w.active_users) for w in want]
    assert any(g.active_users for g in full) and all(g.figures.p99_bucket for g in full)
    bare = reads.figures_by("default", start, end, resolution, "service")
    assert bare == [no_extras(g) for g in full]
    buckets = reads.figures_by("default", start, end, resolution, "service", percentiles=True)
    assert buckets == [replace(g, active_users=None) for g in full]


@pytest.mark.parametrize("window", WINDOWS)
def test_per_instance_equals_services_of_each_instance(
        shop: Loaded, window: tuple[int, int, Any]) -> None:
    reads, data = shop.reads, shop.data
    start, end, resolution = data.t0 + window[0], data.t0 + window[1], window[2]
    users_since = end - 5 * MINUTE_US
    instances = sorted({(s.service, s.instance) for s in data.spans})
    want = []
    for service, instance in instances:
        for row in reads.services("default", start, end, resolution, users_since, instance):
            if row.service == service:
                want.append(GroupFigures(service, instance, row.figures, row.active_users))
    assert len(want) >= 5  # fe-1, fe-2, ord-1, pay-1, pay-2 (and more)
    full = reads.figures_by("default", start, end, resolution, "instance", percentiles=True,
                            users_since_us=users_since)
    assert full == want
    # Independently from the spans sent: transactions and users per instance.
    for g in full:
        sent = [s for s in dataset.transactions(data.spans, start, end, g.service)
                if s.instance == g.instance]
        assert g.figures.transactions == len(sent)
        assert g.active_users == dataset.active_users(data.spans, end, g.instance)[g.service]
    assert reads.figures_by("default", start, end, resolution, "instance") == [
        no_extras(g) for g in full]


def test_seen_keeps_the_instances_listed_for_the_window(
        shop: Loaded) -> None:
    reads, data = shop.reads, shop.data
    start, end = data.t0, data.t0 + SPAN_US
    every = reads.figures_by("default", start, end, 10, "instance")
    listed = {(r.service, r.instance) for r in reads.instances("default", None, start, end, end)}
    seen = reads.figures_by("default", start, end, 10, "instance", seen=(start, end))
    assert seen == [g for g in every if (g.service, g.instance) in listed] and seen
    # A window before any instance was seen lists none of them.
    assert reads.figures_by("default", start, end, 10, "instance",
                            seen=(start - 3 * MINUTE_US * 60, start - MINUTE_US)) == []


def test_tenants_and_empty_windows(shop: Loaded) -> None:
    reads, data = shop.reads, shop.data
    start, end = data.t0, data.t0 + SPAN_US
    assert reads.figures_by("nobody", start, end, 10, "service", True, end) == []
    assert reads.figures_by("default", start - 60 * MINUTE_US, start, 60, "instance") == []
    ours = reads.figures_by("default", start, end, 10, "service")
    theirs = reads.figures_by("acme", start, end, 10, "service")
    assert [g.service for g in ours] == [g.service for g in theirs]
    assert sum(g.figures.transactions for g in theirs) < sum(
        g.figures.transactions for g in ours)


def test_figures_by_has_the_row_cap(shop: Loaded) -> None:
    data = shop.data
    capped = reads_of(shop.store, timeout_s=10, max_rows=2)
    with pytest.raises(TooManyRows):
        capped.figures_by("default", data.t0, data.t0 + SPAN_US, 10, "instance")
