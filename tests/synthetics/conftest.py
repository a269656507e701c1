"""Fixtures: the loopback HTTP and HTTPS targets (one each per module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from synthetics.targets import Target, make_ca_and_cert, tls_context

CERT_DAYS = 3


@pytest.fixture(scope="module")
def web() -> Iterator[Target]:
    target = Target(slow_s=3.0).start()
    yield target
    target.stop()


@pytest.fixture(scope="module")
def tls_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    _, key, cert = make_ca_and_cert(tmp_path_factory.mktemp("tls"), CERT_DAYS)
    target = Target().start(tls_context(key, cert))
    yield target
    target.stop()
