"""Expected SLA figures recomputed independently: the timeline walked one step at a time.

Nothing here uses ``bongsu.sla``: a check's status at an instant is the state of its latest
result at or before it (unknown before the first); an instant is maintenance when a silence
that is planned work (recurring, or its comment starts with "maintenance") is active then
(the alert engine's own ``active``) and its matchers select the check's labels.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from bongsu.alerts.model import Silence
from bongsu.alerts.notify.routing import matches
from bongsu.alerts.notify.silences import active


@dataclass
class Walk:
    up: int = 0
    down: int = 0
    unknown: int = 0
    maintenance: int = 0

    def sla_percent(self) -> float | None:
        return 100 * self.up / (self.up + self.down) if self.up + self.down else None


def planned(silence: Silence) -> bool:
    return silence.recurrence is not None or silence.comment.lower().startswith("maintenance")


def status_at(times: Sequence[int], states: Sequence[str], silences: Sequence[Silence],
              labels: dict[str, str], t_us: int) -> str:
    if any(planned(s) and active(s, t_us) and matches(s.matchers, labels) for s in silences):
        return "maintenance"
    i = bisect.bisect_right(times, t_us) - 1
    return states[i] if i >= 0 and states[i] in ("up", "down") else "unknown"


def walk(checks: dict[str, tuple[list[int], list[str], dict[str, str]]],
         silences: Sequence[Silence], start_us: int, end_us: int, step_us: int
         ) -> tuple[dict[str, Walk], Walk]:
    """Per check and for the service (all of ``checks`` combined), the steps of each status
    in ``[start_us, end_us)``; counts are of steps (seconds with a 1 s step)."""
    per = {c: Walk() for c in checks}
    service = Walk()
    for t in range(start_us, end_us, step_us):
        statuses = []
        for c, (times, states, labels) in checks.items():
            s = status_at(times, states, silences, labels, t)
            setattr(per[c], s, getattr(per[c], s) + 1)
            statuses.append(s)
        counted = [s for s in statuses if s != "maintenance"]
        combined = ("maintenance" if not counted else "down" if "down" in counted
                    else "unknown" if "unknown" in counted else "up")
        setattr(service, combined, getattr(service, combined) + 1)
    return per, service
