"""Check rules: synthetic checks that are down (``bongsu.synthetics``).

One sample per check (labels ``check``: its id, ``check_name``), from its latest stored
result read through the store's read side: active while the check's *state* is down (its
failure threshold already applied by the runner, so ``for`` is usually left at 0). A
check whose state is unknown (the server did not probe it in time, or it is disabled) is
a no-data sample, never a firing one; a deleted check has no results and no sample.

Example spec::

    {}                       # every check of the tenant
    {"check": "c_3f2a..."}   # one check
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bongsu.alerts.kinds import Context
from bongsu.alerts.kinds.fields import no_unknown, text
from bongsu.alerts.model import Rule, Sample


class CheckKind:
    name = "check"

    def check(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        no_unknown(spec, {"check"})
        return {"check": text(spec, "check", None)}

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        spec = self.check(rule.spec)
        ids = [spec["check"]] if spec["check"] else None
        samples = []
        for r in ctx.reads.latest_check_results(rule.tenant, ids):
            labels = {"check": r.check_id, "check_name": r.name}
            reason = r.failed_condition or r.error or "down"
            details = {"url": r.target, "failed_condition": r.failed_condition,
                       "error": r.error, "status_code": r.status_code,
                       "duration_ms": r.duration_ms, "at_us": r.ts_us}
            link = f"/checks?check={r.check_id}"
            if r.state == "unknown":
                samples.append(Sample(labels, False, None, f"{r.name}: state unknown",
                                      no_data=True, link=link, details=details))
                continue
            down = r.state == "down"
            summary = (f"{r.name} is down: {reason} ({r.target})" if down
                       else f"{r.name} is up ({r.target})")
            samples.append(Sample(labels, down, r.duration_ms, summary, link=link,
                                  details=details))
        return samples
