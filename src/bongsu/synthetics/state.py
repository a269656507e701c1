"""A check's state from its consecutive results: down after ``failure_threshold``
failures in a row, up after ``success_threshold`` successes in a row, and until either is
first met the state it had (``unknown`` for a new check). An ``unknown`` result (the
server did not run the probe) neither counts nor breaks a streak.

Example::

    track = Track()
    track.add("down", failure_threshold=2, success_threshold=1)   # "unknown"
    track.add("down", failure_threshold=2, success_threshold=1)   # "down"
"""

from __future__ import annotations

from dataclasses import dataclass

from bongsu.synthetics.model import Status


@dataclass(slots=True)
class Track:
    """The state of one check and the streak behind it."""

    state: Status = "unknown"
    streak_status: Status = "unknown"
    streak: int = 0

    def add(self, status: Status, *, failure_threshold: int, success_threshold: int) -> Status:
        """Count one result; returns the state after it."""
        if status == "unknown":
            return self.state
        if status == self.streak_status:
            self.streak += 1
        else:
            self.streak_status, self.streak = status, 1
        needed = failure_threshold if status == "down" else success_threshold
        if self.streak >= needed:
            self.state = status
        return self.state
