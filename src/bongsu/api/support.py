"""Quick-service routes: send a support request, list and read them, their screenshots.

``POST /support`` takes JSON: ``description`` (1 to 5,000 characters), ``contact``,
``view`` (the console's state: url, page, service, instance, range, from_ms, to_ms,
extra filters, viewport) and ``screenshot`` (a ``data:image/png;base64,`` URL of at most
5 MiB). The body's size is checked from ``Content-Length`` and while it streams, before
anything is decoded: a body too large is a 413 naming ``screenshot``; a bad field a 400
naming it. The server adds its own system information, stores the request and queues it
for the support channel (``BONGSU_SUPPORT_CHANNEL``); the answer (201) is the stored
request, status ``new`` until the outbox sent it. ``PATCH /support/{id}`` sets the status:
``resolved``, or ``new`` to send it again. Every route is scoped to the caller's tenant.
Timestamps are epoch milliseconds.

Example::

    router = support_router(SupportService.build(settings, engine, notify, queries, reads,
                                                 alerts))
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import ConfigDict, Field, ValidationError

from bongsu.api import models
from bongsu.api.body import BodyModel
from bongsu.api.context import Tenant
from bongsu.api.responses import JSON
from bongsu.errors import RuleError
from bongsu.support.model import (
    MAX_CONTACT,
    MAX_DESCRIPTION,
    MAX_SCREENSHOT_BYTES,
    MAX_SCREENSHOT_PIXELS,
    SupportRequest,
)
from bongsu.support.png import decode_screenshot, max_base64_chars
from bongsu.support.repo import now_us
from bongsu.support.service import SupportService

MAX_BODY_BYTES = max_base64_chars(MAX_SCREENSHOT_BYTES) + 256 * 1024  # + the other fields
StatusName = Literal["new", "sent", "failed", "resolved"]


def _d(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


class SupportViewport(BodyModel):
    model_config = ConfigDict(extra="forbid")
    width: int = _d("CSS pixels", ge=1, le=MAX_SCREENSHOT_PIXELS)
    height: int = _d("CSS pixels", ge=1, le=MAX_SCREENSHOT_PIXELS)


class SupportView(BodyModel):
    """The console's state when the request was made (``web/src/state.ts``)."""

    model_config = ConfigDict(extra="forbid")
    url: str = _d("The console address the user had open", max_length=4000)
    page: str = _d("The page (dashboard, traces …)", default="", max_length=64)
    sub: str = _d("The page's sub-path (a trace id …)", default="", max_length=512)
    service: str = _d("Selected service", default="", max_length=256)
    instance: str = _d("Selected instance", default="", max_length=256)
    range: str = _d("Time range (5m … 7d, custom)", default="", max_length=16)
    from_ms: int | None = _d("The window shown: from, epoch ms", default=None, ge=0)
    to_ms: int | None = _d("The window shown: to, epoch ms", default=None, ge=0)
    extra: dict[str, Annotated[str, Field(max_length=1000)]] = _d(
        "The page's own filters (trace search fields …)", default_factory=dict,
        max_length=50)
    lang: str = _d("Console language", default="", max_length=8)
    theme: str = _d("Console theme", default="", max_length=8)
    viewport: SupportViewport | None = _d("The browser window's size", default=None)
    user_agent: str = _d("The browser", default="", max_length=512)


class SupportIn(BodyModel):
    model_config = ConfigDict(extra="forbid")
    description: str = _d("What went wrong, in the user's words", min_length=1,
                          max_length=MAX_DESCRIPTION)
    contact: str = _d("How to reach the user (e-mail, name)", default="",
                      max_length=MAX_CONTACT)
    view: SupportView = _d("The console's state when the request was made")
    screenshot: str | None = _d(
        f"The view as a PNG data URL (data:image/png;base64,…), at most "
        f"{MAX_SCREENSHOT_BYTES // 2**20} MiB; null when the browser could not take one",
        default=None, max_length=max_base64_chars(MAX_SCREENSHOT_BYTES))


class ScreenshotInfo(BodyModel):
    width: int = _d("Width in pixels, from the PNG's header")
    height: int = _d("Height in pixels, from the PNG's header")
    bytes: int = _d("Size of the stored PNG, in bytes")
    url: str = _d("Where the PNG is served")


