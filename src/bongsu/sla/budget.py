"""SLA figures against a target: SLA %, met or not, and the error budget.

The budget is what the target allows to fail in the period: seconds of down time for
uptime (``(1 - target) * measured seconds``, measured = up + down), requests for a traffic
SLO (``(1 - target) * requests``). Used is what failed; left = allowed - used (negative
once overspent). Nothing measured: no SLA %, ``met`` None, a budget of zero.

Example::

    figures = against(good=86_300, total=86_400, target_percent=99.9)
    figures.met, figures.budget_allowed, figures.budget_left   # False, 86.4, -13.6
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Against:
    sla_percent: float | None
    target_percent: float
    met: bool | None
    budget_allowed: float
    budget_used: float
    budget_left: float


def against(good: float, total: float, target_percent: float) -> Against:
    """``good`` of ``total`` (seconds or requests) judged against ``target_percent``."""
    if total <= 0:
        return Against(None, target_percent, None, 0.0, 0.0, 0.0)
    percent = 100.0 * good / total
    allowed = (1 - target_percent / 100.0) * total
    used = total - good
    return Against(percent, target_percent, percent >= target_percent, allowed, used,
                   allowed - used)


__all__ = ["Against", "against"]
