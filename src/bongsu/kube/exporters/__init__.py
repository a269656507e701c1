"""Exporter modules: what each kind of Prometheus endpoint says about ingress traffic.

Each module reads the parsed families of one scrape into cumulative series per
:class:`~bongsu.kube.exporters.reading.Route`. The built-ins register through
:meth:`ExporterRegistry.register` exactly as a third party's module would; the scraper
asks each exporter in turn and takes the first that recognises the endpoint, and asks the
fallbacks (the generic one) only when none did.

Example::

    registry = builtin_exporters()
    registry.register(MyExporter())        # anything with .name and .read(families)
    Scraper(target, "default", exporters=registry)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from prometheus_client.metrics_core import Metric

from bongsu.kube.exporters.generic import GenericHttp
from bongsu.kube.exporters.haproxy import HaproxyRouter
from bongsu.kube.exporters.nginx import NginxIngress
from bongsu.kube.exporters.reading import Reading, Route

__all__ = ["Exporter", "ExporterRegistry", "builtin_exporters"]


class Exporter(Protocol):
    """An exporter module: ``name`` goes on the points as ``ingress.controller``."""

    name: str

    def read(self, families: Sequence[Metric]) -> dict[Route, Reading]:
        """The routes this scrape has figures for; empty when the endpoint is not its kind."""
        ...


class ExporterRegistry:
    """Exporter modules in the order they are asked."""

    def __init__(self) -> None:
        self._first: list[Exporter] = []
        self._fallbacks: list[Exporter] = []

    def register(self, exporter: Exporter, fallback: bool = False) -> None:
        (self._fallbacks if fallback else self._first).append(exporter)

    def read(self, families: Sequence[Metric]) -> tuple[str, dict[Route, Reading]]:
        """(the exporter's name, its routes) of the first that recognises the families."""
        for exporter in (*self._first, *self._fallbacks):
            routes = exporter.read(families)
            if routes:
                return exporter.name, routes
        return "", {}


def builtin_exporters() -> ExporterRegistry:
    """A registry holding ingress-nginx, the OpenShift router and the generic fallback."""
    registry = ExporterRegistry()
    registry.register(NginxIngress())
    registry.register(HaproxyRouter())
    registry.register(GenericHttp(), fallback=True)
    return registry
