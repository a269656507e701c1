"""The query API's OpenAPI document, printed without a server, store or data directory.

The web console generates its TypeScript types from this output (``openapi-typescript``),
so it must be deterministic: keys sorted, two-space indent, one trailing newline.

Example::

    python -m bongsu.api.schema > web/openapi.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from starlette.requests import Request

from bongsu.accounts.principal import Principal
from bongsu.accounts.roles import Role
from bongsu.api.agent import agent_router
from bongsu.api.alerts import alerts_router
from bongsu.api.app import create_api
from bongsu.api.auth import auth_router
from bongsu.api.dashboards import dashboards_router
from bongsu.api.databases import databases_router
from bongsu.api.diagnostics import diagnostics_router
from bongsu.api.engine import engine_router
from bongsu.api.groups import groups_router
from bongsu.api.hosts import hosts_router
from bongsu.api.kube import kube_router
from bongsu.api.metering import metering_router
from bongsu.api.org import org_router
from bongsu.api.reports import reports_router
from bongsu.api.rule_preview import rule_preview_router
from bongsu.api.search import search_router
from bongsu.api.sla import sla_router
from bongsu.api.support import support_router
from bongsu.api.synthetics import synthetics_router
from bongsu.api.users import users_router
from bongsu.api.web_views import web_router
from bongsu.control.registry import AgentRegistry
from bongsu.errors import StoreError
from bongsu.query import QueryService
from bongsu.settings import Settings


class _NoStore:
    """Stands in for the store and its read side; the schema never queries it."""

    def __getattr__(self, name: str) -> Any:
        raise StoreError(f"no store behind the schema app ({name})")


def openapi() -> dict[str, Any]:
    """The OpenAPI document of the API app as ``bongsu server`` builds it."""
    settings = Settings()
    none: Any = _NoStore()
    app = create_api(
        settings, none, _anyone, routers=[agent_router(AgentRegistry(none)), kube_router(),
                                    alerts_router(), engine_router(), rule_preview_router(),
                                    sla_router(),
                                    synthetics_router(), support_router(),
                                    metering_router(), reports_router(),
                                    databases_router(), web_router(),
                                    hosts_router(), groups_router(), search_router(),
                                    dashboards_router(),
                                    diagnostics_router(), users_router(),
                                    auth_router(), org_router()],
        queries=QueryService(none, settings), console=False,
    )
    return app.openapi()


def render() -> str:
    """The document as deterministic JSON text."""
    return json.dumps(openapi(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render())


def _anyone(request: Request) -> Principal:
    return Principal("single-user", "default", Role.OWNER)


if __name__ == "__main__":
    main()
