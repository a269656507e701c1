"""Alert routes: rules, alert states and their history, silences, channels and routes.

Every route is scoped to the caller's tenant. What is written is checked by the engine's
own checks (``bongsu.alerts.rules``, ``check_silence``, the channel registry,
``check_route``): a :class:`~bongsu.errors.RuleError` is a 400 naming the field
(``"spec.op: ..."``, ``"repeat_interval_s: ..."``). A channel's secrets (a webhook's
``secret``, an e-mail ``password``, a Slack incoming-webhook ``url``) are never returned.
Another tenant's rule, silence, channel or route is a 404, whether read, tested or deleted.

``POST /channels/{id}/test`` sends one notification labelled ``test=true`` through the
channel's type now, as the outbox would (not through the outbox: nothing is queued or
retried), and answers 200 with what happened: delivered, or the receiver's error.

Example::

    engine = connect(settings.meta_url)
    router = alerts_router(AlertsBackend(AlertRepo(engine), NotifyStore(engine),
                                         default_registry()))
    app = create_api(settings, store, authenticator.principal, routers=[router])
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import Field

from bongsu.alerts import model
from bongsu.alerts.channels import ChannelRegistry, SendContext, SendResult
from bongsu.alerts.model import AlertInstance, Matcher
from bongsu.alerts.notify.routing import check_route
from bongsu.alerts.notify.silences import active, check_silence
from bongsu.alerts.notify.store import NotifyStore
from bongsu.alerts.repo import AlertRepo, HistoryEntry, new_rule_id
from bongsu.alerts.rules import read_rule, rule_to_dict
from bongsu.api import alerts_models as am
from bongsu.api import models
from bongsu.api.context import Tenant
from bongsu.api.params import MAX_LIMIT
from bongsu.api.responses import JSON
from bongsu.errors import RuleError, StoreError

log = logging.getLogger(__name__)

HISTORY_DEFAULT_S = 86_400
SEVERITIES: tuple[am.Severity, ...] = ("critical", "warning", "info")  # worst first
SECRET_KEYS = frozenset({"secret", "password", "token"})
# A Slack incoming webhook's address is its credential.
SECRET_BY_TYPE = {"slack": frozenset({"url"})}

_ID = Annotated[str, Field(min_length=1, max_length=64)]
RuleId = Annotated[_ID, PathParam(description="Rule id")]
SilenceId = Annotated[_ID, PathParam(description="Silence id")]
ChannelId = Annotated[_ID, PathParam(description="Channel id")]
RouteId = Annotated[_ID, PathParam(description="Route id")]
StateParam = Annotated[am.State | None, Query(
    alias="state", description="Only alerts in this state")]
RuleFilter = Annotated[str | None, Query(description="Only this rule's alerts")]
ServiceFilter = Annotated[Annotated[str, Field(min_length=1, max_length=256)] | None, Query(
    description="Only alerts whose labels.service is this")]
# Bounds sit on the inner type (as in bongsu.api.params).
HistoryFrom = Annotated[Annotated[int, Field(ge=0, le=am.MAX_MS)] | None, Query(
    alias="from", description="Changes at or after this, epoch ms. Default 24 h ago.")]
HistoryTo = Annotated[Annotated[int, Field(ge=0, le=am.MAX_MS)] | None, Query(
    alias="to", description="Changes at or before this, epoch ms. Default: now.")]
HistoryLimit = Annotated[Annotated[int, Field(ge=1, le=MAX_LIMIT)] | None, Query(
    description=f"Most changes to return: 1 to {MAX_LIMIT}. Default 100.")]
RuleBody = Annotated[dict[str, Any], Body(
    description="A rule as written in a rules file: name, kind, spec (required); severity, "
                "for, keep_firing_for, interval, no_data, labels, annotations, enabled, "
                "captures",
    examples=[{"name": "Orders slow", "kind": "threshold", "for": "5m",
               "spec": {"figure": "apdex", "op": "<", "value": 0.7, "service": "orders"}}])]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": models.ErrorBody, "description": "No such item in the tenant"}}


@dataclass(frozen=True)
class AlertsBackend:
    """What the routes read and write: the rules and alert states, the notification
    side's tables, the channel types, and where the console is (a test's links)."""

    repo: AlertRepo
    notify: NotifyStore
    registry: ChannelRegistry
    context: SendContext = SendContext()


def alerts_router(backend: AlertsBackend | None = None) -> APIRouter:
    """The alert routes over ``backend`` (None: the schema's app, which never calls one)."""
    router = APIRouter(prefix="/api/v1", tags=["alerts"])

    def parts() -> AlertsBackend:
        if backend is None:
            raise StoreError("the alert engine is not running")
        return backend

    # -- rules ---------------------------------------------------------------------------

    @router.get("/rules", summary="The tenant's alert rules, by name",
                response_model=am.Rules)
    def list_rules(tenant: Tenant) -> JSON:
        return JSON({"rules": [_rule(r) for r in parts().repo.list_rules(tenant)]})

    @router.post("/rules", summary="Create a rule (checked; errors name the field)",
                 status_code=201, response_model=am.Rule)
    def create_rule(tenant: Tenant, body: RuleBody) -> JSON:
        if "id" in body:
            raise RuleError("id", "is chosen by the server; PUT /api/v1/rules/{id} "
                                  "replaces a rule")
        rule = _read(body, tenant, new_rule_id())
        return JSON(_rule(parts().repo.put_rule(rule)), status_code=201)

    @router.get("/rules/{rule_id}", summary="One rule", response_model=am.Rule,
                responses=NOT_FOUND)
    def get_rule(rule_id: RuleId, tenant: Tenant) -> Response:
        rule = parts().repo.get_rule(tenant, rule_id)
        return _missing("rule", rule_id) if rule is None else JSON(_rule(rule))

    @router.put("/rules/{rule_id}", summary="Replace a rule (a shipped default stays one)",
                response_model=am.Rule, responses=NOT_FOUND)
    def put_rule(rule_id: RuleId, tenant: Tenant, body: RuleBody) -> Response:
        repo = parts().repo
        before = repo.get_rule(tenant, rule_id)
        if before is None:
            return _missing("rule", rule_id)
        if body.get("id", rule_id) != rule_id:
            raise RuleError("id", f"must be {rule_id!r} (the rule's id in the path) or left out")
        rule = dataclasses.replace(_read(body, tenant, rule_id), builtin=before.builtin)
        return JSON(_rule(repo.put_rule(rule)))

    @router.delete("/rules/{rule_id}", summary="Delete a rule; its firing alerts resolve",
                   status_code=204, response_class=Response, responses=NOT_FOUND)
    def delete_rule(rule_id: RuleId, tenant: Tenant) -> Response:
        if not parts().repo.delete_rule(tenant, rule_id):
            return _missing("rule", rule_id)
        return Response(status_code=204)

    # -- alerts and their history ----------------------------------------------------------

    @router.get("/alerts", summary="Alert states (one per rule and label set)",
                response_model=am.Alerts)
    def alerts(tenant: Tenant, state: StateParam = None, rule_id: RuleFilter = None,
               service: ServiceFilter = None) -> JSON:
        found = parts().repo.instances(tenant, rule_id, state)
        if service is not None:
            found = [i for i in found if i.labels.get("service") == service]
        return JSON({"alerts": [_alert(i) for i in found]})

    @router.get("/alerts/summary", summary="Firing and pending counts, by severity",
                response_model=am.AlertSummary)
    def summary(tenant: Tenant) -> JSON:
        found = parts().repo.counts(tenant)
        counts = {s: found.get(("firing", s), 0) for s in SEVERITIES}
        worst = next((s for s in SEVERITIES if counts[s]), None)
        pending = sum(n for (state, _), n in found.items() if state == "pending")
        firing = sum(n for (state, _), n in found.items() if state == "firing")
        return JSON({"firing": firing, "pending": pending, "by_severity": counts,
                     "worst": worst})

    @router.get("/alerts/history", summary="State changes, newest first",
                response_model=am.History)
    def history(tenant: Tenant, from_: HistoryFrom = None, to: HistoryTo = None,
                rule_id: RuleFilter = None, service: ServiceFilter = None,
                limit: HistoryLimit = None) -> JSON:
        since_us = (_now_us() - HISTORY_DEFAULT_S * 1_000_000 if from_ is None
                    else from_ * 1000)
        if to is not None and to * 1000 < since_us:
            raise RuleError("to", "must not be before from")
        entries = parts().repo.history(tenant, since_us, rule_id, limit or 100,
                                       until_us=None if to is None else to * 1000,
                                       service=service)
        return JSON({"history": [_change(e) for e in entries]})

    # -- silences ------------------------------------------------------------------------

    @router.get("/silences", summary="Silences and maintenance windows",
                response_model=am.Silences)
    def list_silences(tenant: Tenant) -> JSON:
        now = _now_us()
        return JSON({"silences": [_silence(s, now) for s in parts().notify.silences(tenant)]})

    @router.post("/silences", summary="Mute matching alerts for a while, or in a window",
                 status_code=201, response_model=am.Silence)
    def create_silence(tenant: Tenant, body: am.SilenceIn) -> JSON:
        now = _now_us()
        silence = model.Silence(
            id="s_" + secrets.token_hex(8), tenant=tenant, matchers=_matchers(body.matchers),
            starts_us=now if body.starts_ms is None else body.starts_ms * 1000,
            ends_us=body.ends_ms * 1000, author=body.author, comment=body.comment,
            recurrence=body.recurrence)
        try:
            check_silence(silence)
        except RuleError as exc:  # the model's fields are µs, the API's ms
            field = exc.field.replace("ends_us", "ends_ms").replace("starts_us", "starts_ms")
            raise RuleError(field, exc.message.replace("_us", "_ms")) from None
        parts().notify.put_silence(silence)
        return JSON(_silence(silence, now), status_code=201)

    @router.delete("/silences/{silence_id}", summary="End a silence now (delete it)",
                   status_code=204, response_class=Response, responses=NOT_FOUND)
    def delete_silence(silence_id: SilenceId, tenant: Tenant) -> Response:
        if not parts().notify.delete_tenant_silence(tenant, silence_id):
            return _missing("silence", silence_id)
        return Response(status_code=204)

    # -- channels and routes -------------------------------------------------------------

    @router.get("/channels", summary="Notification channels (secrets left out)",
                response_model=am.Channels)
    def list_channels(tenant: Tenant) -> JSON:
        return JSON({"channels": [_channel(c) for c in parts().notify.channels(tenant)]})

    @router.post("/channels", summary="Add a channel (its type checks the config)",
                 status_code=201, response_model=am.Channel)
    def create_channel(tenant: Tenant, body: am.ChannelIn) -> JSON:
        channel = model.Channel(id="c_" + secrets.token_hex(8), tenant=tenant,
                                name=body.name, type=body.type, config=dict(body.config),
                                enabled=body.enabled)
        backend = parts()
        backend.registry.check(channel)
        if any(c.name == body.name for c in backend.notify.channels(tenant)):
            raise RuleError("name", f"a channel named {body.name!r} already exists")
        backend.notify.put_channel(channel)
        return JSON(_channel(channel), status_code=201)

    @router.post("/channels/{channel_id}/test",
                 summary="Send a test notification through a channel now; say what happened",
                 response_model=am.ChannelTest, responses=NOT_FOUND)
    def test_channel(channel_id: ChannelId, tenant: Tenant) -> Response:
        backend = parts()
        channel = backend.notify.channel(channel_id)
        if channel is None or channel.tenant != tenant:
            return _missing("channel", channel_id)
        return JSON(_send_test(backend, channel))

    @router.delete("/channels/{channel_id}",
                   summary="Delete a channel (refused while a route sends to it)",
                   status_code=204, response_class=Response, responses={
                       **NOT_FOUND, 409: {"model": models.ErrorBody,
                                          "description": "Routes still send to it"}})
    def delete_channel(channel_id: ChannelId, tenant: Tenant) -> Response:
        notify = parts().notify
        if not any(c.id == channel_id for c in notify.channels(tenant)):
            return _missing("channel", channel_id)
        users = [r.id for r in notify.routes(tenant) if channel_id in r.channel_ids]
        if users:
            return JSON({"detail": f"routes {', '.join(users)} send to channel "
                                   f"{channel_id!r}; delete them first"}, status_code=409)
        notify.delete_channel(tenant, channel_id)
        return Response(status_code=204)

    @router.get("/routes", summary="Routes, in the order alerts are matched",
                response_model=am.Routes)
    def list_routes(tenant: Tenant) -> JSON:
        return JSON({"routes": [_route(r) for r in parts().notify.routes(tenant)]})

    @router.post("/routes", summary="Add a route (matched after the existing ones)",
                 status_code=201, response_model=am.Route)
    def create_route(tenant: Tenant, body: am.RouteIn) -> JSON:
        notify = parts().notify
        route = model.Route(
            id="rt_" + secrets.token_hex(8), tenant=tenant, matchers=_matchers(body.matchers),
            channel_ids=list(body.channel_ids), group_by=list(body.group_by),
            group_wait_s=body.group_wait_s, group_interval_s=body.group_interval_s,
            repeat_interval_s=body.repeat_interval_s)
        check_route(route)
        mine = {c.id for c in notify.channels(tenant)}
        for i, channel_id in enumerate(route.channel_ids):
            if channel_id not in mine:
                raise RuleError(f"channel_ids[{i}]", f"no channel {channel_id!r} in this "
                                                     "tenant (POST /api/v1/channels first)")
        existing = notify.routes(tenant)
        notify.put_route(route, position=len(existing))
        return JSON(_route(route), status_code=201)

    @router.delete("/routes/{route_id}", summary="Delete a route", status_code=204,
                   response_class=Response, responses=NOT_FOUND)
    def delete_route(route_id: RouteId, tenant: Tenant) -> Response:
        if not parts().notify.delete_route(tenant, route_id):
            return _missing("route", route_id)
        return Response(status_code=204)

    return router


def _now_us() -> int:
    return time.time_ns() // 1000


def _missing(what: str, item: str) -> JSON:
    return JSON({"detail": f"no {what} {item!r} in this tenant"}, status_code=404)


def _read(body: dict[str, Any], tenant: str, rule_id: str) -> model.Rule:
    """The checked rule; every problem is told at once, each naming its field."""
    rule, problems = read_rule(body, tenant=tenant, rule_id=rule_id)
    if len(problems) == 1:
        raise problems[0]
    if problems or rule is None:
        raise RuleError("", "; ".join(str(p) for p in problems) or "rule: unreadable")
    return rule


def _rule(rule: model.Rule) -> dict[str, Any]:
    return {**rule_to_dict(rule), "builtin": rule.builtin}


def _ms(us: int | None) -> int | None:
    return None if us is None else us // 1000


def _alert(i: AlertInstance) -> dict[str, Any]:
    return {
        "id": i.id, "rule_id": i.rule_id, "labels": dict(i.labels), "state": i.state,
        "severity": i.severity, "value": i.value, "summary": i.summary, "link": i.link,
        "active_since_ms": _ms(i.active_since_us), "fired_at_ms": _ms(i.fired_at_us),
        "resolved_at_ms": _ms(i.resolved_at_us), "last_eval_ms": i.last_eval_us // 1000,
    }


def _change(entry: HistoryEntry) -> dict[str, Any]:
    t = entry.transition
    return {"id": entry.id, "at_ms": t.at_us // 1000, "old": t.old, "new": t.new,
            "alert": _alert(t.instance)}


def _matchers(given: list[am.Matcher]) -> list[Matcher]:
    return [Matcher(m.name, m.op, m.value) for m in given]


def _matcher_view(m: Matcher) -> dict[str, str]:
    return {"name": m.name, "op": m.op, "value": m.value}


def _silence(s: model.Silence, now_us: int) -> dict[str, Any]:
    return {"id": s.id, "matchers": [_matcher_view(m) for m in s.matchers],
            "starts_ms": s.starts_us // 1000, "ends_ms": s.ends_us // 1000,
            "author": s.author, "comment": s.comment, "recurrence": s.recurrence,
            "active": active(s, now_us)}


# A test notification's title reads "[FIRING] Bongsu test notification: test=true".
TEST_RULE_NAME = "Bongsu test notification"
TEST_SUMMARY = ("Test notification from Bongsu for channel {name!r}: if you can read "
                "this, the channel works. No alert is firing.")
_HTTP_STATUS = re.compile(r"^HTTP (\d{3})\b")


def _send_test(backend: AlertsBackend, channel: model.Channel) -> dict[str, Any]:
    """One notification through the channel's type, the way the outbox sends it."""
    now = _now_us()
    key = "test-" + secrets.token_hex(8)
    alert = {
        "id": "test", "rule_id": "test", "rule_name": TEST_RULE_NAME, "status": "firing",
        "labels": {"rule": "test", "severity": "info", "test": "true"},
        "severity": "info", "summary": TEST_SUMMARY.format(name=channel.name),
        "value": None, "link": "/channels", "fired_at_us": now,
        "resolved_at_us": None, "at_us": now,
    }
    notification = model.Notification(
        key=key, tenant=channel.tenant, channel_id=channel.id, group={"test": "true"},
        status="firing", alerts=[alert], created_us=now)
    started = time.perf_counter()
    kind = backend.registry.get(channel.type)
    if not channel.enabled:
        result = SendResult.permanent(f"channel {channel.name!r} is turned off")
    elif kind is None:
        result = SendResult.permanent(f"no channel type {channel.type!r} is registered")
    else:
        try:
            result = kind.send(channel, notification, backend.context)
        except Exception as error:  # a channel type's bug is its answer, not a 500
            log.exception("channel type %s raised from send", channel.type)
            result = SendResult.retry(f"{channel.type} raised {type(error).__name__}: {error}")
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    outcome, status_code = _outcome(result, channel.enabled)
    return {"ok": result.ok, "outcome": outcome, "status_code": status_code,
            "error": result.error, "retryable": not result.ok and result.retryable,
            "key": key, "elapsed_ms": elapsed_ms}


def _outcome(result: SendResult, enabled: bool) -> tuple[am.Outcome, int | None]:
    """The kind of failure, read from the channel type's error text (``post`` writes
    ``HTTP 500 from <url>``; the socket errors say "timed out" and "Connection refused")."""
    if result.ok:
        return "delivered", None
    if not enabled:
        return "turned_off", None
    text = result.error or ""
    status = _HTTP_STATUS.match(text)
    if status:
        return "http_status", int(status.group(1))
    lowered = text.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return "timeout", None
    if "connection refused" in lowered:  # not "SMTP login refused"
        return "refused", None
    return "error", None


def _channel(c: model.Channel) -> dict[str, Any]:
    hidden = SECRET_KEYS | SECRET_BY_TYPE.get(c.type, frozenset())
    return {"id": c.id, "name": c.name, "type": c.type,
            "config": {k: v for k, v in c.config.items() if k not in hidden},
            "secrets": sorted(k for k in c.config if k in hidden and c.config[k]),
            "enabled": c.enabled}


def _route(r: model.Route) -> dict[str, Any]:
    return {"id": r.id, "matchers": [_matcher_view(m) for m in r.matchers],
            "channel_ids": list(r.channel_ids), "group_by": list(r.group_by),
            "group_wait_s": r.group_wait_s, "group_interval_s": r.group_interval_s,
            "repeat_interval_s": r.repeat_interval_s}