class SupportOut(BodyModel):
    """A stored support request."""

    id: str = _d("Support request id")
    status: StatusName = _d("new: not sent yet (queued, retrying or no channel); sent; "
                            "failed (refused for good or out of attempts); resolved")
    created_ms: int = _d("When it was received, epoch ms")
    updated_ms: int = _d("When it last changed (status, delivery attempt), epoch ms")
    description: str = _d("What went wrong, in the user's words (trimmed)")
    contact: str = _d("How to reach the user, as given (trimmed; empty: none)")
    view: SupportView = _d("The console's state, as sent")
    system: dict[str, Any] = _d("What the server gathered: bongsu (version), services, "
                                "kube_events, alerts (firing), captures; a section it could "
                                "not read is {error}")
    screenshot: ScreenshotInfo | None = _d("The screenshot sent with it (null: none)")
    channel: str | None = _d("The channel it was (or is being) sent to")
    attempts: int = _d("Delivery attempts so far")
    next_attempt_ms: int | None = _d("When the next attempt is due, epoch ms (null: not "
                                     "queued)")
    last_error: str | None = _d("Why the last attempt failed, or why it is not queued")
    sent_ms: int | None = _d("When the channel accepted it, epoch ms (null: not sent)")
    resolved_ms: int | None = _d("When it was set resolved, epoch ms (null: not resolved, "
                                 "or set new again)")


class SupportSummary(BodyModel):
    id: str = _d("Support request id")
    status: StatusName = _d("new: not sent yet (queued, retrying or no channel); sent; "
                            "failed (refused for good or out of attempts); resolved")
    created_ms: int = _d("When it was received, epoch ms")
    description: str = _d("The first 200 characters")
    contact: str = _d("How to reach the user, as given (empty: none)")
    page: str = _d("The console page it was sent from (view.page; empty: unknown)")
    channel: str | None = _d("The channel it was (or is being) sent to")
    attempts: int = _d("Delivery attempts so far")
    last_error: str | None = _d("Why the last attempt failed, or why it is not queued")
    has_screenshot: bool = _d("Whether a screenshot was sent with it")


class SupportList(BodyModel):
    requests: list[SupportSummary] = _d("Newest first")


