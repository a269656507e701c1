"""Service users: who a user is, distinct-user sketches, and DAU / WAU / MAU from them.

The data path: the agent hashes the request's user key into ``enduser.id``
(``bongsu.agent._users``); ingest keeps it in the spans' ``user_id`` column; the store
appends per-minute and per-day sketches of those ids at load time (:mod:`.rollup`, the
sketch itself in :mod:`.sketch`); :mod:`.counts` rolls any window up from them for
``GET /api/v1/users``.

Example::

    from bongsu.users import users_report
    report = users_report(reads, "default", "shop", start_us, end_us)
    print(report.dau.users, report.dau.exact, report.dau.error_bound)
"""

from __future__ import annotations

from bongsu.users.counts import Count, Point, UsersReport, users_report
from bongsu.users.sketch import PRECISION, Sketch, SketchError, key_hash, relative_error

__all__ = ["PRECISION", "Count", "Point", "Sketch", "SketchError", "UsersReport", "key_hash",
           "relative_error", "users_report"]
