"""One HTTP request to the simulated API server: discovery, get, list (paged), watch or exec.

URLs follow the real server: ``/api/v1/pods``, ``/api/v1/namespaces/shop/pods/NAME``,
``/apis/apps/v1/namespaces/shop/deployments``; anything else is a 404 Status. Lists and
single objects are JSON, or a meta.k8s.io/v1 Table when the Accept header asks for one
(kubectl does). ``pods/NAME/exec`` upgrades to a WebSocket (``_exec``).
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from bongsu.simulate.kube import _discovery, _exec, _status
from bongsu.simulate.kube._eventshape import events_v1_from_core
from bongsu.simulate.kube._query import ListQuery, decode_continue, encode_continue
from bongsu.simulate.kube._resources import RESOURCES, Resource, served
from bongsu.simulate.kube._tables import table
from bongsu.simulate.kube._watch import stream_watch

if TYPE_CHECKING:
    from bongsu.simulate.kube._server import ApiServer

Obj = dict[str, Any]
TABLE_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"
log = logging.getLogger("bongsu.simulate.kube")


def shown(res: Resource, obj: Obj) -> Obj:
    """An object as ``res`` presents it (Events in the events.k8s.io/v1 shape there)."""
    if res.group == "events.k8s.io":
        return events_v1_from_core(obj)
    return obj


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked transfer for watches
    api: ApiServer  # set on the subclass each ApiServer makes

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def setup(self) -> None:
        super().setup()
        self.api.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:  # the connection was cut under us (drop_watches, unreachable)
            pass
        finally:
            self.api.track(self.connection, False)

    # -- responses -------------------------------------------------------------------
    def send_json(self, code: int, body: Obj, content_type: str = "application/json") -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(data)

    def send_status(self, body: Obj) -> None:
        self.send_json(int(body["code"]), body)

    @property
    def wants_table(self) -> bool:
        return "as=Table" in self.headers.get("Accept", "")

    # -- routing ---------------------------------------------------------------------
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        self.api.log_request(self.command, url.path, query)
        try:
            self._route(url.path, query)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except ValueError as exc:
            self.send_status(_status.status(400, str(exc)))

    def _not_allowed(self) -> None:
        self.send_status(_status.status(405, "the server does not allow this method on the "
                                             "requested resource"))

    do_POST = do_PUT = do_PATCH = do_DELETE = _not_allowed

    def _route(self, path: str, query: dict[str, str]) -> None:
        parts = [p for p in path.split("/") if p]
        resources = served(self.api.cluster.events_api)
        accept = self.headers.get("Accept", "")
        if parts == ["version"]:
            return self.send_json(200, _discovery.VERSION)
        if parts and parts[0] == "api" and len(parts) <= 2:
            if len(parts) == 1:
                if _discovery.wants_aggregated(accept):
                    return self.send_json(200, _discovery.aggregated(resources, core=True),
                                          _discovery.AGGREGATED)
                return self.send_json(200, _discovery.api_versions(self.api.address))
            body = _discovery.resource_list(resources, "", parts[1])
            return self.send_json(200, body) if body else self.send_status(_status.no_such_path())
        if parts and parts[0] == "apis" and len(parts) <= 3:
            if len(parts) == 1:
                if _discovery.wants_aggregated(accept):
                    return self.send_json(200, _discovery.aggregated(resources, core=False),
                                          _discovery.AGGREGATED)
                return self.send_json(200, _discovery.legacy_groups(resources))
            if len(parts) == 2:
                group = _discovery.legacy_group(resources, parts[1])
                return (self.send_json(200, group) if group
                        else self.send_status(_status.no_such_path()))
            body = _discovery.resource_list(resources, parts[1], parts[2])
            return self.send_json(200, body) if body else self.send_status(_status.no_such_path())
        if _exec.is_exec(parts):
            return _exec.serve_exec(self, parts[3], parts[5])
        target = self._resolve(parts, resources)
        if target is None:
            return self.send_status(_status.no_such_path())
        res, namespace, name = target
        q = ListQuery.parse(query)
        if name is not None:
            return self._get(res, namespace, name)
        if q.watch:
            if not res.watchable:
                return self._not_allowed()
            return stream_watch(self, res, namespace, q)
        return self._list(res, namespace, q)

    @staticmethod
    def _resolve(parts: list[str],
                 resources: list[Resource]) -> tuple[Resource, str | None, str | None] | None:
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        namespace: str | None = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if not 1 <= len(rest) <= 2:
            return None
        res = RESOURCES.get((group, version, rest[0]))
        if res is None or res not in resources or (namespace and not res.namespaced):
            return None
        return res, namespace, rest[1] if len(rest) == 2 else None

    def _get(self, res: Resource, namespace: str | None, name: str) -> None:
        if res.namespaced and namespace is None:
            return self.send_status(_status.no_such_path())
        obj = self.api.cluster.find(res.collection, namespace or "", name)
        if obj is None:
            return self.send_status(_status.not_found(res.plural, name, res.group))
        found = shown(res, obj)
        if self.wants_table:
            return self.send_json(200, table(res, [found], "Object"), TABLE_TYPE)
        self.send_json(200, found)

    def _list(self, res: Resource, namespace: str | None, q: ListQuery) -> None:
        cluster = self.api.cluster
        if q.continue_token:
            # The pages of one list show one snapshot, at the first page's version, as
            # etcd reads at a revision; a compaction since then expires the token.
            token_rv, offset = decode_continue(q.continue_token)
            selected = self.api.snapshots.get(q.continue_token.split(".", 1)[0])
            if token_rv < cluster.floor or selected is None:
                return self.send_status(_status.continue_expired())
            rv, selected = token_rv, selected[offset:]
        else:
            items, rv = cluster.objects(res.collection, namespace)
            selected = [o for o in items if q.matches(o)]
        meta: Obj = {"resourceVersion": str(rv)}
        if q.limit and len(selected) > q.limit:
            meta["continue"] = encode_continue(rv, self.api.snapshot(selected[q.limit:]), 0)
            meta["remainingItemCount"] = len(selected) - q.limit
            selected = selected[:q.limit]
        objects = [shown(res, o) for o in selected]
        if self.wants_table:
            return self.send_json(200, table(res, objects, q.include_object, meta), TABLE_TYPE)
        # A real server's list items carry neither kind nor apiVersion (watch frames do).
        bare = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in objects]
        self.send_json(200, {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                             "metadata": meta, "items": bare})