class StatusIn(BodyModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["new", "resolved"] = _d("resolved; or new: send it again")


RequestId = Annotated[str, PathParam(description="Support request id", min_length=1,
                                     max_length=32)]
StatusQ = Annotated[StatusName | None, Query(description="Only requests in this status")]
LimitQ = Annotated[Annotated[int, Field(ge=1, le=500)] | None, Query(
    description="Most requests: 1 to 500. Default 100.")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": models.ErrorBody, "description": "No such request in the tenant"}}
# The POST reads its body itself (the size is checked first), so FastAPI does not see the
# model: the schema is given here, its nested models (in SupportOut too) by reference.
_IN_SCHEMA = {k: v for k, v in SupportIn.model_json_schema(
    ref_template="#/components/schemas/{model}").items() if k != "$defs"}
_BODY_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": _IN_SCHEMA}}}}


def _ms(us: int | None) -> int | None:
    return None if us is None else us // 1000


def _out(r: SupportRequest) -> dict[str, Any]:
    return {
        "id": r.id, "status": r.status, "created_ms": r.created_us // 1000,
        "updated_ms": r.updated_us // 1000, "description": r.description,
        "contact": r.contact, "view": r.view, "system": r.system,
        "screenshot": None if r.screenshot_bytes is None else {
            "width": r.screenshot_width, "height": r.screenshot_height,
            "bytes": r.screenshot_bytes, "url": f"/api/v1/support/{r.id}/screenshot"},
        "channel": r.channel, "attempts": r.attempts,
        "next_attempt_ms": _ms(r.next_attempt_us), "last_error": r.last_error,
        "sent_ms": _ms(r.sent_us), "resolved_ms": _ms(r.resolved_us),
    }


def _summary(r: SupportRequest) -> dict[str, Any]:
    return {"id": r.id, "status": r.status, "created_ms": r.created_us // 1000,
            "description": r.description[:200], "contact": r.contact,
            "page": str(r.view.get("page", "")), "channel": r.channel,
            "attempts": r.attempts, "last_error": r.last_error,
            "has_screenshot": r.screenshot_bytes is not None}


async def _body(request: Request) -> bytes:
    """The body, refused (413) past the limit before it is read whole or decoded."""
    declared = request.headers.get("content-length")
    too_large = JSON({"detail": f"screenshot: the request is over {MAX_BODY_BYTES} bytes "
                                f"(a screenshot is at most {MAX_SCREENSHOT_BYTES // 2**20} "
                                "MiB)"}, status_code=413)
    if (declared is not None and declared.isascii() and declared.isdigit()
            and int(declared) > MAX_BODY_BYTES):
        raise _Refused(too_large)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Refused(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _invalid(error: ValidationError) -> Response:
    problems = []
    for e in error.errors():
        where = ".".join(str(p) for p in e.get("loc", ())) or "body"
        problems.append(f"{where}: required" if e.get("type") == "missing"
                        else f"{where}: {e.get('msg', 'invalid')}")
    return JSON({"detail": "; ".join(dict.fromkeys(problems))}, status_code=400)


def support_router(backend: SupportService | None = None) -> APIRouter:
    """The support routes over ``backend`` (None: the schema's app, which never calls one)."""
    router = APIRouter(prefix="/api/v1", tags=["support"])

    def service() -> SupportService:
        assert backend is not None, "support routes without a backend"
        return backend

    @router.post("/support", summary="Send a support request (view, screenshot, description)",
                 status_code=201, response_model=SupportOut, openapi_extra=_BODY_DOC,
                 responses={413: {"model": models.ErrorBody,
                                  "description": "The body is over the limit"}})
    async def create(request: Request, tenant: Tenant) -> Response:
        try:
            raw = await _body(request)
        except _Refused as refused:
            return refused.response
        try:
            body = SupportIn.model_validate_json(raw)
        except ValidationError as error:
            return _invalid(error)
        if not body.description.strip():
            raise RuleError("description", "required: say what went wrong")
        shot = None if body.screenshot is None else decode_screenshot(body.screenshot)
        made = service().submit(tenant, body.description.strip(), body.contact.strip(),
                                body.view.model_dump(), shot)
        return JSON(_out(made), status_code=201)

    @router.get("/support", summary="Support requests, newest first", response_model=SupportList)
    def list_requests(tenant: Tenant, status: StatusQ = None, limit: LimitQ = None) -> JSON:
        rows = service().repo.requests(tenant, status, limit or 100)
        return JSON({"requests": [_summary(r) for r in rows]})

    @router.get("/support/{request_id}", summary="One support request, all it carries",
                response_model=SupportOut, responses=NOT_FOUND)
    def get_request(request_id: RequestId, tenant: Tenant) -> Response:
        found = service().repo.get(tenant, request_id)
        if found is None:
            return _missing(request_id)
        return JSON(_out(found))

    @router.get("/support/{request_id}/screenshot", summary="The request's screenshot (PNG)",
                response_class=Response, responses={
                    200: {"content": {"image/png": {}}, "description": "The PNG"},
                    **NOT_FOUND})
    def screenshot(request_id: RequestId, tenant: Tenant) -> Response:
        png = service().repo.screenshot(tenant, request_id)
        if png is None:
            return _missing(request_id, "request or screenshot")
        return Response(png, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=86400"})

    @router.patch("/support/{request_id}", summary="Set the status: resolved, or new to "
                  "send it again", response_model=SupportOut, responses=NOT_FOUND)
    def set_status(request_id: RequestId, tenant: Tenant, body: StatusIn) -> Response:
        svc = service()
        if svc.repo.get(tenant, request_id) is None:
            return _missing(request_id)
        changed = svc.repo.set_status(tenant, request_id, body.status, now_us())
        if body.status == "new":
            svc.outbox.wake()
        assert changed is not None
        return JSON(_out(changed))

    return router


def _missing(request_id: str, what: str = "support request") -> Response:
    return JSON({"detail": f"no {what} {request_id!r}"}, status_code=404)


__all__ = ["MAX_BODY_BYTES", "SupportIn", "support_router"]
