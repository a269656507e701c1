"""Report kinds, registered the way a third party registers its own.

A kind has a ``name``, a ``title``, ``needs_service`` (whether a request must name one)
and ``build(sources, request, progress) -> Report``; ``progress`` takes 0.0 … 1.0.

Example — a third party's kind::

    class Capacity:
        name, title, needs_service = "capacity", "Capacity", False
        def build(self, sources, request, progress): return Report(...)

    kinds = default_kinds()
    kinds.register(Capacity())
"""

from __future__ import annotations

from typing import Protocol

from bongsu.reports.model import Progress, Report, ReportError, ReportRequest, Sources


class ReportKind(Protocol):
    name: str
    title: str
    needs_service: bool

    def build(self, sources: Sources, request: ReportRequest, progress: Progress) -> Report:
        """The report over the request's window; raises ReportError for bad input."""
        ...


class KindRegistry:
    """Report kinds by name."""

    def __init__(self) -> None:
        self._kinds: dict[str, ReportKind] = {}

    def register(self, kind: ReportKind) -> None:
        self._kinds[kind.name] = kind

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def get(self, name: str) -> ReportKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise ReportError("kind", f"unknown report kind {name!r}; one of "
                              f"{', '.join(self.names())}") from None


def default_kinds() -> KindRegistry:
    """The built-in kinds (each registered as a third party's would be)."""
    from bongsu.reports.kinds.metering import Metering
    from bongsu.reports.kinds.performance import Performance
    from bongsu.reports.kinds.sla import Sla
    from bongsu.reports.kinds.users import Users

    registry = KindRegistry()
    for kind in (Performance(), Sla(), Users(), Metering()):
        registry.register(kind)
    return registry


__all__ = ["KindRegistry", "ReportKind", "default_kinds"]
