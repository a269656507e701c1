"""Fixtures: stores (one per backend) holding known telemetry, and the API served for real
by uvicorn on loopback in a thread."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.api.agent import agent_router
from bongsu.control.registry import AgentRegistry
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.settings import Settings
from query.dataset import anchor_us, build_shop
from query.harness import BACKENDS, OVERRIDES, Loaded, load, resolve_tenant, serve
from query.sdk_data import sdk_traces


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Loaded]:
    store = BACKENDS[request.param](tmp_path_factory.mktemp("store") / "t.db")
    t0 = anchor_us()
    shop, acme = build_shop(t0, seed=1), build_shop(t0, seed=2, traces=60)
    lsn = load(store, "default", shop, chunks=3, lsn=0)
    lsn = load(store, "acme", acme, chunks=1, lsn=lsn)
    spans, body = sdk_traces()
    builder = BatchBuilder()
    builder.add(Signal.TRACES, "default", body)
    store.load(builder.build(), lsn + 1)
    store.expire_edges(2**62)
    settings = Settings(apdex_t_overrides=OVERRIDES)
    yield Loaded(store, shop, acme, spans, settings)
    store.close()


@pytest.fixture(scope="module")
def api(loaded: Loaded) -> Iterator[httpx.Client]:
    """An HTTP client on the real API server over the loaded store."""
    agents = AgentRegistry(loaded.store)
    app = create_api(loaded.settings, loaded.store, header_tenants(resolve_tenant),
                     routers=[agent_router(agents)])
    for url in serve(app):
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client
