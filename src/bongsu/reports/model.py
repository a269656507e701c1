"""What a report is: a title, headline figures and tables, built from a request.

A kind's ``build`` returns a :class:`Report`; every renderer (HTML, CSV, PDF) reads only
that, so the three formats show the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bongsu.errors import RuleError


class ReportError(RuleError):
    """A report request or schedule that cannot be run as given (a 400 naming the field)."""


Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    """One table of a report: ``columns`` name the cells of each row."""

    name: str  # a stable identifier, the CSV block's name
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    """What every format renders: the title and period, headline figures, tables."""

    kind: str
    title: str
    period: str  # e.g. "2026-12-01 00:00 - 2026-12-02 00:00 UTC"
    figures: list[tuple[str, str]] = field(default_factory=list)  # (label, shown value)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """One report to build: the kind, for whom, about what, over which window."""

    tenant: str
    kind: str
    from_us: int
    to_us: int
    service: str | None = None


@dataclass(frozen=True, slots=True)
class Sources:
    """What kinds read: the query service and, where the server has them, the other
    subsystems (``None`` where absent, e.g. in the schema app). ``extra`` holds what a
    third party's kind needs."""

    queries: Any  # bongsu.query.QueryService
    alerts: Any = None  # bongsu.alerts.repo.AlertRepo
    engine: Any = None  # the metadata database (SQLAlchemy Engine)
    store: Any = None
    metering: Any = None  # bongsu.metering.service.MeteringService
    silences: Callable[[str], Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Progress = Callable[[float], None]  # 0.0 … 1.0 of the build done
