"""SLA definitions: a target (e.g. 99.9 %) and a period per check, service or traffic SLO.

A subject without a target of its own is judged against :data:`DEFAULT_TARGET_PERCENT`
over a month, and a traffic SLO against :data:`DEFAULT_THRESHOLD_MS`, so figures show
before anyone sets targets. :meth:`TargetRepo.put` replaces a tenant's whole list at once;
:func:`check_targets` refuses a bad entry with a :class:`~bongsu.errors.RuleError` naming
it (``targets[2].target_percent: ...``).

Example::

    repo = TargetRepo(engine)
    repo.put("default", [Target("check", "c_1", 99.9, service="shop"),
                         Target("traffic", "shop", 99.0, threshold_ms=300)])
    repo.get("default", "traffic", "shop").threshold_ms    # 300.0
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bongsu.errors import RuleError
from bongsu.sla.periods import PERIODS, Period
from bongsu.sla.tables import sla_targets

Kind = Literal["check", "service", "traffic"]
KINDS: tuple[Kind, ...] = ("check", "service", "traffic")
DEFAULT_TARGET_PERCENT = 99.9
DEFAULT_THRESHOLD_MS = 500.0
MAX_TARGETS = 1000


@dataclass(frozen=True, slots=True)
class Target:
    kind: Kind
    subject: str  # a check id (check) or a service name (service, traffic)
    target_percent: float = DEFAULT_TARGET_PERCENT
    period: Period = "month"
    service: str | None = None  # check: the service it belongs to
    threshold_ms: float | None = None  # traffic: a good request is faster than this


def default_target(kind: Kind, subject: str) -> Target:
    """The target a subject without one of its own is judged against."""
    return Target(kind, subject, threshold_ms=DEFAULT_THRESHOLD_MS if kind == "traffic"
                  else None)


def check_targets(targets: Sequence[Target]) -> None:
    """Refuse a list with a bad or repeated entry (raises RuleError naming it)."""
    if len(targets) > MAX_TARGETS:
        raise RuleError("targets", f"at most {MAX_TARGETS} targets, got {len(targets)}")
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(targets):
        where = f"targets[{i}]"
        if t.kind not in KINDS:
            raise RuleError(f"{where}.kind", f"one of {', '.join(KINDS)}, got {t.kind!r}")
        if not t.subject.strip() or len(t.subject) > 256:
            raise RuleError(f"{where}.subject", "a check id or service name of 1-256 "
                                                "characters")
        if not 0 < t.target_percent < 100:
            raise RuleError(f"{where}.target_percent",
                            f"must be above 0 and below 100, got {t.target_percent:g}")
        if t.period not in PERIODS:
            raise RuleError(f"{where}.period", f"one of {', '.join(PERIODS)}, got "
                                               f"{t.period!r}")
        if t.service is not None and (t.kind != "check" or not t.service.strip()):
            raise RuleError(f"{where}.service", "only a check names its service (a "
                                                "non-empty name)")
        if t.kind == "traffic":
            if t.threshold_ms is None or not 0 < t.threshold_ms <= 3_600_000:
                raise RuleError(f"{where}.threshold_ms",
                                "a traffic SLO needs a latency threshold of 0-3,600,000 ms")
        elif t.threshold_ms is not None:
            raise RuleError(f"{where}.threshold_ms", "only a traffic SLO has a threshold")
        key = (t.kind, t.subject)
        if key in seen:
            raise RuleError(f"{where}.subject", f"{t.kind} {t.subject!r} is listed twice")
        seen.add(key)


class TargetRepo:
    """SLA targets in the metadata database, one list per tenant."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list(self, tenant: str) -> list[Target]:
        with self._engine.connect() as con:
            rows = con.execute(sa.select(sla_targets).where(sla_targets.c.tenant == tenant)
                               .order_by(sla_targets.c.kind, sla_targets.c.subject)).all()
        return [Target(r.kind, r.subject, r.target_percent, r.period, r.service,
                       r.threshold_ms) for r in rows]

    def get(self, tenant: str, kind: Kind, subject: str) -> Target | None:
        found = [t for t in self.list(tenant) if t.kind == kind and t.subject == subject]
        return found[0] if found else None

    def put(self, tenant: str, targets: Sequence[Target]) -> builtins.list[Target]:
        """Replace the tenant's targets with ``targets`` (checked first)."""
        check_targets(targets)
        now = time.time_ns() // 1000
        rows = [{"tenant": tenant, "kind": t.kind, "subject": t.subject,
                 "target_percent": t.target_percent, "period": t.period,
                 "service": t.service, "threshold_ms": t.threshold_ms, "updated_us": now}
                for t in targets]
        with self._engine.begin() as con:
            con.execute(sa.delete(sla_targets).where(sla_targets.c.tenant == tenant))
            if rows:
                con.execute(sa.insert(sla_targets), rows)
        return self.list(tenant)


__all__ = ["DEFAULT_TARGET_PERCENT", "DEFAULT_THRESHOLD_MS", "KINDS", "Kind", "Target",
           "TargetRepo", "check_targets", "default_target"]
