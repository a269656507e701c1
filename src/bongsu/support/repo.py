"""Support requests in the metadata database: stored, listed, queued and settled.

Contract: :meth:`SupportRepo.create` commits the request and its screenshot in one
transaction before it answers, queued for delivery (``next_attempt_us`` set) — a crash
after that loses nothing, and the outbox sends it when it runs again. A request is marked
``sent`` only after its channel said so; a crash between the two means one more send,
with the same idempotency key (the request id).

Example::

    repo = SupportRepo(engine)
    repo.create(request, screenshot)
    for due in repo.due(now_us, 10): ...
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import Engine, Row, delete, insert, select, update

from bongsu.support.model import Screenshot, Status, SupportRequest
from bongsu.support.tables import support_requests, support_screenshots

_t = support_requests.c


def now_us() -> int:
    return time.time_ns() // 1000


def new_request_id() -> str:
    return "sr_" + secrets.token_hex(8)


class SupportRepo:
    """The requests of every tenant; each call is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, request: SupportRequest, screenshot: Screenshot | None) -> None:
        values = _values(request)
        if screenshot is not None:
            values.update(screenshot_width=screenshot.width,
                          screenshot_height=screenshot.height,
                          screenshot_bytes=len(screenshot.png))
            request.screenshot_width, request.screenshot_height = (screenshot.width,
                                                                   screenshot.height)
            request.screenshot_bytes = len(screenshot.png)
        with self._engine.begin() as con:
            con.execute(insert(support_requests).values(values))
            if screenshot is not None:
                con.execute(insert(support_screenshots).values(id=request.id,
                                                               png=screenshot.png))

    def get(self, tenant: str, request_id: str) -> SupportRequest | None:
        with self._engine.connect() as con:
            row = con.execute(select(support_requests).where(
                _t.tenant == tenant, _t.id == request_id)).first()
        return None if row is None else _request(row)

    def requests(self, tenant: str, status: Status | None = None,
             limit: int = 100) -> list[SupportRequest]:
        """Newest first."""
        query = select(support_requests).where(_t.tenant == tenant)
        if status is not None:
            query = query.where(_t.status == status)
        with self._engine.connect() as con:
            rows = con.execute(query.order_by(_t.created_us.desc(), _t.id).limit(limit)).all()
        return [_request(r) for r in rows]

    def screenshot(self, tenant: str, request_id: str) -> bytes | None:
        with self._engine.connect() as con:
            row = con.execute(
                select(support_screenshots.c.png)
                .join(support_requests, support_requests.c.id == support_screenshots.c.id)
                .where(_t.tenant == tenant, _t.id == request_id)).first()
        return None if row is None else bytes(row[0])

    def screenshot_by_id(self, request_id: str) -> bytes | None:
        with self._engine.connect() as con:
            row = con.execute(select(support_screenshots.c.png).where(
                support_screenshots.c.id == request_id)).first()
        return None if row is None else bytes(row[0])

    def due(self, at_us: int, limit: int) -> list[SupportRequest]:
        """Requests waiting for delivery whose next attempt is due, oldest first."""
        with self._engine.connect() as con:
            rows = con.execute(select(support_requests).where(
                _t.status == "new", _t.next_attempt_us.is_not(None),
                _t.next_attempt_us <= at_us,
            ).order_by(_t.next_attempt_us, _t.id).limit(limit)).all()
        return [_request(r) for r in rows]

    def mark_sent(self, request_id: str, at_us: int, attempts: int, channel: str) -> None:
        self._set(request_id, status="new", to="sent", sent_us=at_us, attempts=attempts,
                  next_attempt_us=None, last_error=None, channel=channel, updated_us=at_us)

    def mark_retry(self, request_id: str, attempts: int, next_us: int, error: str,
                   channel: str | None) -> None:
        self._set(request_id, status="new", to="new", attempts=attempts,
                  next_attempt_us=next_us, last_error=error, channel=channel,
                  updated_us=now_us())

    def mark_failed(self, request_id: str, at_us: int, attempts: int, error: str,
                    channel: str | None) -> None:
        self._set(request_id, status="new", to="failed", attempts=attempts,
                  next_attempt_us=None, last_error=error, channel=channel, updated_us=at_us)

    def mark_unsent(self, request_id: str, error: str) -> None:
        """Nowhere to send it (no channel configured): kept ``new``, not queued."""
        self._set(request_id, status="new", to="new", next_attempt_us=None, last_error=error,
                  updated_us=now_us())

    def set_status(self, tenant: str, request_id: str, status: Status,
                   at_us: int) -> SupportRequest | None:
        """``resolved``: settled by a person; ``new``: queue it for delivery again now
        (attempts start over)."""
        values: dict[str, Any] = {"status": status, "updated_us": at_us}
        if status == "resolved":
            values.update(resolved_us=at_us, next_attempt_us=None)
        else:
            values.update(resolved_us=None, attempts=0, next_attempt_us=at_us,
                          last_error=None)
        with self._engine.begin() as con:
            con.execute(update(support_requests).where(
                _t.tenant == tenant, _t.id == request_id).values(values))
        return self.get(tenant, request_id)

    def delete_before(self, cutoff_us: int) -> int:
        with self._engine.begin() as con:
            ids = select(_t.id).where(_t.created_us < cutoff_us).scalar_subquery()
            con.execute(delete(support_screenshots).where(support_screenshots.c.id.in_(ids)))
            return con.execute(delete(support_requests).where(
                _t.created_us < cutoff_us)).rowcount

    def _set(self, request_id: str, *, status: Status, to: Status, **values: Any) -> None:
        # Only from the status it was read in: a person's "resolved" meanwhile stays.
        with self._engine.begin() as con:
            con.execute(update(support_requests).where(
                _t.id == request_id, _t.status == status).values(status=to, **values))


def _values(r: SupportRequest) -> dict[str, Any]:
    return {
        "id": r.id, "tenant": r.tenant, "created_us": r.created_us,
        "updated_us": r.updated_us or r.created_us, "status": r.status,
        "description": r.description, "contact": r.contact, "view": r.view,
        "system": r.system, "screenshot_width": r.screenshot_width,
        "screenshot_height": r.screenshot_height, "screenshot_bytes": r.screenshot_bytes,
        "attempts": r.attempts, "next_attempt_us": r.next_attempt_us,
        "last_error": r.last_error, "channel": r.channel, "sent_us": r.sent_us,
        "resolved_us": r.resolved_us,
    }


def _request(row: Row[Any]) -> SupportRequest:
    m = row._mapping
    return SupportRequest(
        id=m["id"], tenant=m["tenant"], created_us=m["created_us"],
        description=m["description"], contact=m["contact"], view=dict(m["view"]),
        system=dict(m["system"]), status=m["status"],
        screenshot_width=m["screenshot_width"], screenshot_height=m["screenshot_height"],
        screenshot_bytes=m["screenshot_bytes"], attempts=m["attempts"],
        next_attempt_us=m["next_attempt_us"], last_error=m["last_error"],
        channel=m["channel"], sent_us=m["sent_us"], resolved_us=m["resolved_us"],
        updated_us=m["updated_us"],
    )


__all__ = ["SupportRepo", "new_request_id", "now_us"]
